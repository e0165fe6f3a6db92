package api

import (
	"net/url"
	"strings"

	"civmap"
	"civmap/tiles"
)

// PublicNeedsMaxRes is the finest H3 resolution of needs clusters the public may read (average
// edge ~0.46 km, H3 documentation): finer cells could single out a resident's home. Finer ones
// are for staff whose scope is the whole network (auth.ReadPersonal).
const PublicNeedsMaxRes = tiles.MaxClusterLayerRes

// CheckPublicURL checks a public base URL: an absolute http or https URL with a host and no
// query, fragment or credentials, since site URLs are built by appending /s/{code}. ""
// passes (callers that need one say so). Errors are EINVALID naming "public-url".
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
