package api

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"civmap"
	"civmap/auth"
	"civmap/store"
)

type auditJSON struct {
	ID         int64           `json:"id"`
	At         time.Time       `json:"at"`
	ActorID    int64           `json:"actor_id"`
	ActorLogin string          `json:"actor"`
	ActorRole  civmap.Role     `json:"actor_role,omitempty"`
	Addr       string          `json:"addr,omitempty"`
	Action     string          `json:"action"`
	Kind       string          `json:"kind"`
	RecordID   string          `json:"record_id,omitempty"`
	Before     json.RawMessage `json:"before,omitempty"`
	After      json.RawMessage `json:"after,omitempty"`
	Note       string          `json:"note,omitempty"`
}

// auditKinds and auditActions are the values the audit filters accept.
var (
	auditKinds = []string{civmap.KindSite, civmap.KindVenue, civmap.KindArea, civmap.KindActivity, civmap.KindNeed,
		civmap.KindUser, civmap.KindSession, civmap.KindToken, civmap.KindCode}
	auditActions = []string{civmap.AuditCreate, civmap.AuditUpdate, civmap.AuditHide, civmap.AuditUnhide, civmap.AuditSignIn,
		civmap.AuditFailed, civmap.AuditSignOut, civmap.AuditRevoke, civmap.AuditIssue, civmap.AuditRead}
)

// maxAuditPage is the largest page of GET /api/v1/audit.
const maxAuditPage = 1000

// handleAudit serves GET /api/v1/audit?actor=&kind=&action=&record=&since=&until=&before=&limit=
// (limit default 100, at most 1000): audit records, newest first, with "next" — the URL of the
// following page — when there may be more. County-wide admins only.
func (s *Server) handleAudit(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	if err := s.authorize(r, auth.ReadAudit, ""); err != nil {
		s.problem(w, r, err)
		return
	}
	f, err := parseAuditFilter(r)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	recs, err := s.cfg.Store.ListAudit(r.Context(), f)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	out := make([]auditJSON, 0, len(recs))
	for _, x := range recs {
		out = append(out, auditJSON(x))
	}
	body := map[string]any{"records": out}
	if len(recs) == f.Limit {
		q := r.URL.Query()
		q.Set("before", strconv.FormatInt(recs[len(recs)-1].ID, 10))
		body["next"] = "/api/v1/audit?" + q.Encode()
	}
	writeJSON(w, http.StatusOK, body)
}

// parseAuditFilter reads the audit query parameters; EINVALID naming the parameter.
func parseAuditFilter(r *http.Request) (store.AuditFilter, error) {
	q := r.URL.Query()
	if err := onlyParams(q, "actor", "kind", "action", "record", "since", "until", "before", "limit"); err != nil {
		return store.AuditFilter{}, err
	}
	f := store.AuditFilter{Kind: q.Get("kind"), Action: q.Get("action"), RecordID: q.Get("record")}
	if f.Kind != "" && !slices.Contains(auditKinds, f.Kind) {
		return f, civmap.FieldErrorf("kind", "unknown kind %q", f.Kind)
	}
	if f.Action != "" && !slices.Contains(auditActions, f.Action) {
		return f, civmap.FieldErrorf("action", "unknown action %q", f.Action)
	}
	if len(f.RecordID) > civmap.MaxCodeBytes {
		return f, civmap.FieldErrorf("record", "record is longer than %d bytes", civmap.MaxCodeBytes)
	}
	var err error
	for name, dst := range map[string]*int64{"actor": &f.ActorID, "before": &f.BeforeID} {
		if v := q.Get(name); v != "" {
			if *dst, err = strconv.ParseInt(v, 10, 64); err != nil || *dst < 0 {
				return f, civmap.FieldErrorf(name, "%s must be a whole number", name)
			}
		}
	}
	if f.Since, err = parseTime(r, "since"); err != nil {
		return f, err
	}
	if f.Until, err = parseTime(r, "until"); err != nil {
		return f, err
	}
	if f.Limit, err = parseLimit(r, 100, maxAuditPage); err != nil {
		return f, err
	}
	return f, nil
}

// onlyParams refuses query parameters other than names (EINVALID naming the first unknown one),
// so a mistyped filter is an error rather than silently ignored.
func onlyParams(q url.Values, names ...string) error {
	for k := range q {
		if !slices.Contains(names, k) {
			return civmap.FieldErrorf(k, "unknown query parameter %q", k)
		}
	}
	return nil
}
