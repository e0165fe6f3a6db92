package embedded_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"civmap"
	"civmap/store"
	"civmap/store/embedded"
)

// TestAuditAppendOnly opens the data file with database/sql directly, as someone with the
// file would, and checks that the audit log refuses UPDATE, DELETE and a replacing INSERT
// underneath the store (triggers of migrations/00003_accounts.sql).
func TestAuditAppendOnly(t *testing.T) {
	ctx := civmap.WithActor(context.Background(), civmap.Actor{System: "test"})
	path := filepath.Join(t.TempDir(), "civmap.db")
	st, err := embedded.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.CreateUser(ctx, civmap.User{Login: "admin", Name: "管理员", Role: civmap.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	if err := st.AppendAudit(ctx, civmap.AuditRecord{Action: civmap.AuditRead, Kind: civmap.KindUser, Note: "x"}); err != nil {
		t.Fatal(err)
	}
	before, err := st.ListAudit(ctx, store.AuditFilter{})
	if err != nil || len(before) != 2 {
		t.Fatalf("audit log: %d records, %v; want 2", len(before), err)
	}

	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		`UPDATE audit SET note = 'forged'`,
		`UPDATE audit SET actor_login = 'someone else' WHERE id = 1`,
		`DELETE FROM audit WHERE id = 1`,
		`DELETE FROM audit`,
		`INSERT OR REPLACE INTO audit (id, at_us, action, kind, note) VALUES (1, 0, 'read', 'user', 'forged')`,
		`REPLACE INTO audit (id, at_us, action, kind, note) VALUES (2, 0, 'read', 'user', 'forged')`,
		`INSERT INTO audit (id, at_us, action, kind, note) VALUES (1, 0, 'read', 'user', 'forged')
			ON CONFLICT (id) DO UPDATE SET note = excluded.note`,
	} {
		_, err := db.Exec(q)
		if err == nil {
			t.Errorf("%s: succeeded, want the audit log to refuse it", q)
		} else if !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v; want the append-only trigger's error", q, err)
		}
	}
	after, err := st.ListAudit(ctx, store.AuditFilter{})
	if err != nil || len(after) != len(before) {
		t.Fatalf("audit log after the attempts: %d records, %v; want %d", len(after), err, len(before))
	}
	for i := range after {
		if after[i].Note != before[i].Note || after[i].ActorLogin != before[i].ActorLogin {
			t.Errorf("audit record %d changed: %+v, was %+v", after[i].ID, after[i], before[i])
		}
	}
	// Appending still works, from either side.
	if _, err := db.Exec(`INSERT INTO audit (at_us, action, kind) VALUES (0, 'read', 'user')`); err != nil {
		t.Errorf("plain insert refused: %v", err)
	}
}
