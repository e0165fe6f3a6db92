package embedded

import (
	"context"
	"path/filepath"
	"testing"

	"civmap/store"
	"civmap/store/storetest"

	"github.com/pressly/goose/v3"
)

// TestOrdersMigrationDown checks that migration 00004 goes down and up again on a file that
// holds volunteers, teams and a need with its workflow state, and that the needs come back
// with queue = site code and updated = created.
func TestOrdersMigrationDown(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "civmap.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := storetest.NewFixture()
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Load(ctx, s); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.PutVolunteers(ctx, storetest.RandomVolunteers(f, 10, 1), false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Secret(ctx, "x"); err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, s.db, mustSub(migrations, "migrations"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 3); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM needs`).Scan(&n); err != nil || n != len(f.Needs) {
		t.Fatalf("after down: %d needs, %v", n, err)
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE needs SET site_code = 'X' WHERE id = 1`); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Need(ctx, 1)
	if err != nil || got.Queue != "X" || !got.UpdatedAt.Equal(got.CreatedAt) || got.Version != 0 {
		t.Errorf("need 1 after down and up: %+v, %v", got, err)
	}
	if vs, _ := s.ListVolunteers(ctx, store.VolunteerFilter{}); len(vs) != 0 {
		t.Errorf("%d volunteers after down and up", len(vs))
	}
	if _, err := s.NeedHistory(ctx, 1); err != nil {
		t.Error(err)
	}
}
