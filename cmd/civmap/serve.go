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
	"strings"
	"sync"
	"time"

	"civmap"
	"civmap/api"
	"civmap/dispatch"
	"civmap/live"
	"civmap/notify"
	"civmap/seed"
	"civmap/store"
	"civmap/store/embedded"

	"github.com/prometheus/client_golang/prometheus"
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
	// TrustedProxies is the comma-separated list of reverse proxies (addresses or CIDR
	// prefixes) whose X-Forwarded-For is believed (api.Config.TrustedProxies).
	TrustedProxies string
	// NeedLimitAddr and NeedLimitSite limit anonymous need submissions ("5/10m").
	NeedLimitAddr, NeedLimitSite string
	// DemoAccounts is what --demo created at start: the demo users with fresh passwords.
	DemoAccounts []seed.DemoAccount
	// Now is the HTTP layer's clock (sign-in back-off, rate limits, sessions, the workflow's
	// timers); nil: time.Now. Tests set it to move time forward.
	Now func() time.Time
	// WebhookURL and WebhookSecret configure the notification webhook (notify.Sender): where
	// an SMS or WeChat gateway receives every workflow notification, HMAC-signed.
	WebhookURL, WebhookSecret string
	// EscalateAfter and Retention drive the workflow's timers (dispatch.Timers).
	EscalateAfter, Retention time.Duration
	// TimerTick is how often the timers look (tests shorten it); 0: dispatch.DefaultTick.
	TimerTick time.Duration
	// NotifyLease is the notification sender's claim lease (notify.Config.Lease); 0:
	// notify.DefaultLease.
	NotifyLease time.Duration

	sender     *notify.Sender
	background context.CancelFunc
	jobs       sync.WaitGroup

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
	fs.StringVar(&m.PublicURL, "public-url", os.Getenv("CIVMAP_PUBLIC_URL"), "base URL residents reach the service at, carried by QR codes and links (env CIVMAP_PUBLIC_URL; default: http:// and the listen address). Requests' Host headers are never used")
	fs.BoolVar(&m.Demo, "demo", false, "add clearly flagged demo venues, activities and needs (once) and demo accounts, one per role, whose fresh passwords are printed at each start")
	fs.StringVar(&m.BaseLayer, "base-layer", os.Getenv("CIVMAP_BASE_LAYER"), "optional raster base-layer URL template, e.g. a 天地图 WMTS/XYZ URL with your own tk token (env CIVMAP_BASE_LAYER)")
	fs.StringVar(&m.BaseAttr, "base-layer-attribution", os.Getenv("CIVMAP_BASE_LAYER_ATTRIBUTION"), "attribution shown for the base layer")
	fs.StringVar(&m.Font, "font", os.Getenv("CIVMAP_FONT"), "CJK TrueType font file or directory for the printable posters (env CIVMAP_FONT; default: Debian's fonts-droid-fallback)")
	fs.StringVar(&m.TrustedProxies, "trusted-proxies", os.Getenv("CIVMAP_TRUSTED_PROXIES"), "comma-separated addresses or CIDR prefixes of reverse proxies whose X-Forwarded-For names the client (env CIVMAP_TRUSTED_PROXIES; default: none — the header is ignored)")
	fs.StringVar(&m.NeedLimitAddr, "need-limit-address", envOr("CIVMAP_NEED_LIMIT_ADDRESS", api.DefaultNeedLimitAddr.String()), "anonymous need submissions per client address: N/duration, N at once, refilled at N per duration (env CIVMAP_NEED_LIMIT_ADDRESS)")
	fs.StringVar(&m.NeedLimitSite, "need-limit-site", envOr("CIVMAP_NEED_LIMIT_SITE", api.DefaultNeedLimitSite.String()), "anonymous need submissions per site: N/duration (env CIVMAP_NEED_LIMIT_SITE)")
	fs.StringVar(&m.WebhookURL, "webhook-url", os.Getenv("CIVMAP_WEBHOOK_URL"), "POST every workflow notification here, HMAC-signed (an SMS or WeChat gateway; env CIVMAP_WEBHOOK_URL; default: none)")
	fs.StringVar(&m.WebhookSecret, "webhook-secret", os.Getenv("CIVMAP_WEBHOOK_SECRET"), "HMAC-SHA256 key of the webhook's signature, at least 16 bytes (env CIVMAP_WEBHOOK_SECRET; prefer the variable: flags show in ps)")
	fs.DurationVar(&m.NotifyLease, "notify-lease", envDuration("CIVMAP_NOTIFY_LEASE", notify.DefaultLease), "how long a notification being sent is kept from other attempts: when its sender dies (a crash, a kill) it is sent again this long after it was claimed; keep it well above the webhook's answer time, since a request is cut at its end (env CIVMAP_NOTIFY_LEASE)")
	fs.DurationVar(&m.EscalateAfter, "escalate-after", envDuration("CIVMAP_ESCALATE_AFTER", dispatch.DefaultEscalateAfter), "an order nobody takes within this long goes to the parent site's queue (post → station → center) (env CIVMAP_ESCALATE_AFTER)")
	fs.DurationVar(&m.Retention, "retention", envDuration("CIVMAP_RETENTION", dispatch.DefaultRetention), "residents' descriptions, phones and comments are erased this long after their need closes (env CIVMAP_RETENTION)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("serve: unexpected argument %q", fs.Arg(0))
	}
	return nil
}

// envDuration reads a duration from the environment (def when unset or unreadable).
func envDuration(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil && d > 0 {
		return d
	}
	return def
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// Run opens the store, loads Linxiang's sites (and the demo data and accounts with --demo),
// starts listening and serves in the background. It returns once the server accepts
// connections, having printed the URL, the base URL QR codes carry and how to create the first
// admin (or the demo accounts).
func (m *Serve) Run(ctx context.Context) error {
	proxies, err := api.ParseTrustedProxies(m.TrustedProxies)
	if err != nil {
		return fmt.Errorf("--trusted-proxies: %s", civmap.ErrorMessage(err))
	}
	limitAddr, err := api.ParseRate("need-limit-address", m.NeedLimitAddr)
	if err != nil {
		return fmt.Errorf("--need-limit-address: %s", civmap.ErrorMessage(err))
	}
	limitSite, err := api.ParseRate("need-limit-site", m.NeedLimitSite)
	if err != nil {
		return fmt.Errorf("--need-limit-site: %s", civmap.ErrorMessage(err))
	}
	if err := api.CheckPublicURL(m.PublicURL); err != nil {
		return fmt.Errorf("--public-url: %s", civmap.ErrorMessage(err))
	}
	ctx = civmap.WithActor(ctx, commandActor("serve"))
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
		if m.DemoAccounts, err = seed.DemoAccounts(ctx, st); err != nil {
			return fmt.Errorf("demo accounts: %w", err)
		}
		if t, v, err := seed.LoadDemoTeams(ctx, st, 1); err != nil {
			return err
		} else if t > 0 {
			m.logger.Info("added demo teams and volunteers (flagged 示例数据)", "teams", t, "volunteers", v)
		}
		if err := seed.LinkDemoAccounts(ctx, st, m.DemoAccounts); err != nil {
			return fmt.Errorf("demo accounts: %w", err)
		}
	}
	ln, err := net.Listen("tcp", m.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", m.Addr, err)
	}
	m.listener = ln
	public := strings.TrimRight(m.PublicURL, "/")
	if public == "" {
		public = m.URL()
	}
	reg := prometheus.NewRegistry()
	sender, err := notify.New(notify.Config{Outbox: st, WebhookURL: m.WebhookURL, WebhookSecret: []byte(m.WebhookSecret),
		ResidentPhone: func(ctx context.Context, id int64) (string, error) {
			n, err := st.Need(ctx, id)
			return n.Phone, err
		}, Now: m.Now, Lease: m.NotifyLease, Logger: m.logger, Registerer: reg})
	if err != nil {
		ln.Close()
		return err
	}
	m.sender = sender
	srv, err := api.New(api.Config{
		Store: st, Bus: live.NewBus(), PublicURL: public, BaseLayerURL: m.BaseLayer,
		BaseLayerAttribution: m.BaseAttr, Logger: m.logger, PosterFont: m.Font,
		TrustedProxies: proxies, NeedLimitAddr: limitAddr, NeedLimitSite: limitSite, Now: m.Now,
		Registry: reg, Notifications: sender, Kick: sender.Kick,
	})
	if err != nil {
		ln.Close()
		return err
	}
	// The notification sender and the workflow's timers run until Close.
	bg, stop := context.WithCancel(context.Background())
	m.background = stop
	timers := &dispatch.Timers{Store: st, EscalateAfter: m.EscalateAfter, Retention: m.Retention, Tick: m.TimerTick,
		Now: m.Now, Logger: m.logger, OnEscalate: sender.Kick}
	m.jobs.Add(2)
	go func() { defer m.jobs.Done(); sender.Run(bg) }()
	go func() { defer m.jobs.Done(); timers.Run(bg) }()
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
	fmt.Fprintf(m.stdout, "QR codes and links carry %s (二维码与链接指向此地址", public)
	if m.PublicURL == "" {
		fmt.Fprint(m.stdout, "；手机访问请用 --public-url 设置群众可访问的网址")
	}
	fmt.Fprintln(m.stdout, ")")
	return m.printAccounts(ctx)
}

// printAccounts prints the demo accounts' fresh passwords, or — when no one can sign in yet —
// how to create the first admin.
func (m *Serve) printAccounts(ctx context.Context) error {
	if len(m.DemoAccounts) > 0 {
		fmt.Fprintf(m.stdout, "demo accounts (示例账号, flagged demo; new passwords at every start), sign in at %s/login:\n", m.URL())
		for _, a := range m.DemoAccounts {
			if a.Code != "" {
				fmt.Fprintf(m.stdout, "  %-15s %-12s personal code: %s/p/%s\n", a.User.Login, a.User.Role, m.URL(), a.Code)
				continue
			}
			fmt.Fprintf(m.stdout, "  %-15s %-12s password: %s\n", a.User.Login, a.User.Role, a.Password)
		}
		return nil
	}
	admins, err := m.store.ListUsers(ctx, store.UserFilter{Role: civmap.RoleAdmin, Limit: 1})
	if err != nil {
		return err
	}
	if len(admins) == 0 {
		data := ""
		if m.storeKind != "postgis" && m.DataPath != embedded.DefaultPath {
			data = " --data " + m.DataPath
		}
		fmt.Fprintf(m.stdout, "no admin yet: create the first one (创建第一个管理员), e.g. in another terminal:\n  go run ./cmd/civmap user add%s --name 管理员 --login admin --role admin\n", data)
	}
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

// Close stops accepting requests, waits up to 10 s for those in flight, stops the notification
// sender and the timers, and closes the store.
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
	if m.background != nil {
		m.background()
		m.jobs.Wait()
	}
	if m.store != nil {
		errs = append(errs, m.store.Close())
	}
	return errors.Join(errs...)
}
