package embedded

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"civmap"
	"civmap/store"

	"github.com/pressly/goose/v3"
)

// Shared is the part of a data file that a command may use while a server has the file open:
// accounts, sessions, API tokens, the sign-in throttle and the audit log (store.Accounts,
// store.Throttle, store.Audit), plus reading sites for scope checks. None of these is cached
// in the server's memory, so both processes see each other's writes; SQLite's WAL journal and
// busy timeout let them write in turn. Sites, venues, activities and needs are the server's
// (it holds them in memory): Shared cannot change them. Safe for concurrent use.
type Shared struct {
	direct
	path string
}

var (
	_ store.Accounts = (*Shared)(nil)
	_ store.Throttle = (*Shared)(nil)
	_ store.Audit    = (*Shared)(nil)
)

// OpenShared opens the existing data file at path beside a server that may be running on it
// (`civmap user add` while `civmap serve` runs): unlike Open, it does not take the file's lock,
// load anything into memory or migrate the schema. The file must exist and have the schema
// version of this binary's migrations (goose's version table); otherwise the error is
// EUNAVAILABLE and says what to do (start the server once so it migrates the file, or stop it
// and use the command without a running server). Other errors are EINTERNAL.
func OpenShared(ctx context.Context, path string) (*Shared, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, civmap.Errorf(civmap.EUNAVAILABLE, "data file %s does not exist: start `civmap serve` once to create it, or give the right --data", path)
	} else if err != nil {
		return nil, fmt.Errorf("embedded: open %s: %w", path, err)
	}
	db, err := sql.Open("sqlite", dsn(path, "rw"))
	if err != nil {
		return nil, fmt.Errorf("embedded: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(maxConns)
	if err := checkSchema(ctx, db, path); err != nil {
		db.Close()
		return nil, err
	}
	return &Shared{direct: direct{db: db, wmu: new(sync.Mutex), now: time.Now}, path: path}, nil
}

// checkSchema fails unless the data file's schema version (goose's version table) is that of
// this binary's last migration.
func checkSchema(ctx context.Context, db *sql.DB, path string) error {
	// goose would create its version table if missing; look first, so as to write nothing.
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`,
		goose.DefaultTablename).Scan(&n); err != nil {
		return fmt.Errorf("embedded: open %s: %w", path, err)
	}
	if n == 0 {
		return civmap.Errorf(civmap.EUNAVAILABLE, "data file %s has no civmap schema: start `civmap serve` on it once (it creates and migrates the file), then run this command again", path)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, mustSub(migrations, "migrations"))
	if err != nil {
		return fmt.Errorf("embedded: migrations: %w", err)
	}
	current, target, err := p.GetVersions(ctx)
	if err != nil {
		return fmt.Errorf("embedded: schema version of %s: %w", path, err)
	}
	switch {
	case current < target:
		return civmap.Errorf(civmap.EUNAVAILABLE, "data file %s has schema version %d, this civmap needs %d: start `civmap serve` once so that it migrates the file (or stop the server: then this command opens the file itself)", path, current, target)
	case current > target:
		return civmap.Errorf(civmap.EUNAVAILABLE, "data file %s has schema version %d, newer than this civmap's %d: use the civmap binary that serves it", path, current, target)
	}
	return nil
}

// Path returns the data file's path.
func (s *Shared) Path() string { return s.path }

// Close closes the data file (it holds no lock).
func (s *Shared) Close() error { return s.db.Close() }

// Site returns the site with code, read from the data file; ENOTFOUND if there is none.
func (s *Shared) Site(ctx context.Context, code string) (civmap.Site, error) {
	x, err := scanSite(s.db.QueryRowContext(ctx, `SELECT `+siteColumns+` FROM sites WHERE code = ?`, code))
	if errors.Is(err, sql.ErrNoRows) {
		return civmap.Site{}, errNoSite(code)
	} else if err != nil {
		return civmap.Site{}, fmt.Errorf("embedded: read site %s: %w", code, err)
	}
	return x, nil
}

// SiteChain returns the codes from the site or venue with code up to the top of the network,
// read from the data file, as store.Sites.SiteChain does (at most 16). ENOTFOUND when no site
// or venue has code.
func (s *Shared) SiteChain(ctx context.Context, code string) ([]string, error) {
	return sqlSiteChain(ctx, s.db, code)
}

// errNoSite is the ENOTFOUND of Site.
func errNoSite(code string) error {
	return civmap.Errorf(civmap.ENOTFOUND, "没有编码为 %s 的实践阵地", code)
}
