// Package embedded is civmap's zero-setup store: one SQLite file (modernc.org/sqlite, no cgo, no
// server) makes every write durable, and in-memory indexes answer every read: quadtrees for
// spatial queries and per-resolution H3 cell counts for clusters, updated on each write after its
// transaction commits. It suits a county (hundreds of sites, a few hundred thousand activities);
// larger deployments use store/postgis.
package embedded

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"civmap/store"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is the embedded store. It is safe for concurrent use; writes are serialised.
type Store struct {
	db      *sql.DB
	lock    *os.File // flock on path+".lock": one process per data file
	path    string
	wmu     sync.Mutex   // serialises writers so the memory state follows commit order
	mu      sync.RWMutex // guards mem
	mem     *memory
	version atomic.Int64
	now     func() time.Time
}

var _ store.Store = (*Store)(nil)

// DefaultPath is where the data file lives when none is given: civmap-data/civmap.db under the
// working directory.
const DefaultPath = "civmap-data/civmap.db"

// Open opens (creating if needed) the data file at path, locks it for this process (ECONFLICT
// when another process has it open), applies pending schema migrations and loads every record
// into memory. The file uses SQLite's WAL journal with synchronous=FULL, so a
// write that returned is on disk.
func Open(ctx context.Context, path string) (*Store, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("embedded: create data directory: %w", err)
		}
	}
	lock, err := lockFile(path)
	if err != nil {
		return nil, err
	}
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("embedded: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1) // one writer; reads are served from memory
	s := &Store{db: db, lock: lock, path: path, now: time.Now}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	mem, err := load(ctx, db)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("embedded: load %s: %w", path, err)
	}
	s.mem = mem
	s.version.Store(1)
	return s, nil
}

func (s *Store) migrate(ctx context.Context) error {
	p, err := goose.NewProvider(goose.DialectSQLite3, s.db, mustSub(migrations, "migrations"))
	if err != nil {
		return fmt.Errorf("embedded: migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("embedded: migrate %s: %w", s.path, err)
	}
	return nil
}

// Path returns the data file's path.
func (s *Store) Path() string { return s.path }

// Close closes the data file and releases its lock.
func (s *Store) Close() error { return errors.Join(s.db.Close(), s.lock.Close()) }

// Version changes whenever stored data changes (it counts writes since Open).
func (s *Store) Version(ctx context.Context) (int64, error) { return s.version.Load(), nil }
