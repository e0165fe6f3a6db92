package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"civmap"
	"civmap/web"
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
	civmap.EFORBIDDEN:    http.StatusForbidden,
	civmap.ETOOMANY:      http.StatusTooManyRequests,
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

// statusFor is the HTTP status of an application error.
func statusFor(err error) int {
	if st := statusOf[civmap.ErrorCode(err)]; st != 0 {
		return st
	}
	return http.StatusInternalServerError
}

// logInternal logs an internal error with its cause. It names the route template, not the
// path, since some paths hold secrets (a personal code in /p/{code}).
func (s *Server) logInternal(r *http.Request, err error) {
	route := routeTemplate(r)
	if route == "" {
		route = "unmatched"
	}
	s.cfg.Logger.Error("internal error", "method", r.Method, "route", route, "err", err)
}

// problem writes err as application/problem+json. Internal errors are logged with their cause
// and shown as a bare 500; 429s carry Retry-After (seconds) and 401s WWW-Authenticate.
func (s *Server) problem(w http.ResponseWriter, r *http.Request, err error) {
	p := Problem{Instance: r.URL.Path}
	var pe *problemError
	if errors.As(err, &pe) {
		p.Status, p.Code, p.Detail, p.Field = pe.status, pe.code, pe.msg, pe.field
	} else {
		p.Code = civmap.ErrorCode(err)
		p.Status = statusFor(err)
		p.Detail, p.Field = civmap.ErrorMessage(err), civmap.ErrorField(err)
		if p.Code == civmap.EINTERNAL {
			s.logInternal(r, err)
		}
	}
	if t := routeTemplate(r); strings.HasPrefix(t, "/p/") || strings.HasPrefix(t, "/n/") {
		p.Instance = "" // the path holds a personal code or a receipt
	}
	p.Type = "/problems/" + p.Code
	p.Title = http.StatusText(p.Status)
	if p.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="civmap"`)
	}
	if d := civmap.ErrorRetry(err); d > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((d+time.Second-1)/time.Second)))
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

// handleCrossOrigin answers a state-changing request that a browser sent from another origin
// (http.CrossOriginProtection refused it): 403, a page for forms, problem+json otherwise.
func (s *Server) handleCrossOrigin(w http.ResponseWriter, r *http.Request) {
	err := &civmap.Error{Code: civmap.EFORBIDDEN, Message: "跨站请求已被拒绝（cross-origin request refused）"}
	if ct := r.Header.Get("Content-Type"); strings.HasPrefix(ct, "application/x-www-form-urlencoded") || strings.HasPrefix(ct, "multipart/form-data") {
		s.render(w, r, http.StatusForbidden, "notice.html", web.NoticePage{Title: "请求被拒绝",
			Message: "该表单来自其他网站，已被拒绝。请直接在本站页面上操作。"})
		return
	}
	s.problem(w, r, err)
}
