package postgis_test

import (
	"context"
	"path/filepath"
	"testing"

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
