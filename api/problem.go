package api

import (
	"encoding/json"
	"errors"
	"net/http"

	"civmap"
)

// Problem is an RFC 9457 problem details object, with civmap's extension members "code" (the
// application error code) and "field" (the offending input: JSON member, query parameter or
// path segment).
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	Code     string `json:"code"`
	Field    string `json:"field,omitempty"`
}

// statusOf maps application error codes to HTTP statuses: the one table of it.
var statusOf = map[string]int{
	civmap.EINVALID:      http.StatusBadRequest,
	civmap.ENOTFOUND:     http.StatusNotFound,
	civmap.ECONFLICT:     http.StatusConflict,
	civmap.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	civmap.EUNAUTHORIZED: http.StatusUnauthorized,
	civmap.EUNAVAILABLE:  http.StatusServiceUnavailable,
	civmap.EINTERNAL:     http.StatusInternalServerError,
}

// problemError is an HTTP-level error with no civmap code of its own (405, 415 …).
type problemError struct {
	status int
	code   string
	msg    string
	field  string
}

func (e *problemError) Error() string { return e.msg }

// problem writes err as application/problem+json. Internal errors are logged with their cause
// and shown as a bare 500.
func (s *Server) problem(w http.ResponseWriter, r *http.Request, err error) {
	p := Problem{Instance: r.URL.Path}
	var pe *problemError
	if errors.As(err, &pe) {
		p.Status, p.Code, p.Detail, p.Field = pe.status, pe.code, pe.msg, pe.field
	} else {
		p.Code = civmap.ErrorCode(err)
		p.Status = statusOf[p.Code]
		if p.Status == 0 {
			p.Status = http.StatusInternalServerError
		}
		p.Detail, p.Field = civmap.ErrorMessage(err), civmap.ErrorField(err)
		if p.Code == civmap.EINTERNAL {
			s.cfg.Logger.Error("internal error", "method", r.Method, "path", r.URL.Path, "err", err)
		}
	}
	p.Type = "/problems/" + p.Code
	p.Title = http.StatusText(p.Status)
	if p.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="civmap dispatchers"`)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	json.NewEncoder(w).Encode(p)
}

func (s *Server) methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	s.problem(w, r, &problemError{status: http.StatusMethodNotAllowed, code: "method_not_allowed",
		msg: "method " + r.Method + " is not allowed here"})
}
