// Package postgis is civmap's production store: PostgreSQL with PostGIS 3, through a bounded
// pgx/v5 connection pool. Vector tiles are rendered by the database (ST_TileEnvelope,
// ST_AsMVTGeom, ST_AsMVT) in one query per tile; H3 cells of activities and needs are computed
// in Go on write and indexed, so cluster counts are a GROUP BY. It answers exactly what
// store/embedded answers for the same writes (checked by store/storetest). See README.md for
// its settings.
package postgis

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"civmap"
	"civmap/store"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Defaults of Config.
const (
	DefaultMaxConns         = 10
	DefaultStatementTimeout = 30 * time.Second
)

// Config configures Open.
type Config struct {
	// URL is a PostgreSQL connection string, URL ("postgres://user@host:5432/db?sslmode=disable")
	// or key=value form. pgxpool settings in it (pool_max_conns …) are honoured unless the fields
	// below override them.
	URL string
	// MaxConns bounds the pool: at most this many server connections, further requests wait for
	// a free one (bounded by their context). 0: pool_max_conns from URL, else DefaultMaxConns.
	// Keep it below the server's max_connections minus its reserved connections and other
	// clients.
	MaxConns int32
	// StatementTimeout bounds every statement on the server (PostgreSQL statement_timeout).
	// 0: DefaultStatementTimeout; negative: no limit.
	StatementTimeout time.Duration
	// NoMigrate skips applying pending migrations in Open (they must then have been applied
	// with Migrate, e.g. `civmap migrate`).
	NoMigrate bool
	// Now is the clock for UpdatedAt and CreatedAt; default time.Now.
	Now func() time.Time
}

// Store is the PostGIS store. It is safe for concurrent use by many goroutines.
type Store struct {
	pool *pgxpool.Pool
	now  func() time.Time
}

var _ store.Store = (*Store)(nil)

// Open connects to the database of cfg.URL, checks that PostGIS 3 is available, applies pending
// migrations (unless cfg.NoMigrate) and returns the store. Errors: EINVALID for a malformed URL,
// EUNAVAILABLE when the server cannot be reached or PostGIS 3 is missing (the message says which
// package and command install it).
func Open(ctx context.Context, cfg Config) (*Store, error) {
	pcfg, err := poolConfig(cfg)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, civmap.Errorf(civmap.EUNAVAILABLE, "postgis: connect: %v", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, civmap.Errorf(civmap.EUNAVAILABLE, "postgis: cannot reach the database at %s: %v", redact(pcfg.ConnConfig), err)
	}
	s := &Store{pool: pool, now: cfg.Now}
	if s.now == nil {
		s.now = time.Now
	}
	if err := s.checkPostGIS(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	if !cfg.NoMigrate {
		if _, err := s.Migrate(ctx); err != nil {
			pool.Close()
			return nil, err
		}
	}
	return s, nil
}

func poolConfig(cfg Config) (*pgxpool.Config, error) {
	if strings.TrimSpace(cfg.URL) == "" {
		return nil, civmap.FieldErrorf("database_url", "no database URL")
	}
	pcfg, err := pgxpool.ParseConfig(cfg.URL)
	if err != nil {
		return nil, civmap.FieldErrorf("database_url", "cannot parse the database URL: %v", err)
	}
	if cfg.MaxConns > 0 {
		pcfg.MaxConns = cfg.MaxConns
	} else if !strings.Contains(cfg.URL, "pool_max_conns") {
		pcfg.MaxConns = DefaultMaxConns
	}
	st := cfg.StatementTimeout
	if st == 0 {
		st = DefaultStatementTimeout
	}
	if _, set := pcfg.ConnConfig.RuntimeParams["statement_timeout"]; !set && st > 0 {
		pcfg.ConnConfig.RuntimeParams["statement_timeout"] = strconv.FormatInt(st.Milliseconds(), 10)
	}
	pcfg.ConnConfig.RuntimeParams["timezone"] = "UTC"
	pcfg.ConnConfig.RuntimeParams["application_name"] = "civmap"
	return pcfg, nil
}

func redact(c *pgx.ConnConfig) string {
	return fmt.Sprintf("%s:%d/%s", c.Host, c.Port, c.Database)
}

// checkPostGIS returns EUNAVAILABLE, saying how to install it, unless PostGIS 3 or later is
// installed in the database or available to install.
func (s *Store) checkPostGIS(ctx context.Context) error {
	var installed, available *string
	var serverMajor int
	err := s.pool.QueryRow(ctx, `SELECT
		(SELECT extversion FROM pg_extension WHERE extname = 'postgis'),
		(SELECT default_version FROM pg_available_extensions WHERE name = 'postgis'),
		current_setting('server_version_num')::int / 10000`).Scan(&installed, &available, &serverMajor)
	if err != nil {
		return civmap.Errorf(civmap.EUNAVAILABLE, "postgis: check the PostGIS extension: %v", err)
	}
	pkg := fmt.Sprintf("postgresql-%d-postgis-3", serverMajor)
	switch {
	case installed == nil && available == nil:
		return civmap.Errorf(civmap.EUNAVAILABLE,
			"postgis: the PostGIS 3 extension is not installed on the PostgreSQL %d server; install it (Debian/Ubuntu: apt-get install %s), then run CREATE EXTENSION postgis; in the database",
			serverMajor, pkg)
	case installed != nil && !atLeast3(*installed):
		return civmap.Errorf(civmap.EUNAVAILABLE,
			"postgis: the database has PostGIS %s; civmap needs PostGIS 3 (install %s, then ALTER EXTENSION postgis UPDATE;)", *installed, pkg)
	case installed == nil && !atLeast3(*available):
		return civmap.Errorf(civmap.EUNAVAILABLE,
			"postgis: the server offers PostGIS %s; civmap needs PostGIS 3 (apt-get install %s)", *available, pkg)
	}
	return nil
}

func atLeast3(v string) bool {
	major, _, _ := strings.Cut(v, ".")
	n, err := strconv.Atoi(major)
	return err == nil && n >= 3
}

// Migrate applies the pending schema migrations (embedded SQL, goose) and returns the versions
// it applied. The first migration creates the postgis extension if it is not there yet, which
// needs a role allowed to create it (usually a superuser); EUNAVAILABLE says so when it fails.
func (s *Store) Migrate(ctx context.Context) ([]int64, error) {
	db := stdlib.OpenDBFromPool(s.pool)
	defer db.Close()
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, fmt.Errorf("postgis: migrations: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, sub)
	if err != nil {
		return nil, fmt.Errorf("postgis: migrations: %w", err)
	}
	results, err := p.Up(ctx)
	if err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "42501" { // insufficient_privilege
			return nil, civmap.Errorf(civmap.EUNAVAILABLE,
				"postgis: cannot create the postgis extension (%s); as a superuser run CREATE EXTENSION postgis; in the database, then retry", pgErr.Message)
		}
		return nil, fmt.Errorf("postgis: migrate: %w", err)
	}
	var applied []int64
	for _, r := range results {
		applied = append(applied, r.Source.Version)
	}
	return applied, nil
}

// Close closes the pool, waiting for acquired connections to be released.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Pool returns the connection pool (for health checks and tests).
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Version returns the data version: a counter bumped in the same transaction as every write
// that changes data, shared by every civmap instance on the database.
func (s *Store) Version(ctx context.Context) (int64, error) {
	var v int64
	if err := s.pool.QueryRow(ctx, `SELECT version FROM meta`).Scan(&v); err != nil {
		return 0, wrap("version", err)
	}
	return v, nil
}

// wrap turns a database error into an error for the caller: a cancelled or timed-out context
// stays recognisable (errors.Is context.Canceled / DeadlineExceeded), a statement timeout or a
// connection failure becomes EUNAVAILABLE, anything else is wrapped as internal.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var ce *civmap.Error
	if errors.As(err, &ce) {
		return err
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "57014": // query_canceled: statement_timeout or a cancel request
			return fmt.Errorf("postgis: %s: %w (%w)", op, civmap.Errorf(civmap.EUNAVAILABLE, "数据库查询超时"), err)
		case "53300", "08000", "08003", "08006", "57P01", "57P03": // too many connections, connection failures, shutdown
			return fmt.Errorf("postgis: %s: %w (%w)", op, civmap.Errorf(civmap.EUNAVAILABLE, "数据库暂不可用"), err)
		}
	}
	return fmt.Errorf("postgis: %s: %w", op, err)
}
