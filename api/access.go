package api

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"

	"civmap"
	"civmap/tiles"
)

// PublicNeedsMaxRes is the finest H3 resolution of needs clusters the public may read (average
// edge ~0.46 km, H3 documentation): finer cells could single out a resident's home.
const PublicNeedsMaxRes = tiles.MaxClusterLayerRes

// isDispatcher reports whether the request carries the configured dispatcher bearer token
// (compared in constant time). With no token configured nobody is a dispatcher.
func (s *Server) isDispatcher(r *http.Request) bool {
	if s.cfg.DispatcherToken == "" {
		return false
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), []byte(s.cfg.DispatcherToken)) == 1
}

// CheckPublicURL checks a public base URL ("" is allowed: the request's host is used): an
// absolute http or https URL with a host and no query or fragment, since site URLs are built
// by appending /s/{code}. Errors are EINVALID naming "public-url".
func CheckPublicURL(s string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return civmap.FieldErrorf("public-url", "public URL %q is not a URL: %v", s, err)
	case u.Scheme != "http" && u.Scheme != "https":
		return civmap.FieldErrorf("public-url", "public URL %q must start with http:// or https://", s)
	case u.Host == "":
		return civmap.FieldErrorf("public-url", "public URL %q has no host", s)
	case u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(s, "?#"):
		return civmap.FieldErrorf("public-url", "public URL %q must not have a query or fragment", s)
	case u.User != nil:
		return civmap.FieldErrorf("public-url", "public URL %q must not hold credentials", s)
	}
	return nil
}
