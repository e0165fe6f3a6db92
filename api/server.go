// Package api is civmap's HTTP interface (gorilla/mux): vector tiles and TileJSON, the JSON API
// under /api/v1 (GeoJSON for features, RFC 9457 problem+json for errors), QR codes, the site
// pages residents reach by scanning, the public map, server-sent events and Prometheus metrics.
package api

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"civmap/geo/gazetteer"
	"civmap/live"
	"civmap/qr"
	"civmap/store"
	"civmap/tiles"

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
	// PublicURL is the base URL residents reach the service at (e.g. "https://map.example.cn");
	// QR codes and TileJSON use it. Empty: taken from each request's Host.
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
	// DispatcherToken, when set, is the bearer token (Authorization: Bearer …) that lets a
	// dispatcher read needs in full: the resident's description and position, and needs
	// clusters finer than PublicNeedsMaxRes. Without it nobody gets them over HTTP.
	DispatcherToken string
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
	metrics *metrics
	posters posterState
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
	if err := CheckPublicURL(cfg.PublicURL); err != nil {
		return nil, err
	}
	cache, err := tiles.NewCache(cfg.TileCacheSize)
	if err != nil {
		return nil, err
	}
	qrCodes, err := lru.New[string, *qr.Code](1024)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, cache: cache, qrCodes: qrCodes, router: mux.NewRouter(), metrics: newMetrics(cfg.Registry),
		posters: posterState{sem: make(chan struct{}, maxPosterRenders)}}
	s.routes()
	return s, nil
}

// Handler returns the root handler.
func (s *Server) Handler() http.Handler { return s.router }

func (s *Server) routes() {
	r := s.router
	r.Use(s.recoverPanics, s.instrument)

	r.HandleFunc("/tiles/{layers}/{z}/{x}/{y}.mvt", s.handleTile).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/tiles/{layers}.json", s.handleTileJSON).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/glyphs/{fontstack}/{range}.pbf", s.handleGlyphs).Methods(http.MethodGet)

	const v1 = "/api/v1"
	r.HandleFunc(v1+"/sites", s.handleListSites).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc(v1+"/sites/{code}", s.handleGetSite).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc(v1+"/venues", s.handleListVenues).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc(v1+"/activities", s.handleListActivities).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc(v1+"/activities", s.handleCreateActivity).Methods(http.MethodPost)
	r.HandleFunc(v1+"/activities/{id}", s.handleGetActivity).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc(v1+"/needs", s.handleListNeeds).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc(v1+"/needs", s.handleCreateNeed).Methods(http.MethodPost)
	r.HandleFunc(v1+"/needs/{id}", s.handleGetNeed).Methods(http.MethodGet, http.MethodHead)
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

// baseURL is the public base URL: Config.PublicURL, or scheme://Host of the request.
func (s *Server) baseURL(r *http.Request) string {
	if s.cfg.PublicURL != "" {
		return s.cfg.PublicURL
	}
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

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
