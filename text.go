package civmap

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on free text, in characters.
const (
	MaxNameChars    = 100
	MaxAddressChars = 200
	MaxCodeBytes    = 64
)

// validateText checks a free-text field: valid UTF-8, no control characters other than tab and
// line breaks (a NUL byte cannot be stored in PostgreSQL text), not blank when required, at most
// max characters. Errors are EINVALID naming field.
func validateText(field, s string, max int, required bool) error {
	if !utf8.ValidString(s) {
		return FieldErrorf(field, "%s is not valid UTF-8", field)
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r' {
			return FieldErrorf(field, "%s holds the control character U+%04X", field, r)
		}
	}
	if required && strings.TrimSpace(s) == "" {
		return FieldErrorf(field, "%s is required", field)
	}
	if n := utf8.RuneCountInString(s); n > max {
		return FieldErrorf(field, "%s has %d characters (at most %d)", field, n, max)
	}
	return nil
}

// validateCode checks a site or venue code: required, at most MaxCodeBytes bytes of valid UTF-8,
// no spaces, control characters or URL delimiters (/ ? # % \), since the code is a path segment
// of the site page's URL (/s/{code}). Errors are EINVALID naming "code".
func validateCode(code string) error {
	if code == "" {
		return FieldErrorf("code", "code is required")
	}
	if len(code) > MaxCodeBytes {
		return FieldErrorf("code", "code is longer than %d bytes", MaxCodeBytes)
	}
	if !utf8.ValidString(code) {
		return FieldErrorf("code", "code is not valid UTF-8")
	}
	for _, r := range code {
		if unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune(`/?#%\`, r) {
			return FieldErrorf("code", "code %q holds %q; use letters, digits and - _ . only", code, r)
		}
	}
	return nil
}
