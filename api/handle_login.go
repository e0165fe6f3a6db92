package api

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"civmap"
	"civmap/auth"
	"civmap/web"
	"civmap/workflow"

	"github.com/gorilla/mux"
)

// viewer is the page form of the request's user (nil when anonymous).
func (s *Server) viewer(r *http.Request) *web.Viewer {
	u := who(r).user
	if u == nil {
		return nil
	}
	return &web.Viewer{Name: u.Name, Login: u.Login, RoleTitle: u.Role.Title(), Staff: u.Role.Staff(),
		Manager: u.Role.Staff() || u.Role == civmap.RoleTeamLeader}
}

// localPath returns next when it is a path on this site ("/me", "/s/430682?x=1"), else "/me":
// the login form's "next" must not send anyone to another host.
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		strings.ContainsAny(next, "\r\n\x00") {
		return "/me"
	}
	return next
}

// noStore marks a response that holds personal or secret data: never cached, no referrer sent
// from it.
func noStore(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
}

// handleLoginPage serves GET /login: the staff sign-in form (no JavaScript needed).
func (s *Server) handleLoginPage(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	q := r.URL.Query()
	s.render(w, r, http.StatusOK, "login.html", web.LoginPage{Next: localPath(q.Get("next")), Out: q.Get("out") == "1", Viewer: s.viewer(r)})
}

// handleLogin serves POST /login (form: login, password, next): 303 to next with a session
// cookie; the form again with "登录名或密码错误" (401) or the back-off's wait (429 with
// Retry-After). The answer for an unknown login is byte-identical to that for a wrong password.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	page := web.LoginPage{Next: "/me"}
	if err := r.ParseForm(); err != nil {
		page.Error = "表单内容过长或格式错误"
		s.render(w, r, http.StatusBadRequest, "login.html", page)
		return
	}
	page.Next = localPath(r.PostForm.Get("next"))
	login := auth.NormalizeLogin(r.PostForm.Get("login"))
	if len(login) <= 64 {
		page.Login = login
	}
	cred, err := s.auth.SignIn(r.Context(), login, r.PostForm.Get("password"), who(r).addr, r.UserAgent())
	if err != nil {
		page.Error = civmap.ErrorMessage(err)
		status := statusFor(err)
		if d := civmap.ErrorRetry(err); d > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(d/time.Second)))
		}
		if status == http.StatusInternalServerError {
			s.logInternal(r, err)
		}
		page.Login = "" // identical answers whatever was typed
		s.render(w, r, status, "login.html", page)
		return
	}
	s.setSessionCookie(w, cred)
	http.Redirect(w, r, page.Next, http.StatusSeeOther)
}

// handleLogout serves POST /logout: ends the session and clears the cookie, then 303 to
// /login?out=1. Without a session it only clears the cookie.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	if sess := who(r).session; sess != nil {
		if err := s.cfg.Store.RevokeSession(r.Context(), sess.ID); err != nil {
			s.problem(w, r, err)
			return
		}
	}
	s.clearCookie(w)
	http.Redirect(w, r, "/login?out=1", http.StatusSeeOther)
}

// requirePage sends anonymous visitors of a signed-in page to /login (303, back here after);
// it reports whether the request may go on.
func (s *Server) requirePage(w http.ResponseWriter, r *http.Request) bool {
	if who(r).user != nil {
		return true
	}
	http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
	return false
}

// handleMePage serves GET /me: who I am, where I work, and my signed-in browsers and phones
// (each revocable).
func (s *Server) handleMePage(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	if !s.requirePage(w, r) {
		return
	}
	id := who(r)
	p := web.MePage{Viewer: s.viewer(r), User: *id.user, RoleTitle: id.user.Role.Title(), ScopeName: s.scopeName(r, id.user.Scope)}
	if r.URL.Query().Get("revoked") == "1" {
		p.Notice = "已退出该设备的登录。"
	}
	if a := r.URL.Query().Get("done"); a != "" {
		p.Notice = "已" + actionName(workflow.Action(a)) + "。"
	}
	p.Console = id.user.Role.Staff()
	if id.user.Role == civmap.RoleVolunteer {
		desk, err := s.volunteerDesk(r, id.user)
		if err != nil {
			s.problem(w, r, err)
			return
		}
		p.Desk = desk
	}
	sessions, err := s.cfg.Store.ListSessions(r.Context(), id.user.ID)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	now := s.cfg.Now()
	for _, x := range sessions {
		if !x.Active(now) {
			continue
		}
		kind := "密码登录"
		if x.Kind == civmap.SessionDevice {
			kind = "志愿者码登录"
		}
		p.Sessions = append(p.Sessions, web.SessionRow{Session: x, KindTitle: kind, Current: id.session != nil && id.session.ID == x.ID})
	}
	s.render(w, r, http.StatusOK, "me.html", p)
}

// scopeName names a scope for pages: the site's name, or 全市 for the whole network.
func (s *Server) scopeName(r *http.Request, scope string) string {
	if scope == "" {
		return "全市"
	}
	if x, err := s.cfg.Store.Site(r.Context(), scope); err == nil {
		return x.Name
	}
	return scope
}

// handleRevokeSessionForm serves POST /me/sessions/{id}/revoke: signs out one of my browsers
// or phones (others' sessions go through the API with ManageSessions).
func (s *Server) handleRevokeSessionForm(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	if !s.requirePage(w, r) {
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
	if cur := who(r).session; cur != nil && cur.ID == id {
		s.clearCookie(w)
		http.Redirect(w, r, "/login?out=1", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/me?revoked=1", http.StatusSeeOther)
}

// revokeSession ends session id if the request's user may manage its owner's sessions;
// ENOTFOUND for a session they may not see.
func (s *Server) revokeSession(r *http.Request, id int64) error {
	sess, err := s.cfg.Store.Session(r.Context(), id)
	if err != nil {
		return err
	}
	owner, err := s.cfg.Store.User(r.Context(), sess.UserID)
	if err != nil {
		return err
	}
	if err := s.authorizeUser(r, auth.ManageSessions, owner); err != nil {
		if civmap.ErrorCode(err) == civmap.EFORBIDDEN {
			return civmap.Errorf(civmap.ENOTFOUND, "没有编号为 %d 的会话", id)
		}
		return err
	}
	return s.cfg.Store.RevokeSession(r.Context(), id)
}

// handleCodePage serves GET /p/{code}, what a volunteer's personal code opens: whose code it
// is and a button that signs this phone in. (A GET changes nothing, so link previews and
// prefetchers cannot sign anyone in.)
func (s *Server) handleCodePage(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	code := mux.Vars(r)["code"]
	u, err := s.auth.CodeUser(r.Context(), code)
	if err != nil {
		s.codeError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "code.html", web.CodePage{Viewer: s.viewer(r), Name: u.Name, Site: s.scopeName(r, u.Scope), Code: code})
}

func (s *Server) codeError(w http.ResponseWriter, r *http.Request, err error) {
	status := statusFor(err)
	if status == http.StatusInternalServerError {
		s.logInternal(r, err)
	}
	s.render(w, r, status, "code.html", web.CodePage{Viewer: s.viewer(r), Error: civmap.ErrorMessage(err)})
}

// handleCodeSignIn serves POST /p/{code}: a device session for the volunteer whose code it is
// (cookie kept for a year, DefaultDeviceMaxAge), then 303 to /me.
func (s *Server) handleCodeSignIn(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	cred, err := s.auth.SignInWithCode(r.Context(), mux.Vars(r)["code"], who(r).addr, r.UserAgent())
	if err != nil {
		s.codeError(w, r, err)
		return
	}
	// Signing in over another account's session: end that one.
	if old := who(r).session; old != nil {
		if err := s.cfg.Store.RevokeSession(r.Context(), old.ID); err != nil {
			s.problem(w, r, err)
			return
		}
	}
	s.setSessionCookie(w, cred)
	http.Redirect(w, r, "/me", http.StatusSeeOther)
}
