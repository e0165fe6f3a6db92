package api

import (
	"net/http"
	"strings"

	"civmap"
	"civmap/auth"
	"civmap/web"
)

// handleUsersPage serves GET /users: the users the signed-in user manages (audited as a read
// of personal data), a form to add one, and a button per volunteer to issue a personal code.
func (s *Server) handleUsersPage(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	if !s.requirePage(w, r) {
		return
	}
	s.usersPage(w, r, http.StatusOK, web.UsersPage{})
}

func (s *Server) usersPage(w http.ResponseWriter, r *http.Request, status int, p web.UsersPage) {
	if !s.mayListUsers(r) {
		s.pageError(w, r, s.refuse(r))
		return
	}
	me := who(r).user
	p.Viewer = s.viewer(r)
	if p.Form.Scope == "" {
		p.Form.Scope = me.Scope
	}
	users, err := s.visibleUsers(r, "")
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	names := map[string]string{}
	ids := make([]int64, 0, len(users))
	for _, u := range users {
		name, ok := names[u.Scope]
		if !ok {
			name = s.scopeName(r, u.Scope)
			names[u.Scope] = name
		}
		row := web.UserRow{User: u, RoleTitle: u.Role.Title(), ScopeName: name}
		row.CanCode = u.Role == civmap.RoleVolunteer && !u.Disabled && s.authorizeUser(r, auth.IssueCode, u) == nil
		p.Users = append(p.Users, row)
		ids = append(ids, u.ID)
	}
	if err := s.auditRead(r, civmap.KindUser, "", ids); err != nil {
		s.pageError(w, r, err)
		return
	}
	if me.Role == civmap.RoleAdmin {
		for _, role := range civmap.Roles {
			p.Roles = append(p.Roles, web.RoleOption{Role: role, Title: role.Title()})
		}
	} else {
		p.Roles = []web.RoleOption{{Role: civmap.RoleVolunteer, Title: civmap.RoleVolunteer.Title()}}
	}
	s.render(w, r, status, "users.html", p)
}

// handleCreateUserForm serves POST /users (form: login, name, role, scope): adds a user and
// shows the page again — with a generated password, once, for staff roles.
func (s *Server) handleCreateUserForm(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	if !s.requirePage(w, r) {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	var p web.UsersPage
	if err := r.ParseForm(); err != nil {
		p.Error = "表单内容过长或格式错误"
		s.usersPage(w, r, http.StatusBadRequest, p)
		return
	}
	f := r.PostForm
	p.Form.Login, p.Form.Name = strings.TrimSpace(f.Get("login")), strings.TrimSpace(f.Get("name"))
	p.Form.Role, p.Form.Scope = f.Get("role"), strings.TrimSpace(f.Get("scope"))
	u := civmap.User{Login: auth.NormalizeLogin(p.Form.Login), Name: p.Form.Name, Role: civmap.Role(p.Form.Role), Scope: p.Form.Scope}
	u, password, err := s.createUser(r, u, nil)
	if err != nil {
		p.Error = userFormMessage(err)
		s.usersPage(w, r, statusFor(err), p)
		return
	}
	p.Created, p.CreatedPassword = &u, password
	p.Form = struct{ Login, Name, Role, Scope string }{}
	s.usersPage(w, r, http.StatusCreated, p)
}

// userFormMessage says in Chinese what is wrong with the add-user form.
func userFormMessage(err error) string {
	switch civmap.ErrorField(err) {
	case "login":
		return "登录名为 2–32 位小写字母、数字或 . _ -，以字母或数字开头。"
	case "name":
		return "请填写姓名（不超过 100 字）。"
	case "role":
		return "请选择角色。"
	}
	if civmap.ErrorCode(err) == civmap.ECONFLICT {
		return "该登录名已被使用，请换一个。"
	}
	if civmap.ErrorCode(err) == civmap.EINTERNAL {
		return "保存失败，请稍后再试。"
	}
	return civmap.ErrorMessage(err)
}
