package api

import (
	"context"
	"net/http"
	"net/netip"
	"strings"

	"civmap"
	"civmap/auth"
	"civmap/store"

	"github.com/gorilla/mux"
)

// identity is who made a request: a signed-in user (by session cookie or API token) or an
// anonymous client, and the client's address.
type identity struct {
	user    *civmap.User    // nil: anonymous
	session *civmap.Session // set when signed in by cookie
	token   *civmap.APIToken
	addr    string
}

// scope is the signed-in user's scope ("" when anonymous or county-wide): the place whose
// chain authorizes actions on "everything the user sees".
func (id identity) scope() string {
	if id.user == nil {
		return ""
	}
	return id.user.Scope
}

type identityKey struct{}

// who returns the request's identity (anonymous when the identify middleware did not run).
func who(r *http.Request) identity {
	if id, ok := r.Context().Value(identityKey{}).(identity); ok {
		return id
	}
	return identity{}
}

// publicPrefixes are routes that serve the same bytes to everyone and never write: requests to
// them are not identified, so that a signed-in user's map does not cost a session lookup per
// tile.
var publicPrefixes = []string{"/tiles/", "/static/", "/glyphs/", "/qr/", "/healthz", "/metrics"}

// identify resolves the caller of every request (but publicPrefixes) before its handler runs:
// an "Authorization: Bearer" API token (a bad one is 401 at once: the caller asked to be
// someone), else the session cookie (a bad or expired one is dropped and the request goes on
// anonymously), else anonymous. The context then carries the identity and the civmap.Actor
// that stores record in the audit log.
func (s *Server) identify(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tpl := routeTemplate(r); tpl != "" {
			for _, p := range publicPrefixes {
				if strings.HasPrefix(tpl, p) {
					next.ServeHTTP(w, r)
					return
				}
			}
		}
		id := identity{addr: s.clientAddr(r)}
		if h := r.Header.Get("Authorization"); h != "" {
			secret, ok := strings.CutPrefix(h, "Bearer ")
			if !ok {
				s.problem(w, r, &civmap.Error{Code: civmap.EUNAUTHORIZED, Field: "Authorization", Message: "Authorization 须为 Bearer 令牌"})
				return
			}
			u, tok, err := s.auth.AuthenticateToken(r.Context(), strings.TrimSpace(secret))
			if err != nil {
				s.problem(w, r, err)
				return
			}
			id.user, id.token = &u, &tok
		} else if c, err := r.Cookie(s.cookieName()); err == nil {
			u, sess, err := s.auth.Authenticate(r.Context(), c.Value)
			switch {
			case err == nil:
				id.user, id.session = &u, &sess
			case civmap.ErrorCode(err) == civmap.EUNAUTHORIZED:
				s.clearCookie(w)
			default:
				s.problem(w, r, err)
				return
			}
		}
		actor := civmap.Actor{Addr: id.addr}
		if id.user != nil {
			actor.UserID, actor.Login, actor.Role = id.user.ID, id.user.Login, id.user.Role
		}
		ctx := context.WithValue(civmap.WithActor(r.Context(), actor), identityKey{}, id)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func routeTemplate(r *http.Request) string {
	if cur := mux.CurrentRoute(r); cur != nil {
		if t, err := cur.GetPathTemplate(); err == nil {
			return t
		}
	}
	return ""
}

// authorize asks auth.Authorize whether the request's user may do act on the place with code
// (its site chain; "" for the whole network).
func (s *Server) authorize(r *http.Request, act auth.Action, code string) error {
	t, err := s.target(r.Context(), code)
	if err != nil {
		return err
	}
	return auth.Authorize(who(r).user, act, t)
}

// target is the auth.Target of the place with code: its site chain, or the chain of the top
// of the network for "" (so that an admin scoped to the center acts county-wide).
func (s *Server) target(ctx context.Context, code string) (auth.Target, error) {
	if code == "" {
		root, err := s.rootCode(ctx)
		if err != nil || root == "" {
			return auth.Target{}, err
		}
		code = root
	}
	chain, err := s.cfg.Store.SiteChain(ctx, code)
	if civmap.ErrorCode(err) == civmap.ENOTFOUND {
		return auth.Target{Chain: []string{code}}, nil // an unknown place: in no one's scope but the whole network's
	}
	return auth.Target{Chain: chain}, err
}

// rootCode is the code of the top of the network: the one center site ("" when there is not
// exactly one).
func (s *Server) rootCode(ctx context.Context) (string, error) {
	sites, err := s.cfg.Store.ListSites(ctx, store.SiteFilter{Level: civmap.LevelCenter})
	if err != nil || len(sites) != 1 {
		return "", err
	}
	return sites[0].Code, nil
}

// clientAddr is the client's IP address: the connection's peer, or — when the peer is one of
// Config.TrustedProxies — the right-most address in X-Forwarded-For that is not a trusted
// proxy. X-Forwarded-For from any other peer is ignored, since a client can write anything
// there.
func (s *Server) clientAddr(r *http.Request) string {
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	addr := peer.Addr().Unmap()
	if !s.trusted(addr) {
		return addr.String()
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		h, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a malformed hop: trust nothing further left
		}
		addr = h.Unmap()
		if !s.trusted(addr) {
			break
		}
	}
	return addr.String()
}

func (s *Server) trusted(a netip.Addr) bool {
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ParseTrustedProxies parses a comma-separated list of addresses and CIDR prefixes
// ("10.0.0.0/8, 192.0.2.1"). EINVALID naming "trusted-proxies" for a bad entry.
func ParseTrustedProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, civmap.FieldErrorf("trusted-proxies", "%q is not an IP address or CIDR prefix", f)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}
