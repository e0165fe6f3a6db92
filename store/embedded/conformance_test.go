package embedded_test

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"civmap/store"
	"civmap/store/embedded"
	"civmap/store/storetest"
	"civmap/tiles"

	"github.com/paulmach/orb/maptile"
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

// TestReopenAfterMove checks that activities and needs moved with their place by a Put are
// durable: a reopened data file has them at the new point, with cluster counts and tiles to
// match.
func TestReopenAfterMove(t *testing.T) {
	f, err := storetest.NewFixture()
	if err != nil {
		t.Fatal(err)
	}
	m, err := storetest.NewMoves(f)
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
	if err := m.Write(ctx, s); err != nil {
		t.Fatal(err)
	}
	before := map[maptile.Tile][]byte{}
	for _, tl := range m.Tiles() {
		if before[tl], err = s.Tile(ctx, tiles.Layers, tl); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()

	s, err = embedded.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, d := range m.Check(ctx, s, true) {
		t.Error("after reopening:", d)
	}
	for _, tl := range m.Tiles() {
		after, err := s.Tile(ctx, tiles.Layers, tl)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(after, before[tl]) {
			t.Errorf("tile %d/%d/%d differs after reopening", tl.Z, tl.X, tl.Y)
		}
	}
}

// TestNearestVolunteersBruteForce: the nearest suitable volunteers equal a brute-force search on
// 10,000 random queries over 100,000 generated volunteers (the dispatch issue).
func TestNearestVolunteersBruteForce(t *testing.T) {
	f, err := storetest.NewFixture()
	if err != nil {
		t.Fatal(err)
	}
	storetest.NearestBruteForce(t, openFresh(t), f, 100000, 10000, 42)
}
