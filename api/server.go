// Package api is civmap's HTTP interface (gorilla/mux): vector tiles and TileJSON, the JSON API
// under /api/v1 (GeoJSON for features, RFC 9457 problem+json for errors), QR codes, the site
// pages residents reach by scanning, the public map, server-sent events and Prometheus metrics.
package api

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"civmap"
	"civmap/auth"
	"civmap/geo/gazetteer"
	"civmap/live"
	"civmap/qr"
	"civmap/store"
	"civmap/tiles"
	"civmap/workflow"

	"github.com/gorilla/mux"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/paulmach/orb"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Config configures a Server.
type Config struct {
	Store store.Store // required
	Bus   *live.Bus   // nil: events are not published
	// PublicURL is the base URL residents reach the service at (e.g. "https://map.example.cn"),
	// required: QR codes, TileJSON and links carry it, and session cookies are Secure when it is
	// https. The request's Host and X-Forwarded-Proto are never used to build URLs.
	PublicURL string
	// BaseLayerURL is an optional raster tile URL template for the map (e.g. 天地图 with the
	// operator's own token); BaseLayerAttribution credits it.
	BaseLayerURL, BaseLayerAttribution string
	Title                              string        // map title; default "临湘市新时代文明实践地图"
	TileTimeout                        time.Duration // per tile render; default 10 s
	TileCacheSize                      int           // tiles kept in memory; default 4096
	Logger                             *slog.Logger  // default slog.Default()
	Now                                func() time.Time
	Registry                           *prometheus.Registry // metrics; default a new registry
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names the client
	// (clientAddr); from any other peer the header is ignored. Empty: no proxy is trusted.
	TrustedProxies []netip.Prefix
	// NeedLimitAddr and NeedLimitSite limit anonymous need submissions per client address and
	// per site; zero values take DefaultNeedLimitAddr and DefaultNeedLimitSite.
	NeedLimitAddr, NeedLimitSite Rate
	// Auth tunes sessions and the sign-in back-off (auth.Service; its Store and Now are set
	// from Store and Now). Zero: the auth package's defaults.
	Auth auth.Service
	// Kick, when set, is called after every workflow write, so the notification sender delivers
	// at once instead of at its next poll (notify.Sender.Kick).
	Kick func()
	// Notifications, when set, is where personal event streams (/api/v1/me/events) subscribe.
	Notifications Subscriber
	// Gazetteer returns the tree the geocoding endpoints use; default gazetteer.National,
	// loaded on the first geocoding request.
	Gazetteer func() (*gazetteer.Gazetteer, error)
	// PosterFont is the CJK font file or directory for the printable posters (qr/poster.LoadFont);
	// empty: Debian's font paths (poster.DefaultFonts).
	PosterFont string
}

// Server serves civmap over HTTP. Create it with New.
type Server struct {
	cfg   Config
	cache *tiles.Cache
	// qrCodes memoises encoded codes by level and payload: qr.Encode decodes every symbol back
	// at several scales before returning it (milliseconds), and a county has a few hundred codes.
	qrCodes *lru.Cache[string, *qr.Code]
	router  *mux.Router
	handler http.Handler // router behind cross-origin protection
	metrics *metrics
	posters posterState
	auth    *auth.Service
	limits  needLimits
	secrets sync.Map // name → []byte: store secrets, read once
}

// secret returns the store's secret name (store.Secrets), read once per process.
func (s *Server) secret(ctx context.Context, name string) ([]byte, error) {
	if v, ok := s.secrets.Load(name); ok {
		return v.([]byte), nil
	}
	b, err := s.cfg.Store.Secret(ctx, name)
	if err != nil {
		return nil, err
	}
	s.secrets.Store(name, b)
	return b, nil
}

// kick wakes the notification sender (Config.Kick).
func (s *Server) kick() {
	if s.cfg.Kick != nil {
		s.cfg.Kick()
	}
}

// New checks cfg and builds the routes.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, fmt.Errorf("api: no store")
	}
	if cfg.Title == "" {
		cfg.Title = "临湘市新时代文明实践地图"
	}
	if cfg.TileTimeout <= 0 {
		cfg.TileTimeout = 10 * time.Second
	}
	if cfg.TileCacheSize <= 0 {
		cfg.TileCacheSize = 4096
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Gazetteer == nil {
		cfg.Gazetteer = gazetteer.National
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	if cfg.PublicURL == "" {
		return nil, civmap.FieldErrorf("public-url", "a public URL is required: QR codes and links carry it")
	}
	if err := CheckPublicURL(cfg.PublicURL); err != nil {
		return nil, err
	}
	if cfg.NeedLimitAddr.N == 0 {
		cfg.NeedLimitAddr = DefaultNeedLimitAddr
	}
	if cfg.NeedLimitSite.N == 0 {
		cfg.NeedLimitSite = DefaultNeedLimitSite
	}
	cache, err := tiles.NewCache(cfg.TileCacheSize)
	if err != nil {
		return nil, err
	}
	qrCodes, err := lru.New[string, *qr.Code](1024)
	if err != nil {
		return nil, err
	}
	authSvc := cfg.Auth
	authSvc.Store, authSvc.Now = cfg.Store, cfg.Now
	s := &Server{cfg: cfg, cache: cache, qrCodes: qrCodes, router: mux.NewRouter(), metrics: newMetrics(cfg.Registry),
		posters: posterState{sem: make(chan struct{}, maxPosterRenders)}, auth: &authSvc,
		limits: needLimits{addr: newLimiter(cfg.NeedLimitAddr, cfg.Now), site: newLimiter(cfg.NeedLimitSite, cfg.Now)}}
	s.routes()
	// Cross-site request forgery: a state-changing request that a browser marks as coming from
	// another origin (Sec-Fetch-Site, or Origin against Host) is refused with 403, whatever
	// cookie it carries. Requests without those headers (scripts with bearer tokens) pass.
	cop := http.NewCrossOriginProtection()
	if err := cop.AddTrustedOrigin(originOf(cfg.PublicURL)); err != nil {
		return nil, civmap.FieldErrorf("public-url", "public URL %q: %v", cfg.PublicURL, err)
	}
	cop.SetDenyHandler(http.HandlerFunc(s.handleCrossOrigin))
	s.handler = cop.Handler(s.router)
	return s, nil
}

// originOf is the scheme://host[:port] of a URL (CheckPublicURL has accepted it).
func originOf(u string) string {
	if i := strings.Index(u[len("https://"):], "/"); i >= 0 {
		return u[:len("https://")+i]
	}
	return u
}

// Handler returns the root handler.
func (s *Server) Handler() http.Handler { return s.handler }

// PublicURL is the base URL that QR codes and links carry.
func (s *Server) PublicURL() string { return s.cfg.PublicURL }

func (s *Server) routes() {
	r := s.router
	r.Use(s.recoverPanics, s.instrument, s.identify)

	r.HandleFunc("/tiles/{layers}/{z}/{x}/{y}.mvt", s.handleTile).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/tiles/{layers}.json", s.handleTileJSON).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/glyphs/{fontstack}/{range}.pbf", s.handleGlyphs).Methods(http.MethodGet)

	const v1 = "/api/v1"
	r.HandleFunc(v1+"/sites", s.handleListSites).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc(v1+"/sites/{code}", s.handleGetSite).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc(v1+"/venues", s.handleListVenues).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc(v1+"/activities", s.handleListActivities).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc(v1+"/sites/{code}", s.handlePutSite).Methods(http.MethodPut)
	r.HandleFunc(v1+"/venues/{code}", s.handleGetVenue).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc(v1+"/venues/{code}", s.handlePutVenue).Methods(http.MethodPut)
	r.HandleFunc(v1+"/activities", s.handleCreateActivity).Methods(http.MethodPost)
	r.HandleFunc(v1+"/activities/{id}", s.handleGetActivity).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc(v1+"/activities/{id}", s.handleUpdateActivity).Methods(http.MethodPatch)
	r.HandleFunc(v1+"/activities/{id}/moderation", s.handleModerate(civmap.KindActivity)).Methods(http.MethodPut)
	r.HandleFunc(v1+"/needs", s.handleListNeeds).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc(v1+"/needs", s.handleCreateNeed).Methods(http.MethodPost)
	r.HandleFunc(v1+"/needs/{id}", s.handleGetNeed).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc(v1+"/needs/{id}/moderation", s.handleModerate(civmap.KindNeed)).Methods(http.MethodPut)
	r.HandleFunc(v1+"/needs/{id}/transitions", s.handleTransition).Methods(http.MethodPost)
	r.HandleFunc(v1+"/needs/{id}/history", s.handleNeedHistory).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc(v1+"/needs/{id}/candidates", s.handleCandidates).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc(v1+"/volunteers", s.handleListVolunteers).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc(v1+"/volunteers", s.handleCreateVolunteer).Methods(http.MethodPost)
	r.HandleFunc(v1+"/volunteers/nearest", s.handleNearestVolunteers).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc(v1+"/volunteers/{id}", s.handleGetVolunteer).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc(v1+"/volunteers/{id}", s.handleUpdateVolunteer).Methods(http.MethodPatch)
	r.HandleFunc(v1+"/volunteers/{id}/code", s.handleVolunteerCode).Methods(http.MethodPost)
	r.HandleFunc(v1+"/teams", s.handleListTeams).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc(v1+"/teams", s.handlePutTeam).Methods(http.MethodPost)
	r.HandleFunc(v1+"/teams/{id}", s.handlePutTeam).Methods(http.MethodPatch)
	r.HandleFunc(v1+"/me/events", s.handleMyEvents).Methods(http.MethodGet)
	r.HandleFunc(v1+"/me", s.handleMe).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc(v1+"/users", s.handleListUsers).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc(v1+"/users", s.handleCreateUser).Methods(http.MethodPost)
	r.HandleFunc(v1+"/users/{id}", s.handleGetUser).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc(v1+"/users/{id}", s.handleUpdateUser).Methods(http.MethodPatch)
	r.HandleFunc(v1+"/users/{id}/code", s.handleIssueCode).Methods(http.MethodPost)
	r.HandleFunc(v1+"/users/{id}/sessions", s.handleListSessions).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc(v1+"/sessions/{id}", s.handleRevokeSession).Methods(http.MethodDelete)
	r.HandleFunc(v1+"/tokens", s.handleListTokens).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc(v1+"/tokens", s.handleCreateToken).Methods(http.MethodPost)
	r.HandleFunc(v1+"/tokens/{id}", s.handleRevokeToken).Methods(http.MethodDelete)
	r.HandleFunc(v1+"/audit", s.handleAudit).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc(v1+"/clusters", s.handleClusters).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc(v1+"/events", s.handleEvents).Methods(http.MethodGet)
	r.HandleFunc(v1+"/geocode", s.handleGeocode).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc(v1+"/geocode", s.handleGeocodeBatch).Methods(http.MethodPost)

	r.HandleFunc("/qr/{code}.png", s.handleQRPNG).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/qr/{code}.svg", s.handleQRSVG).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/qr/posters.pdf", s.handlePostersPDF).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/qr/{code}/poster.svg", s.handlePosterSVG).Methods(http.MethodGet, http.MethodHead)

	r.HandleFunc("/s/{code}", s.handleSitePage).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/s/{code}/needs", s.handleSiteNeedForm).Methods(http.MethodPost)
	r.HandleFunc("/s/{code}/activities", s.handleSiteActivityForm).Methods(http.MethodPost)
	r.HandleFunc("/s/{code}/moderation", s.handleSiteModerationForm).Methods(http.MethodPost)
	r.HandleFunc("/login", s.handleLoginPage).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/login", s.handleLogin).Methods(http.MethodPost)
	r.HandleFunc("/logout", s.handleLogout).Methods(http.MethodPost)
	r.HandleFunc("/me", s.handleMePage).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/me/sessions/{id}/revoke", s.handleRevokeSessionForm).Methods(http.MethodPost)
	r.HandleFunc("/users", s.handleUsersPage).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/users", s.handleCreateUserForm).Methods(http.MethodPost)
	r.HandleFunc("/users/{id}/code", s.handleIssueCodeForm).Methods(http.MethodPost)
	r.HandleFunc("/users/{id}/card.pdf", s.handleCardForm).Methods(http.MethodPost)
	r.HandleFunc("/me/orders/{id}", s.handleDeskAction).Methods(http.MethodPost)
	r.HandleFunc("/me/duty", s.handleDutyForm).Methods(http.MethodPost)
	r.HandleFunc("/console", s.handleConsole).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/console/needs/{id}", s.handleConsoleAction).Methods(http.MethodPost)
	r.HandleFunc("/n/{receipt}", s.handleReceiptPage).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/n/{receipt}/qr.png", s.handleReceiptQR).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/n/{receipt}/cancel", s.handleReceiptAction(workflow.Cancel)).Methods(http.MethodPost)
	r.HandleFunc("/n/{receipt}/rate", s.handleReceiptAction(workflow.Rate)).Methods(http.MethodPost)
	r.HandleFunc("/p/{code}", s.handleCodePage).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/p/{code}", s.handleCodeSignIn).Methods(http.MethodPost)
	r.HandleFunc("/", s.handleMapPage).Methods(http.MethodGet, http.MethodHead)
	r.PathPrefix("/static/").Handler(staticHandler())
	r.HandleFunc("/healthz", s.handleHealth).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/metrics", promhttp.HandlerFor(s.cfg.Registry, promhttp.HandlerOpts{})).Methods(http.MethodGet)
	// CORS preflight for any path; a custom matcher, so other paths' method checks stay 405/404.
	r.MatcherFunc(func(r *http.Request, _ *mux.RouteMatch) bool { return r.Method == http.MethodOptions }).
		HandlerFunc(s.handlePreflight)
	r.NotFoundHandler = http.HandlerFunc(s.handleNotFound)
	r.MethodNotAllowedHandler = http.HandlerFunc(s.methodNotAllowed)
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	v, err := s.cfg.Store.Version(r.Context())
	if err != nil {
		s.problem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "version": v})
}

// baseURL is the public base URL, Config.PublicURL — never the request's Host or
// X-Forwarded-Proto, which a client (or a cache poisoner) chooses.
func (s *Server) baseURL(*http.Request) string { return s.cfg.PublicURL }

// serviceBound is the bound of the stored areas (or sites), for TileJSON and the map.
func (s *Server) serviceBound(ctx context.Context) (orb.Bound, orb.Point, error) {
	var b orb.Bound
	first := true
	add := func(g orb.Bound) {
		if first {
			b, first = g, false
		} else {
			b = b.Union(g)
		}
	}
	areas, err := s.cfg.Store.ListAreas(ctx)
	if err != nil {
		return b, orb.Point{}, err
	}
	for _, a := range areas {
		add(a.Polygon.Bound())
	}
	sites, err := s.cfg.Store.ListSites(ctx, store.SiteFilter{})
	if err != nil {
		return b, orb.Point{}, err
	}
	var center orb.Point
	for _, x := range sites {
		add(x.Location.Point.Bound())
		if x.ParentCode == "" && center == (orb.Point{}) {
			center = x.Location.Point
		}
	}
	if first {
		return orb.Bound{Min: orb.Point{-180, -85.0511}, Max: orb.Point{180, 85.0511}}, orb.Point{}, nil
	}
	if center == (orb.Point{}) {
		center = b.Center()
	}
	return b, center, nil
}
