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
//
// Sites, venues, areas, activities, needs (with their assignments), volunteers and teams are
// served from memory; accounts, sessions, API tokens, the sign-in throttle, the audit log,
// needs' histories, the outbox and the secrets are read and written with SQL on every call
// (the embedded direct type, which Shared also serves to commands running beside a server).
type Store struct {
	direct           // db, the writer mutex and the clock; accounts, throttle and audit
	lock    *os.File // flock on path+".lock": one process per data file
	path    string
	mu      sync.RWMutex // guards mem
	mem     *memory
	version atomic.Int64
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
	db, err := sql.Open("sqlite", dsn(path, ""))
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("embedded: open %s: %w", path, err)
	}
	// Writers are serialised by the writer mutex; a few connections let account, session and
	// audit reads (SQL, not memory) go on during a long write (WAL readers never wait).
	db.SetMaxOpenConns(maxConns)
	s := &Store{direct: direct{db: db, wmu: new(sync.Mutex), now: time.Now}, lock: lock, path: path}
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

// maxConns bounds the data file's connections per process.
const maxConns = 4

// dsn is the modernc.org/sqlite data source name of the data file at path: WAL journal,
// synchronous=FULL (a commit is on disk before it returns), a 10 s busy timeout (another
// connection or process holding the write lock is waited for), foreign keys, and write
// transactions that take the write lock at BEGIN (BEGIN IMMEDIATE: a transaction that reads
// before it writes cannot fail with SQLITE_BUSY half-way when another process wrote). mode is
// "" (read-write, created when missing) or an SQLite URI mode such as "rw" (must exist).
func dsn(path, mode string) string {
	d := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)" +
		"&_pragma=foreign_keys(1)&_txlock=immediate"
	if mode != "" {
		d += "&mode=" + mode
	}
	return d
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

// Version changes whenever data that tiles, lists or pages show changes (it counts such writes
// since Open); account, session, throttle and audit writes leave it alone. Never an error.
func (s *Store) Version(ctx context.Context) (int64, error) { return s.version.Load(), nil }
