package postgis_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"civmap"
	"civmap/store"
	"civmap/store/postgis"
	"civmap/store/postgis/pgtest"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// TestAuditAppendOnly checks that the audit table refuses UPDATE, DELETE and TRUNCATE
// underneath the application, for the roles the service may run as: the test's own role (a
// superuser, which bypasses privileges, so only the triggers stop it); a role that does not own
// the tables but was granted every privilege on them (the triggers still stop it, and it may
// not disable them); and a role that owns the schema because it ran the migrations (it gave up
// the privileges in the migration).
func TestAuditAppendOnly(t *testing.T) {
	ctx := context.Background()
	dbURL := pgtest.NewDatabase(t)
	st, err := postgis.Open(ctx, postgis.Config{URL: dbURL})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.AppendAudit(ctx, civmap.AuditRecord{ActorLogin: "storetest", Action: civmap.AuditRead,
		Kind: civmap.KindNeed, RecordID: "1", After: json.RawMessage(`{"a":1}`)}); err != nil {
		t.Fatal(err)
	}

	t.Run("TestRole", func(t *testing.T) {
		tryTampering(t, st, true)
	})

	t.Run("GrantedRole", func(t *testing.T) {
		role := newRole(t, dbURL)
		for _, grant := range []string{
			"GRANT ALL PRIVILEGES ON ALL TABLES IN SCHEMA public TO " + role,
			"GRANT INSERT, SELECT, UPDATE, DELETE, TRUNCATE ON audit TO " + role,
			"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO " + role,
		} {
			if _, err := st.Pool().Exec(ctx, grant); err != nil {
				t.Fatal(err)
			}
		}
		as, err := postgis.Open(ctx, postgis.Config{URL: withUser(t, dbURL, role), NoMigrate: true})
		if err != nil {
			t.Fatal(err)
		}
		defer as.Close()
		// The service's writes still append.
		if err := as.AppendAudit(ctx, civmap.AuditRecord{ActorLogin: role, Action: civmap.AuditRead, Kind: civmap.KindUser}); err != nil {
			t.Fatalf("appending as a granted role: %v", err)
		}
		tryTampering(t, as, true)
		if _, err := as.Pool().Exec(ctx, "ALTER TABLE audit DISABLE TRIGGER USER"); err == nil {
			t.Error("a role that does not own audit disabled its triggers")
		}
	})

	t.Run("OwnerRole", func(t *testing.T) {
		owner := newRole(t, dbURL)
		ownedURL := pgtest.NewDatabase(t)
		admin, err := pgx.Connect(ctx, ownedURL)
		if err != nil {
			t.Fatal(err)
		}
		defer admin.Close(ctx)
		u, _ := url.Parse(ownedURL)
		if _, err := admin.Exec(ctx, "ALTER DATABASE "+strings.TrimPrefix(u.Path, "/")+" OWNER TO "+owner); err != nil {
			t.Fatal(err)
		}
		// The owner runs the migrations (postgis is already there, created by pgtest).
		own, err := postgis.Open(ctx, postgis.Config{URL: withUser(t, ownedURL, owner)})
		if err != nil {
			t.Fatalf("open and migrate as the owner: %v", err)
		}
		defer own.Close()
		var tableOwner string
		if err := own.Pool().QueryRow(ctx, `SELECT tableowner FROM pg_tables WHERE tablename = 'audit'`).Scan(&tableOwner); err != nil || tableOwner != owner {
			t.Fatalf("audit is owned by %q (%v), want %s", tableOwner, err, owner)
		}
		if err := own.AppendAudit(ctx, civmap.AuditRecord{ActorLogin: owner, Action: civmap.AuditRead, Kind: civmap.KindUser}); err != nil {
			t.Fatalf("appending as the owner: %v", err)
		}
		tryTampering(t, own, false)
	})
}

// tryTampering runs UPDATE, DELETE and TRUNCATE on audit through st's pool and checks that each
// fails with SQLSTATE 42501 — raised by the append-only trigger when byTrigger, by the
// privilege check otherwise — and that the rows are unchanged.
func tryTampering(t *testing.T, st *postgis.Store, byTrigger bool) {
	t.Helper()
	ctx := context.Background()
	before, err := st.ListAudit(ctx, store.AuditFilter{})
	if err != nil || len(before) == 0 {
		t.Fatalf("ListAudit = %d records, %v", len(before), err)
	}
	for _, sql := range []string{
		`UPDATE audit SET note = 'forged'`,
		`UPDATE audit SET actor_login = 'someone else' WHERE id = (SELECT max(id) FROM audit)`,
		`DELETE FROM audit`,
		`DELETE FROM audit WHERE id = (SELECT min(id) FROM audit)`,
		`TRUNCATE audit`,
	} {
		_, err := st.Pool().Exec(ctx, sql)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "42501" {
			t.Errorf("%s: err = %v; want SQLSTATE 42501", sql, err)
			continue
		}
		if fromTrigger := strings.Contains(pgErr.Where, "audit_append_only"); fromTrigger != byTrigger {
			t.Errorf("%s: refused by the trigger: %v, want %v (%s; %s)", sql, fromTrigger, byTrigger, pgErr.Message, pgErr.Where)
		}
	}
	after, err := st.ListAudit(ctx, store.AuditFilter{})
	if err != nil || fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("the audit log changed: %v, %v\nwas %v", after, err, before)
	}
}

// newRole creates a login role without superuser rights on the server of dbURL and drops it
// when the test ends, after revoking what it was granted in dbURL's database (databases created
// after this call are dropped first: cleanups run last-in first-out).
func newRole(t *testing.T, dbURL string) string {
	t.Helper()
	ctx := context.Background()
	role := fmt.Sprintf("civmap_audit_%d", time.Now().UnixNano())
	c, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "CREATE ROLE "+role+" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), dbURL)
		if err != nil {
			t.Errorf("drop role %s: %v", role, err)
			return
		}
		defer c.Close(context.Background())
		// Its privileges in dbURL's database, which may outlive this test, go first.
		if _, err := c.Exec(context.Background(), "DROP OWNED BY "+role); err != nil {
			t.Logf("drop owned by %s: %v", role, err)
		}
		if _, err := c.Exec(context.Background(), "DROP ROLE IF EXISTS "+role); err != nil {
			t.Logf("drop role %s: %v", role, err)
		}
	})
	return role
}

// withUser returns dbURL connecting as role (the test server trusts local connections).
func withUser(t *testing.T, dbURL, role string) string {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User(role)
	return u.String()
}
