package civmap

import (
	"errors"
	"fmt"
	"time"
)

// Application error codes. Each maps to one HTTP status in package api.
const (
	ECONFLICT     = "conflict"     // the request conflicts with stored data
	EINTERNAL     = "internal"     // a bug or an unavailable dependency; details are logged, not shown
	EINVALID      = "invalid"      // the input is malformed or out of range
	ENOTFOUND     = "not_found"    // no such entity
	ETOOLARGE     = "too_large"    // the input is over a documented size limit
	EUNAVAILABLE  = "unavailable"  // a dependency (database, font, …) is missing; retry after fixing it
	EUNAUTHORIZED = "unauthorized" // the request lacks valid credentials (not signed in)
	EFORBIDDEN    = "forbidden"    // signed in, but the role or scope does not allow it
	ETOOMANY      = "too_many"     // a rate limit or sign-in back-off applies; retry after Error.Retry
)

// Error is civmap's application error: a code, a message safe to show to the user, and, for
// input errors, the name of the offending field (JSON name, query parameter or CSV column).
type Error struct {
	Code    string
	Field   string
	Message string
	Retry   time.Duration // for ETOOMANY: how long until a retry may succeed
}

// Error implements the error interface.
func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("civmap error: code=%s field=%s message=%s", e.Code, e.Field, e.Message)
	}
	return fmt.Sprintf("civmap error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErrorf returns an EINVALID *Error naming field.
func FieldErrorf(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the *Error in err's chain, "" for nil and EINTERNAL for any
// other error.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of the *Error in err's chain, or "内部错误"
// (internal error) for any other error, whose text may hold details not meant for users.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "内部错误"
}

// ErrorField returns the field named by the *Error in err's chain, or "".
func ErrorField(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}

// ErrorRetry returns how long the caller should wait before retrying (ETOOMANY), or 0.
func ErrorRetry(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.Retry
	}
	return 0
}
