package embedded_test

import (
	"context"
	"path/filepath"
	"testing"

	"civmap/store"
	"civmap/store/embedded"
	"civmap/store/storetest"
)

func openFresh(t *testing.T) store.Store {
	t.Helper()
	s, err := embedded.Open(context.Background(), filepath.Join(t.TempDir(), "civmap.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) { storetest.Run(t, openFresh) }

// TestReopen checks that what was written survives closing and reopening the data file.
func TestReopenFixture(t *testing.T) {
	f, err := storetest.NewFixture()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "civmap.db")
	ctx := context.Background()
	s, err := embedded.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Load(ctx, s); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = embedded.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sites, _ := s.ListSites(ctx, store.SiteFilter{})
	acts, _ := s.ListActivities(ctx, store.ActivityFilter{})
	needs, _ := s.ListNeeds(ctx, store.NeedFilter{})
	if len(sites) != len(f.Sites) || len(acts) != len(f.Activities) || len(needs) != len(f.Needs) {
		t.Errorf("after reopening: %d sites, %d activities, %d needs; want %d, %d, %d", len(sites), len(acts),
			len(needs), len(f.Sites), len(f.Activities), len(f.Needs))
	}
}
