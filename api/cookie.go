package api

import (
	"net/http"
	"strings"
	"time"

	"civmap/auth"
)

// cookieName is the session cookie's name: with the __Host- prefix when the public URL is https
// (browsers then insist on Secure, Path=/ and no Domain, so no subdomain can plant or read it).
func (s *Server) cookieName() string {
	if s.secure() {
		return "__Host-civmap_session"
	}
	return "civmap_session"
}

// secure reports whether the service is reached over https (Config.PublicURL), so cookies are
// Secure.
func (s *Server) secure() bool { return strings.HasPrefix(s.cfg.PublicURL, "https://") }

// setSessionCookie sends the session's secret: HttpOnly (no script reads it), SameSite=Lax
// (not sent with cross-site POSTs), Secure over https. A staff (password) session lives as long
// as the browser stays open; a volunteer's phone keeps its device session until it expires.
func (s *Server) setSessionCookie(w http.ResponseWriter, c auth.Credential) {
	ck := &http.Cookie{Name: s.cookieName(), Value: c.Secret, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.secure()}
	if c.Session.Kind == "device" {
		ck.Expires = c.Session.ExpiresAt
		ck.MaxAge = int(time.Until(c.Session.ExpiresAt).Seconds())
	}
	http.SetCookie(w, ck)
}

// clearCookie tells the browser to forget the session cookie.
func (s *Server) clearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(), Value: "", Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.secure(), MaxAge: -1})
}
