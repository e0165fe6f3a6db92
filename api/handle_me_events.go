package api

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"civmap"
	"civmap/auth"
)

// Subscriber delivers workflow notifications to personal event streams (notify.Sender).
type Subscriber interface {
	// Subscribe returns the notifications whose recipient passes keep, until stop is called.
	Subscribe(keep func(recipient string) bool, buffer int) (c <-chan civmap.Notification, stop func())
}

// recipientFilter says which outbox recipients the request's user hears: staff the sites in
// their scope ("site:{code}"); a volunteer their own ("volunteer:{id}"), their teams'
// ("team:{id}") and open orders queued at a site of their chain ("open:{code}").
func (s *Server) recipientFilter(r *http.Request) (func(string) bool, error) {
	u := who(r).user
	if u == nil {
		return nil, auth.Authorize(nil, auth.Dispatch, auth.Target{})
	}
	ctx := r.Context()
	if u.Role.Staff() {
		// The sites in scope are listed once, when the stream opens (the filter runs on the
		// sender's delivery path and must not query the store).
		if err := auth.Authorize(u, auth.Dispatch, auth.Target{Chain: []string{u.Scope}}); err != nil && u.Scope != "" {
			return nil, err
		}
		codes, err := s.subtree(ctx, u.Scope)
		if err != nil {
			return nil, err
		}
		set := map[string]bool{}
		for _, c := range codes {
			set["site:"+c] = true
		}
		all := codes == nil
		return func(rcpt string) bool { return set[rcpt] || (all && strings.HasPrefix(rcpt, "site:")) }, nil
	}
	if u.Role != civmap.RoleVolunteer {
		return nil, &civmap.Error{Code: civmap.EFORBIDDEN, Message: "只有工作人员和志愿者有个人消息"}
	}
	v, err := s.cfg.Store.VolunteerByUser(ctx, u.ID)
	if err != nil {
		if civmap.ErrorCode(err) == civmap.ENOTFOUND {
			return func(string) bool { return false }, nil
		}
		return nil, err
	}
	chain, _ := s.cfg.Store.SiteChain(ctx, v.SiteCode)
	mine := map[string]bool{"volunteer:" + strconv.FormatInt(v.ID, 10): true}
	for _, t := range v.Teams {
		mine["team:"+strconv.FormatInt(t, 10)] = true
	}
	for _, c := range chain {
		mine["open:"+c] = true
	}
	return func(rcpt string) bool { return mine[rcpt] }, nil
}

// handleMyEvents serves GET /api/v1/me/events as server-sent events: the workflow notifications
// for the signed-in user (recipientFilter) — "event: {action}", "id: {notification id}", "data:
// {payload}" — and a comment every 25 s. Payloads hold no resident's text or phone and no
// volunteer's name; the page reloads what changed.
func (s *Server) handleMyEvents(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	keep, err := s.recipientFilter(r)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	flusher, ok := w.(http.Flusher)
	if !ok || s.cfg.Notifications == nil {
		s.problem(w, r, &problemError{status: http.StatusNotImplemented, code: "not_implemented", msg: "notifications are not available"})
		return
	}
	c, stop := s.cfg.Notifications.Subscribe(keep, 64)
	defer stop()
	serveSSE(w, flusher, r, "civmap notifications", c, func(w io.Writer, n civmap.Notification) {
		fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", n.ID, n.Type, n.Payload)
	})
}
