package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"

	"civmap"
)

// maxBody is the largest JSON request body accepted, in bytes.
const maxBody = 64 << 10

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

func writeGeoJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/geo+json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// decodeJSON reads one JSON object of at most maxBody bytes into v, rejecting unknown members,
// trailing data and other media types with errors naming the problem.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return &problemError{status: http.StatusUnsupportedMediaType, code: "unsupported_media_type",
				msg: "send the body as application/json"}
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		return jsonError(err)
	}
	// encoding/json would quietly turn invalid UTF-8 into U+FFFD: refuse it instead.
	if !utf8.Valid(body) {
		return civmap.FieldErrorf("", "the body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return civmap.FieldErrorf("", "the body holds more than one JSON value")
	}
	if _, err := dec.Token(); err != io.EOF {
		return civmap.FieldErrorf("", "the body holds data after the JSON object")
	}
	return nil
}

func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return &civmap.Error{Code: civmap.ETOOLARGE, Message: fmt.Sprintf("the body is over %d bytes", maxBody)}
	case errors.As(err, &syn):
		return civmap.FieldErrorf("", "malformed JSON at byte %d", syn.Offset)
	case errors.As(err, &typ) && typ.Field == "":
		return civmap.FieldErrorf("", "the body must be a JSON %s", jsonKind(typ.Type.Kind().String()))
	case errors.As(err, &typ):
		return civmap.FieldErrorf(typ.Field, "%s must be a JSON %s", typ.Field, jsonKind(typ.Type.Kind().String()))
	case errors.Is(err, io.EOF):
		return civmap.FieldErrorf("", "the body is empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return civmap.FieldErrorf("", "the JSON body ends early")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return civmap.FieldErrorf(name, "unknown member %q", name)
	}
	return civmap.FieldErrorf("", "invalid JSON: %v", err)
}

func jsonKind(k string) string {
	switch k {
	case "string", "struct":
		if k == "struct" {
			return "object"
		}
		return "string"
	case "float64", "float32", "int", "int64", "int32":
		return "number"
	case "bool":
		return "boolean"
	case "slice", "array":
		return "array"
	case "ptr":
		return "object"
	}
	return k
}
