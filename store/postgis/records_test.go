package postgis_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"civmap"
	"civmap/store"
	"civmap/store/postgis"
	"civmap/store/postgis/pgtest"
	"civmap/store/storetest"
)

// TestDedupeAcrossInstances races identical need submissions through two stores (two pools, as
// two civmap instances) on one database: the advisory lock makes exactly one of them insert.
func TestDedupeAcrossInstances(t *testing.T) {
	ctx := context.Background()
	dbURL := pgtest.NewDatabase(t)
	var stores []*postgis.Store
	for i := 0; i < 2; i++ {
		st, err := postgis.Open(ctx, postgis.Config{URL: dbURL, NoMigrate: i > 0})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		stores = append(stores, st)
	}
	f, err := storetest.NewFixture()
	if err != nil {
		t.Fatal(err)
	}
	n := f.Needs[0]
	n.DedupeKey = "client|same-form"
	t0 := time.Now().UTC()
	var wg sync.WaitGroup
	var mu sync.Mutex
	ids := map[int64]bool{}
	inserted := 0
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			x := n
			x.CreatedAt = t0.Add(time.Duration(40-i) * time.Millisecond) // later submissions may win the lock
			got, ch, err := stores[i%2].CreateNeed(ctx, x)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			ids[got.ID] = true
			if ch == store.Inserted {
				inserted++
			}
		}()
	}
	wg.Wait()
	if len(ids) != 1 || inserted != 1 {
		t.Errorf("40 identical submissions through two instances: ids %v, %d inserted; want one need", ids, inserted)
	}
	if rs, _ := stores[0].ListAudit(ctx, store.AuditFilter{Kind: civmap.KindNeed}); len(rs) != 1 {
		t.Errorf("%d need audit records, want 1", len(rs))
	}
}

// TestAccountWritesKeepVersion checks that account, session, token, throttle and audit writes
// leave the data Version (and so every tile cache) alone, and that every audit record's
// snapshots read back as JSON.
func TestAccountWritesKeepVersion(t *testing.T) {
	ctx := civmap.WithActor(context.Background(), civmap.Actor{System: "postgis test"})
	st, err := postgis.Open(ctx, postgis.Config{URL: pgtest.NewDatabase(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	v0, err := st.Version(ctx)
	if err != nil {
		t.Fatal(err)
	}
	u, err := st.CreateUser(ctx, civmap.User{Login: "vol", Name: "志愿者", Role: civmap.RoleVolunteer, Scope: "430682001001"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	sess, err := st.CreateSession(ctx, civmap.Session{UserID: u.ID, Kind: civmap.SessionDevice, TokenHash: "h1",
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour), Idle: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.IssueCode(ctx, u.ID, "c1"); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.Session(ctx, sess.ID); got.RevokedAt.IsZero() {
		t.Error("a new personal code left the device session active")
	}
	tok, err := st.CreateToken(ctx, civmap.APIToken{UserID: u.ID, Name: "导出", Hash: "t1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.RevokeToken(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	u.Disabled = true
	if _, err := st.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddLoginFailure(ctx, []string{"login:vol"}, now, time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := st.AppendAudit(ctx, civmap.AuditRecord{Action: civmap.AuditFailed, Kind: civmap.KindUser}); err != nil {
		t.Fatal(err)
	}
	if v1, _ := st.Version(ctx); v1 != v0 {
		t.Errorf("account writes moved Version from %d to %d", v0, v1)
	}
	rs, err := st.ListAudit(ctx, store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	// create user, sign-in, issue code, the device session's revocation, token created and
	// revoked, user update, the appended record.
	actions := []string{civmap.AuditFailed, civmap.AuditUpdate, civmap.AuditRevoke, civmap.AuditCreate,
		civmap.AuditRevoke, civmap.AuditIssue, civmap.AuditSignIn, civmap.AuditCreate}
	if len(rs) != len(actions) {
		t.Fatalf("%d audit records, want %d: %+v", len(rs), len(actions), rs)
	}
	for i, r := range rs {
		if r.Action != actions[i] {
			t.Errorf("audit record %d (newest first): %s %s, want %s", i, r.Action, r.Kind, actions[i])
		}
		for _, js := range []json.RawMessage{r.Before, r.After} {
			if js != nil && !json.Valid(js) {
				t.Errorf("audit record %d: invalid JSON %s", r.ID, js)
			}
		}
	}
	if err := st.AppendAudit(ctx, civmap.AuditRecord{Action: civmap.AuditRead, Kind: civmap.KindNeed, After: json.RawMessage(`{"a":`)}); civmap.ErrorCode(err) != civmap.EINVALID {
		t.Errorf("appending malformed JSON: %v, want EINVALID", err)
	}
}
