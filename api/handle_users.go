package api

import (
	"net/http"
	"strconv"
	"time"

	"civmap"
	"civmap/auth"
	"civmap/store"

	"github.com/gorilla/mux"
)

// userJSON is a user as the API shows it: never a password, hash or code.
type userJSON struct {
	ID           int64       `json:"id"`
	Login        string      `json:"login"`
	Name         string      `json:"name"`
	Role         civmap.Role `json:"role"`
	RoleTitle    string      `json:"role_title"`
	Scope        string      `json:"scope"`
	HasPassword  bool        `json:"has_password"`
	CodeIssuedAt *time.Time  `json:"code_issued_at,omitempty"`
	Disabled     bool        `json:"disabled"`
	Demo         bool        `json:"demo"`
	CreatedAt    time.Time   `json:"created_at"`
	UpdatedAt    time.Time   `json:"updated_at"`
}

func userOut(u civmap.User) userJSON {
	j := userJSON{ID: u.ID, Login: u.Login, Name: u.Name, Role: u.Role, RoleTitle: u.Role.Title(), Scope: u.Scope,
		HasPassword: u.PasswordHash != "", Disabled: u.Disabled, Demo: u.Demo, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt}
	if !u.CodeIssuedAt.IsZero() {
		t := u.CodeIssuedAt
		j.CodeIssuedAt = &t
	}
	return j
}

// authorizeUser asks whether the request's user may do act on user u (its scope's chain).
func (s *Server) authorizeUser(r *http.Request, act auth.Action, u civmap.User) error {
	t, err := s.target(r.Context(), u.Scope)
	if err != nil {
		return err
	}
	t.User = &u
	return auth.Authorize(who(r).user, act, t)
}

// userByPath loads the user named by the {id} path variable, as seen by a caller allowed act
// on them: ENOTFOUND also for users outside the caller's reach (their existence is personal
// data too), EUNAUTHORIZED for anonymous callers.
func (s *Server) userByPath(r *http.Request, act auth.Action) (civmap.User, error) {
	if who(r).user == nil {
		return civmap.User{}, auth.Authorize(nil, act, auth.Target{})
	}
	id, err := strconv.ParseInt(mux.Vars(r)["id"], 10, 64)
	if err != nil {
		return civmap.User{}, civmap.FieldErrorf("id", "id must be an integer")
	}
	u, err := s.cfg.Store.User(r.Context(), id)
	if err != nil {
		return civmap.User{}, err
	}
	if err := s.authorizeUser(r, act, u); err != nil {
		// Users the caller may not even see (ManageSessions: themselves, or whom they manage)
		// are not found: that a person has an account is personal data too.
		if civmap.ErrorCode(err) == civmap.EFORBIDDEN && (act == auth.ManageSessions || s.authorizeUser(r, auth.ManageSessions, u) != nil) {
			return civmap.User{}, civmap.Errorf(civmap.ENOTFOUND, "没有编号为 %d 的用户", id)
		}
		return civmap.User{}, err
	}
	return u, nil
}

// mayListUsers reports whether the request's user manages anyone (admins, station, post, team
// leaders).
func (s *Server) mayListUsers(r *http.Request) bool {
	u := who(r).user
	return u != nil && !u.Disabled && (u.Role.Staff() || u.Role == civmap.RoleTeamLeader)
}

// visibleUsers lists the users the request's user may manage (auth.ManageUser), optionally of
// one role. Reading them is reading personal data: the caller audits it.
func (s *Server) visibleUsers(r *http.Request, role civmap.Role) ([]civmap.User, error) {
	all, err := s.cfg.Store.ListUsers(r.Context(), store.UserFilter{Role: role})
	if err != nil {
		return nil, err
	}
	chains := map[string]auth.Target{}
	var out []civmap.User
	for _, u := range all {
		t, ok := chains[u.Scope]
		if !ok {
			if t, err = s.target(r.Context(), u.Scope); err != nil {
				return nil, err
			}
			chains[u.Scope] = t
		}
		t.User = &u
		if auth.Authorize(who(r).user, auth.ManageUser, t) == nil {
			out = append(out, u)
		}
	}
	return out, nil
}

// auditRead records that the request's user read personal data (kind, ids): one audit record
// per response.
func (s *Server) auditRead(r *http.Request, kind string, recordID string, ids []int64) error {
	rec := store.NewAudit(r.Context(), s.cfg.Now(), civmap.AuditRead, kind, recordID, nil, nil, "")
	if len(ids) > 0 {
		rec.Note = "ids " + joinIDs(ids, 200)
	}
	return s.cfg.Store.AppendAudit(r.Context(), rec)
}

func joinIDs(ids []int64, max int) string {
	b := make([]byte, 0, 8*len(ids))
	for i, id := range ids {
		if i == max {
			b = append(b, " …(+"...)
			b = strconv.AppendInt(b, int64(len(ids)-max), 10)
			b = append(b, ')')
			break
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(b)
}

// handleMe serves GET /api/v1/me: the signed-in user (401 when anonymous), with how they are
// signed in.
func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	id := who(r)
	if id.user == nil {
		s.problem(w, r, auth.Authorize(nil, auth.ManageSessions, auth.Target{}))
		return
	}
	out := struct {
		userJSON
		Via string `json:"via"` // password | device | token
	}{userJSON: userOut(*id.user), Via: "token"}
	if id.session != nil {
		out.Via = string(id.session.Kind)
	}
	writeJSON(w, http.StatusOK, out)
}

// handleListUsers serves GET /api/v1/users?role= : the users the caller manages (admins: any in
// scope; station, post and team leaders: the volunteers in scope). Audited as a read.
func (s *Server) handleListUsers(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	if !s.mayListUsers(r) {
		s.problem(w, r, s.refuse(r))
		return
	}
	role := civmap.Role(r.URL.Query().Get("role"))
	if role != "" && !role.Valid() {
		s.problem(w, r, civmap.FieldErrorf("role", "unknown role %q", role))
		return
	}
	users, err := s.visibleUsers(r, role)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	out := make([]userJSON, 0, len(users))
	ids := make([]int64, 0, len(users))
	for _, u := range users {
		out = append(out, userOut(u))
		ids = append(ids, u.ID)
	}
	if err := s.auditRead(r, civmap.KindUser, "", ids); err != nil {
		s.problem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": out})
}

// refuse is the error for a signed-in user whose role lacks a permission, or 401 when
// anonymous.
func (s *Server) refuse(r *http.Request) error {
	if who(r).user == nil {
		return auth.Authorize(nil, auth.ManageUser, auth.Target{})
	}
	return &civmap.Error{Code: civmap.EFORBIDDEN, Message: "您的角色无权进行此操作"}
}

// handleGetUser serves GET /api/v1/users/{id} (yourself, or a user you manage; audited).
func (s *Server) handleGetUser(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	u, err := s.userByPath(r, auth.ManageSessions)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	if u.ID != who(r).user.ID {
		if err := s.auditRead(r, civmap.KindUser, strconv.FormatInt(u.ID, 10), nil); err != nil {
			s.problem(w, r, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, userOut(u))
}

type userRequest struct {
	Login    *string      `json:"login"`
	Name     *string      `json:"name"`
	Role     *civmap.Role `json:"role"`
	Scope    *string      `json:"scope"`
	Password *string      `json:"password"`
	Disabled *bool        `json:"disabled"`
}

// handleCreateUser serves POST /api/v1/users {login, name, role, scope, password?}: 201 with
// the user. Staff roles without a password get a generated one, returned once as "password";
// volunteers have none (they sign in by personal code). Admins create any role in scope;
// station, post and team leaders create volunteers in scope.
func (s *Server) handleCreateUser(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	var req userRequest
	if err := decodeJSON(w, r, &req); err != nil {
		s.problem(w, r, err)
		return
	}
	u := civmap.User{Role: civmap.RoleVolunteer}
	if req.Login != nil {
		u.Login = auth.NormalizeLogin(*req.Login)
	}
	if req.Name != nil {
		u.Name = *req.Name
	}
	if req.Role != nil {
		u.Role = *req.Role
	}
	if req.Scope != nil {
		u.Scope = *req.Scope
	}
	if req.Disabled != nil {
		u.Disabled = *req.Disabled
	}
	u, generated, err := s.createUser(r, u, req.Password)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	out := struct {
		userJSON
		Password string `json:"password,omitempty"`
	}{userOut(u), generated}
	w.Header().Set("Location", "/api/v1/users/"+strconv.FormatInt(u.ID, 10))
	writeJSON(w, http.StatusCreated, out)
}

// createUser checks and stores a new user for the request's user: valid fields, a scope that
// names a site of the right level (auth.CheckScope), ManageUser on it. A staff user without a
// password gets a generated one, returned.
func (s *Server) createUser(r *http.Request, u civmap.User, password *string) (civmap.User, string, error) {
	if err := u.Validate(); err != nil {
		return u, "", err
	}
	if err := s.checkScope(r, u); err != nil {
		return u, "", err
	}
	if err := s.authorizeUser(r, auth.ManageUser, u); err != nil {
		return u, "", err
	}
	generated := ""
	switch {
	case password != nil && u.Role == civmap.RoleVolunteer:
		return u, "", civmap.FieldErrorf("password", "志愿者用志愿者码登录，不设密码")
	case password != nil:
		h, err := auth.HashPassword(*password)
		if err != nil {
			return u, "", err
		}
		u.PasswordHash = h
	case u.Role != civmap.RoleVolunteer:
		generated = auth.NewPassword()
		h, err := auth.HashPassword(generated)
		if err != nil {
			return u, "", err
		}
		u.PasswordHash = h
	}
	u, err := s.cfg.Store.CreateUser(r.Context(), u)
	return u, generated, err
}

// checkScope checks that u's scope names an existing site fit for u's role.
func (s *Server) checkScope(r *http.Request, u civmap.User) error {
	if u.Scope == "" {
		return auth.CheckScope(u, nil)
	}
	site, err := s.cfg.Store.Site(r.Context(), u.Scope)
	if civmap.ErrorCode(err) == civmap.ENOTFOUND {
		return civmap.FieldErrorf("scope", "没有编码为 %s 的阵地", u.Scope)
	} else if err != nil {
		return err
	}
	return auth.CheckScope(u, &site)
}

// handleUpdateUser serves PATCH /api/v1/users/{id} {login?, name?, role?, scope?, password?,
// disabled?}: the user after the change. Who may manage the user before may change them, and
// must be able to manage them after (a station cannot move a volunteer out of its town or make
// them an admin). Disabling signs the user out everywhere. Users change their own password
// here too.
func (s *Server) handleUpdateUser(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	var req userRequest
	if err := decodeJSON(w, r, &req); err != nil {
		s.problem(w, r, err)
		return
	}
	u, err := s.userByPath(r, auth.ManageSessions)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	self := u.ID == who(r).user.ID
	selfOnly := req.Login == nil && req.Role == nil && req.Scope == nil && req.Disabled == nil
	if !self || !selfOnly {
		if err := s.authorizeUser(r, auth.ManageUser, u); err != nil {
			s.problem(w, r, err)
			return
		}
	}
	if req.Login != nil {
		u.Login = auth.NormalizeLogin(*req.Login)
	}
	if req.Name != nil {
		u.Name = *req.Name
	}
	if req.Role != nil {
		u.Role = *req.Role
	}
	if req.Scope != nil {
		u.Scope = *req.Scope
	}
	if req.Disabled != nil {
		u.Disabled = *req.Disabled
	}
	if err := u.Validate(); err != nil {
		s.problem(w, r, err)
		return
	}
	if err := s.checkScope(r, u); err != nil {
		s.problem(w, r, err)
		return
	}
	if !self || !selfOnly {
		if err := s.authorizeUser(r, auth.ManageUser, u); err != nil {
			s.problem(w, r, err)
			return
		}
	}
	if req.Password != nil {
		if u.Role == civmap.RoleVolunteer {
			s.problem(w, r, civmap.FieldErrorf("password", "志愿者用志愿者码登录，不设密码"))
			return
		}
		if u.PasswordHash, err = auth.HashPassword(*req.Password); err != nil {
			s.problem(w, r, err)
			return
		}
	}
	if u, err = s.cfg.Store.UpdateUser(r.Context(), u); err != nil {
		s.problem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, userOut(u))
}

// handleListSessions serves GET /api/v1/users/{id}/sessions: the user's signed-in browsers and
// phones (yourself, or a user you manage).
func (s *Server) handleListSessions(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	u, err := s.userByPath(r, auth.ManageSessions)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	list, err := s.cfg.Store.ListSessions(r.Context(), u.ID)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	now := s.cfg.Now()
	out := make([]sessionJSON, 0, len(list))
	for _, x := range list {
		out = append(out, sessionOut(x, now))
	}
	writeJSON(w, http.StatusOK, map[string]any{"sessions": out})
}

type sessionJSON struct {
	ID         int64              `json:"id"`
	UserID     int64              `json:"user_id"`
	Kind       civmap.SessionKind `json:"kind"`
	CreatedAt  time.Time          `json:"created_at"`
	LastSeenAt time.Time          `json:"last_seen_at"`
	ExpiresAt  time.Time          `json:"expires_at"`
	Addr       string             `json:"addr"`
	UserAgent  string             `json:"user_agent"`
	Active     bool               `json:"active"`
	RevokedAt  *time.Time         `json:"revoked_at,omitempty"`
}

func sessionOut(x civmap.Session, now time.Time) sessionJSON {
	j := sessionJSON{ID: x.ID, UserID: x.UserID, Kind: x.Kind, CreatedAt: x.CreatedAt, LastSeenAt: x.LastSeenAt,
		ExpiresAt: x.ExpiresAt, Addr: x.Addr, UserAgent: x.UserAgent, Active: x.Active(now)}
	if !x.RevokedAt.IsZero() {
		t := x.RevokedAt
		j.RevokedAt = &t
	}
	return j
}

// handleRevokeSession serves DELETE /api/v1/sessions/{id}: 204 after ending the session (yours,
// or of a user you manage; 404 otherwise).
func (s *Server) handleRevokeSession(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	if who(r).user == nil {
		s.problem(w, r, s.refuse(r))
		return
	}
	id, err := strconv.ParseInt(mux.Vars(r)["id"], 10, 64)
	if err != nil {
		s.problem(w, r, civmap.FieldErrorf("id", "id must be an integer"))
		return
	}
	if err := s.revokeSession(r, id); err != nil {
		s.problem(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
