package postgis_test

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"civmap"
	"github.com/jackc/pgx/v5"

	"civmap/store"
	"civmap/store/embedded"
	"civmap/store/postgis"
	"civmap/store/postgis/pgtest"
	"civmap/store/storetest"
)

func openPG(t *testing.T) store.Store {
	t.Helper()
	s, err := postgis.Open(context.Background(), postgis.Config{URL: pgtest.NewDatabase(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func openEmbedded(t *testing.T) store.Store {
	t.Helper()
	s, err := embedded.Open(context.Background(), filepath.Join(t.TempDir(), "civmap.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) { storetest.Run(t, openPG) }

// TestDifferential is the test that keeps the two stores honest: the same writes, the same
// reads, the same tiles.
func TestDifferential(t *testing.T) { storetest.Differential(t, openEmbedded, openPG) }

// TestOpenWithoutPostGISPrivilege checks the message when the postgis extension is missing and
// the role may not create it.
func TestOpenWithoutPostGISPrivilege(t *testing.T) {
	server := pgtest.ServerURL(t)
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, server)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	role := fmt.Sprintf("civmap_nopriv_%d", time.Now().UnixNano())
	if _, err := admin.Exec(ctx, "CREATE ROLE "+role+" LOGIN NOSUPERUSER"); err != nil {
		t.Fatal(err)
	}
	defer admin.Exec(context.Background(), "DROP ROLE IF EXISTS "+role)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+role+" OWNER "+role); err != nil {
		t.Fatal(err)
	}
	defer admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+role+" WITH (FORCE)")
	u, err := url.Parse(server)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User(role)
	u.Path = "/" + role
	_, err = postgis.Open(ctx, postgis.Config{URL: u.String()})
	if civmap.ErrorCode(err) != civmap.EUNAVAILABLE || !strings.Contains(civmap.ErrorMessage(err), "CREATE EXTENSION postgis") {
		t.Errorf("Open without the privilege to create postgis: %v", err)
	}
}

// TestNearestVolunteersBruteForce: the nearest suitable volunteers equal a brute-force search on
// 10,000 random queries over 100,000 generated volunteers (the dispatch issue).
func TestNearestVolunteersBruteForce(t *testing.T) {
	f, err := storetest.NewFixture()
	if err != nil {
		t.Fatal(err)
	}
	storetest.NearestBruteForce(t, openPG(t), f, 100000, 10000, 42)
}
