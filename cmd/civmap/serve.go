package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"civmap/api"
	"civmap/live"
	"civmap/seed"
	"civmap/store"
	"civmap/store/embedded"
)

// Serve is the `civmap serve` command: flags in, a running HTTP server out. Tests use it the way
// main does: NewServe, ParseFlags, Run, then Addr, then Close.
type Serve struct {
	Addr     string // listen address, host:port (port 0 picks a free one)
	DataPath string // embedded store file
	// DatabaseURL selects the PostGIS store (migrated on start); "" selects the embedded store.
	DatabaseURL string
	PublicURL   string
	Demo        bool
	BaseLayer   string
	BaseAttr    string
	Font        string // CJK font file or directory for the posters (qr/poster.LoadFont)
	// DispatcherToken lets dispatchers read needs in full (api.Config.DispatcherToken).
	DispatcherToken string

	stdout, stderr io.Writer
	logger         *slog.Logger
	store          store.Store
	storeKind      string
	server         *http.Server
	listener       net.Listener
	done           chan error
}

// NewServe returns the command with its defaults.
func NewServe(stdout, stderr io.Writer) *Serve {
	return &Serve{stdout: stdout, stderr: stderr, logger: slog.New(slog.NewTextHandler(stderr, nil))}
}

// ParseFlags reads the command's flags.
func (m *Serve) ParseFlags(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(m.stderr)
	fs.StringVar(&m.Addr, "addr", envOr("CIVMAP_ADDR", "127.0.0.1:8080"), "listen address host:port (env CIVMAP_ADDR)")
	fs.StringVar(&m.DataPath, "data", envOr("CIVMAP_DATA", embedded.DefaultPath), "embedded store file (env CIVMAP_DATA)")
	fs.StringVar(&m.DatabaseURL, "database-url", databaseURL(), "PostgreSQL URL: use the PostGIS store instead of the embedded one (env DATABASE_URL)")
	fs.StringVar(&m.PublicURL, "public-url", os.Getenv("CIVMAP_PUBLIC_URL"), "base URL residents reach the service at, encoded in QR codes (env CIVMAP_PUBLIC_URL; default: the request's host)")
	fs.BoolVar(&m.Demo, "demo", false, "add clearly flagged demo venues, activities and needs (once)")
	fs.StringVar(&m.BaseLayer, "base-layer", os.Getenv("CIVMAP_BASE_LAYER"), "optional raster base-layer URL template, e.g. a 天地图 WMTS/XYZ URL with your own tk token (env CIVMAP_BASE_LAYER)")
	fs.StringVar(&m.BaseAttr, "base-layer-attribution", os.Getenv("CIVMAP_BASE_LAYER_ATTRIBUTION"), "attribution shown for the base layer")
	fs.StringVar(&m.Font, "font", os.Getenv("CIVMAP_FONT"), "CJK TrueType font file or directory for the printable posters (env CIVMAP_FONT; default: Debian's fonts-droid-fallback)")
	fs.StringVar(&m.DispatcherToken, "dispatcher-token", os.Getenv("CIVMAP_DISPATCHER_TOKEN"), "bearer token that lets dispatchers read residents' needs in full (env CIVMAP_DISPATCHER_TOKEN; default: nobody can)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("serve: unexpected argument %q", fs.Arg(0))
	}
	return nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// Run opens the store, loads Linxiang's sites (and the demo data with --demo), starts listening
// and serves in the background. It returns once the server accepts connections.
func (m *Serve) Run(ctx context.Context) error {
	st, kind, n, err := openNetwork(ctx, m.DatabaseURL, m.DataPath)
	if err != nil {
		return err
	}
	m.store = st
	m.storeKind = kind
	if n > 0 {
		m.logger.Info("loaded Linxiang's practice network", "records", n)
	}
	if m.Demo {
		n, err := seed.LoadDemo(ctx, st, time.Now())
		if err != nil {
			return fmt.Errorf("load demo data: %w", err)
		}
		if n > 0 {
			m.logger.Info("added demo data (flagged 示例数据)", "records", n)
		}
	}
	srv, err := api.New(api.Config{
		Store: st, Bus: live.NewBus(), PublicURL: m.PublicURL, BaseLayerURL: m.BaseLayer,
		BaseLayerAttribution: m.BaseAttr, Logger: m.logger, PosterFont: m.Font,
		DispatcherToken: m.DispatcherToken,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", m.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", m.Addr, err)
	}
	m.listener = ln
	// Long-lived requests (server-sent events) end when Close starts shutting down.
	base, cancel := context.WithCancel(context.Background())
	m.server = &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return base }}
	m.server.RegisterOnShutdown(cancel)
	m.done = make(chan error, 1)
	go func() { m.done <- m.server.Serve(ln) }()
	where := "data file " + m.DataPath
	if m.storeKind == "postgis" {
		where = "PostGIS store"
	}
	fmt.Fprintf(m.stdout, "civmap serving %s data at %s (%s)\n", "Linxiang", m.URL(), where)
	return nil
}

// URL is the address the server listens on, as an http URL.
func (m *Serve) URL() string {
	addr := m.listener.Addr().(*net.TCPAddr)
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return fmt.Sprintf("http://%s", net.JoinHostPort(host, fmt.Sprint(addr.Port)))
}

// Close stops accepting requests, waits up to 10 s for those in flight, and closes the store.
func (m *Serve) Close() error {
	var errs []error
	if m.server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		errs = append(errs, m.server.Shutdown(ctx))
		cancel()
		if err := <-m.done; err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, err)
		}
	}
	if m.store != nil {
		errs = append(errs, m.store.Close())
	}
	return errors.Join(errs...)
}
