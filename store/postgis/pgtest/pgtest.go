// Package pgtest gives tests their own PostgreSQL + PostGIS databases: a fresh, uniquely named
// database on the server that CIVMAP_TEST_DATABASE_URL names (dropped when the test ends), or a
// throwaway server of their own (initdb into a temporary directory) when a test needs server
// settings such as a small max_connections.
//
// When CIVMAP_TEST_DATABASE_URL is unset, tests that need PostgreSQL are skipped; when it is set
// and the server cannot be reached, they fail.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvURL is the environment variable naming the test server (any database on it; the
// connecting role must be allowed to create databases and the postgis extension).
const EnvURL = "CIVMAP_TEST_DATABASE_URL"

// ServerURL returns CIVMAP_TEST_DATABASE_URL, skipping the test when it is unset.
func ServerURL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv(EnvURL)
	if u == "" {
		tb.Skipf("%s is not set: skipping PostgreSQL tests (see store/postgis/README.md, \"Testing against PostGIS\")", EnvURL)
	}
	return u
}

// NewDatabase creates a fresh database with the postgis extension on the server of
// CIVMAP_TEST_DATABASE_URL and returns its URL; the database is dropped when the test ends.
// It skips when the variable is unset and fails when the server cannot be reached.
func NewDatabase(tb testing.TB) string {
	tb.Helper()
	return NewDatabaseOn(tb, ServerURL(tb))
}

// NewDatabaseOn is NewDatabase on the server of serverURL.
func NewDatabaseOn(tb testing.TB, serverURL string) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	admin, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		tb.Fatalf("pgtest: cannot reach the test server (%s): %v", EnvURL, err)
	}
	defer admin.Close(context.Background())
	var buf [6]byte
	rand.Read(buf[:])
	name := "civmap_t_" + hex.EncodeToString(buf[:])
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("pgtest: create database: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		c, err := pgx.Connect(ctx, serverURL)
		if err != nil {
			tb.Errorf("pgtest: drop database %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			tb.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	dbURL, err := withDatabase(serverURL, name)
	if err != nil {
		tb.Fatal(err)
	}
	c, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		tb.Fatalf("pgtest: connect to %s: %v", name, err)
	}
	defer c.Close(context.Background())
	if _, err := c.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS postgis"); err != nil {
		tb.Fatalf("pgtest: create extension postgis in %s: %v", name, err)
	}
	return dbURL
}

// withDatabase returns connURL with its database replaced by name (URL or key=value form).
func withDatabase(connURL, name string) (string, error) {
	if strings.HasPrefix(connURL, "postgres://") || strings.HasPrefix(connURL, "postgresql://") {
		u, err := url.Parse(connURL)
		if err != nil {
			return "", fmt.Errorf("pgtest: parse %s: %w", EnvURL, err)
		}
		u.Path = "/" + name
		return u.String(), nil
	}
	return connURL + " dbname=" + name, nil
}

// Server is a throwaway PostgreSQL server started by StartServer.
type Server struct {
	URL  string // superuser connection URL to its postgres database
	Port int
}

// StartServer initialises and starts a PostgreSQL server of its own in a temporary directory,
// listening on 127.0.0.1 at a free port with the given extra settings (e.g. "max_connections=20"),
// and stops it when the test ends. The binaries come from pg_config --bindir, or
// /usr/lib/postgresql/*/bin. Running as root, the server runs as the "postgres" user (via
// runuser), since PostgreSQL refuses to run as root. It skips when CIVMAP_TEST_DATABASE_URL is
// unset (PostgreSQL tests are off) and fails when the server cannot be started.
func StartServer(tb testing.TB, settings ...string) *Server {
	tb.Helper()
	ServerURL(tb)
	bin, err := binDir()
	if err != nil {
		tb.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "civmap-pg-")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	data := filepath.Join(dir, "data")
	var runAs []string
	if os.Geteuid() == 0 {
		pg, err := user.Lookup("postgres")
		if err != nil {
			tb.Fatalf("pgtest: running as root needs a postgres user to run the server as: %v", err)
		}
		uid, _ := strconv.Atoi(pg.Uid)
		gid, _ := strconv.Atoi(pg.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			tb.Fatal(err)
		}
		if err := os.Chmod(dir, 0o700); err != nil {
			tb.Fatal(err)
		}
		runAs = []string{"runuser", "-u", "postgres", "--"}
	}
	run := func(name string, args ...string) error {
		full := append(append(append([]string{}, runAs...), filepath.Join(bin, name)), args...)
		cmd := exec.Command(full[0], full[1:]...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s: %w\n%s", strings.Join(full, " "), err, out)
		}
		return nil
	}
	if err := run("initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"); err != nil {
		tb.Fatalf("pgtest: initdb: %v", err)
	}
	port, err := freePort()
	if err != nil {
		tb.Fatal(err)
	}
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off", port, dir)
	for _, s := range settings {
		opts += " -c " + s
	}
	if err := run("pg_ctl", "-D", data, "-o", opts, "-l", filepath.Join(dir, "log"), "-w", "-t", "60", "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		tb.Fatalf("pgtest: start server: %v\n%s", err, log)
	}
	tb.Cleanup(func() {
		if err := run("pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"); err != nil {
			tb.Errorf("pgtest: stop server: %v", err)
		}
	})
	return &Server{URL: fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port), Port: port}
}

func binDir() (string, error) {
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		d := strings.TrimSpace(string(out))
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(matches) == 0 {
		return "", fmt.Errorf("pgtest: no initdb found (pg_config --bindir, /usr/lib/postgresql/*/bin)")
	}
	return filepath.Dir(matches[len(matches)-1]), nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
