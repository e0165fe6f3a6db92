package api

import (
	"net/http"
	"strconv"
	"time"

	"civmap"
	"civmap/auth"

	"github.com/gorilla/mux"
)

type tokenJSON struct {
	ID         int64      `json:"id"`
	UserID     int64      `json:"user_id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	CreatedBy  int64      `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

func tokenOut(t civmap.APIToken) tokenJSON {
	j := tokenJSON{ID: t.ID, UserID: t.UserID, Name: t.Name, Prefix: t.Prefix, CreatedBy: t.CreatedBy, CreatedAt: t.CreatedAt}
	if !t.LastUsedAt.IsZero() {
		x := t.LastUsedAt
		j.LastUsedAt = &x
	}
	if !t.RevokedAt.IsZero() {
		x := t.RevokedAt
		j.RevokedAt = &x
	}
	return j
}

// handleCreateToken serves POST /api/v1/tokens {"user_id" or "login", "name"}: 201 with the
// token's record and, once, its secret as "token" (Authorization: Bearer <token>). Admins, for
// users in scope. The secret is never shown again: only its hash is stored.
func (s *Server) handleCreateToken(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	var req struct {
		UserID int64  `json:"user_id"`
		Login  string `json:"login"`
		Name   string `json:"name"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		s.problem(w, r, err)
		return
	}
	if who(r).user == nil {
		s.problem(w, r, s.refuse(r))
		return
	}
	var u civmap.User
	var err error
	switch {
	case req.UserID != 0:
		u, err = s.cfg.Store.User(r.Context(), req.UserID)
	case req.Login != "":
		u, err = s.cfg.Store.UserByLogin(r.Context(), auth.NormalizeLogin(req.Login))
	default:
		err = civmap.FieldErrorf("user_id", "user_id or login is required")
	}
	if civmap.ErrorCode(err) == civmap.ENOTFOUND {
		err = civmap.FieldErrorf("user_id", "no such user")
	}
	if err == nil {
		err = s.authorizeUser(r, auth.ManageTokens, u)
	}
	if err != nil {
		s.problem(w, r, err)
		return
	}
	secret, tok, err := s.auth.CreateToken(r.Context(), u.ID, req.Name, who(r).user.ID)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	out := struct {
		tokenJSON
		Token string `json:"token"`
	}{tokenOut(tok), secret}
	w.Header().Set("Location", "/api/v1/tokens/"+strconv.FormatInt(tok.ID, 10))
	writeJSON(w, http.StatusCreated, out)
}

// handleListTokens serves GET /api/v1/tokens?user= : API tokens (never their secrets), newest
// first. Admins: those of users in scope.
func (s *Server) handleListTokens(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	if err := s.authorize(r, auth.ManageTokens, who(r).scope()); err != nil {
		s.problem(w, r, err)
		return
	}
	var userID int64
	if v := r.URL.Query().Get("user"); v != "" {
		var err error
		if userID, err = strconv.ParseInt(v, 10, 64); err != nil || userID < 1 {
			s.problem(w, r, civmap.FieldErrorf("user", "user must be a user id"))
			return
		}
	}
	list, err := s.cfg.Store.ListTokens(r.Context(), userID)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	out := []tokenJSON{}
	users := map[int64]bool{}
	for _, t := range list {
		ok, seen := users[t.UserID]
		if !seen {
			u, err := s.cfg.Store.User(r.Context(), t.UserID)
			ok = err == nil && s.authorizeUser(r, auth.ManageTokens, u) == nil
			users[t.UserID] = ok
		}
		if ok {
			out = append(out, tokenOut(t))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": out})
}

// handleRevokeToken serves DELETE /api/v1/tokens/{id}: 204; it stops working at once. Admins,
// for users in scope (404 for others' tokens).
func (s *Server) handleRevokeToken(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	if err := s.authorize(r, auth.ManageTokens, who(r).scope()); err != nil {
		s.problem(w, r, err)
		return
	}
	id, err := strconv.ParseInt(mux.Vars(r)["id"], 10, 64)
	if err != nil {
		s.problem(w, r, civmap.FieldErrorf("id", "id must be an integer"))
		return
	}
	tok, err := s.cfg.Store.Token(r.Context(), id)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	u, err := s.cfg.Store.User(r.Context(), tok.UserID)
	if err == nil && s.authorizeUser(r, auth.ManageTokens, u) != nil {
		err = civmap.Errorf(civmap.ENOTFOUND, "没有编号为 %d 的令牌", id)
	}
	if err == nil {
		err = s.cfg.Store.RevokeToken(r.Context(), id)
	}
	if err != nil {
		s.problem(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
