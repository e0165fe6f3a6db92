package api

import (
	"bytes"
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"
	"strconv"

	"civmap"
	"civmap/auth"
	"civmap/qr"
	"civmap/qr/poster"
	"civmap/web"
)

// codeURL is the sign-in URL a personal code's QR carries: {public-url}/p/{code}.
func (s *Server) codeURL(code string) string { return s.cfg.PublicURL + "/p/" + url.PathEscape(code) }

// issueCode gives the {id} volunteer a new personal code for a caller allowed auth.IssueCode
// (404 for users beyond their reach; 400 for a user who is not a volunteer).
func (s *Server) issueCode(r *http.Request) (string, civmap.User, error) {
	u, err := s.userByPath(r, auth.ManageSessions)
	if err == nil && u.Role != civmap.RoleVolunteer {
		return "", u, civmap.FieldErrorf("role", "志愿者码只发给志愿者账号，%s 是%s", u.Login, u.Role.Title())
	}
	if err == nil {
		u, err = s.userByPath(r, auth.IssueCode)
	}
	if err != nil {
		return "", u, err
	}
	return s.auth.IssueCode(r.Context(), u.ID)
}

// codePNG is the QR code of a sign-in URL as a PNG, 8 px per module (a phone reads it off a
// screen).
func codePNG(signIn string) ([]byte, error) {
	c, err := qr.Encode(signIn, qr.Q)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	err = c.WritePNG(&buf, 8)
	return buf.Bytes(), err
}

// handleIssueCode serves POST /api/v1/users/{id}/code?format=json|png|pdf: issues the volunteer
// a new personal code, revoking the old one and the phones signed in with it, and returns it
// once — JSON {"url", "png" (a data: URI)}, the QR code as a PNG, or the printable card as a
// PDF. The code itself is never stored (only its hash) and cannot be shown again.
func (s *Server) handleIssueCode(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	format := r.URL.Query().Get("format")
	if format != "" && format != "json" && format != "png" && format != "pdf" {
		s.problem(w, r, civmap.FieldErrorf("format", "format is json, png or pdf"))
		return
	}
	var font *poster.Font
	if format == "pdf" { // check the font before revoking the old code
		var err error
		if font, err = s.posterFont(); err != nil {
			s.problem(w, r, err)
			return
		}
	}
	code, u, err := s.issueCode(r)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	signIn := s.codeURL(code)
	switch format {
	case "pdf":
		s.writeCard(w, r, font, u, signIn)
		return
	}
	png, err := codePNG(signIn)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	if format == "png" {
		w.Header().Set("Content-Type", "image/png")
		w.Header().Set("Content-Length", strconv.Itoa(len(png)))
		w.Write(png)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": userOut(u), "url": signIn,
		"png": "data:image/png;base64," + base64.StdEncoding.EncodeToString(png)})
}

func (s *Server) writeCard(w http.ResponseWriter, r *http.Request, font *poster.Font, u civmap.User, signIn string) {
	var buf bytes.Buffer
	err := poster.WriteCardPDF(&buf, font, poster.Card{Name: u.Name, Site: s.scopeName(r, u.Scope), URL: signIn, IssuedAt: u.CodeIssuedAt})
	if err != nil {
		s.problem(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="volunteer-card-`+strconv.FormatInt(u.ID, 10)+`.pdf"`)
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.Write(buf.Bytes())
}

// handleIssueCodeForm serves POST /users/{id}/code from the users page: issues the code and
// shows it once — the QR to scan off the screen, and a button to print the card.
func (s *Server) handleIssueCodeForm(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	if !s.requirePage(w, r) {
		return
	}
	code, u, err := s.issueCode(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	signIn := s.codeURL(code)
	png, err := codePNG(signIn)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "code.html", web.CodePage{Viewer: s.viewer(r), Issued: true, Name: u.Name,
		Site: s.scopeName(r, u.Scope), Code: code, URL: signIn, UserID: u.ID,
		PNG: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))})
}

// handleCardForm serves POST /users/{id}/card.pdf (form: code): the printable card of a code
// just issued — the posted code must be the user's current one, so the card cannot be made for
// a code one does not hold, nor for a replaced one.
func (s *Server) handleCardForm(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	if !s.requirePage(w, r) {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if err := r.ParseForm(); err != nil {
		s.pageError(w, r, civmap.FieldErrorf("code", "表单格式错误"))
		return
	}
	u, err := s.userByPath(r, auth.IssueCode)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if u.CodeHash == "" || auth.HashSecret(r.PostForm.Get("code")) != u.CodeHash {
		s.pageError(w, r, civmap.FieldErrorf("code", "该志愿者码已作废，请重新签发"))
		return
	}
	font, err := s.posterFont()
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.writeCard(w, r, font, u, s.codeURL(r.PostForm.Get("code")))
}

// pageError shows an error as a page with its status.
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, err error) {
	status := statusFor(err)
	if status == http.StatusInternalServerError {
		s.logInternal(r, err)
	}
	if d := civmap.ErrorRetry(err); d > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(d.Seconds())))
	}
	s.render(w, r, status, "notice.html", web.NoticePage{Title: "无法完成", Message: civmap.ErrorMessage(err),
		Link: "/me", LinkText: "返回我的账号"})
}
