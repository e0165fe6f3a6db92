package embedded_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"civmap"
	"civmap/store"
	"civmap/store/embedded"
	"civmap/store/storetest"
)

// TestSharedBesideServer opens a data file with OpenShared while a Store (the server) holds it,
// and checks that each sees the other's account writes, that Site and SiteChain read the same
// network as the server's, and that account writes leave the server's Version alone.
func TestSharedBesideServer(t *testing.T) {
	ctx := civmap.WithActor(context.Background(), civmap.Actor{System: "civmap user"})
	path := filepath.Join(t.TempDir(), "civmap.db")
	st, err := embedded.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	f, err := storetest.NewFixture()
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Load(ctx, st); err != nil {
		t.Fatal(err)
	}
	v0, _ := st.Version(ctx)

	sh, err := embedded.OpenShared(ctx, path)
	if err != nil {
		t.Fatalf("OpenShared beside a running store: %v", err)
	}
	defer sh.Close()

	// Scope checks read the network from the file, as the server does from memory.
	codes := []string{"430682999999"}
	for _, s := range f.Sites {
		codes = append(codes, s.Code)
	}
	for _, v := range f.Venues {
		codes = append(codes, v.Code)
	}
	for _, c := range codes {
		want, werr := st.SiteChain(ctx, c)
		got, gerr := sh.SiteChain(ctx, c)
		if !slices.Equal(got, want) || civmap.ErrorCode(gerr) != civmap.ErrorCode(werr) {
			t.Errorf("Shared.SiteChain(%s) = %v, %v; the server says %v, %v", c, got, gerr, want, werr)
		}
	}
	site, err := sh.Site(ctx, f.Sites[0].Code)
	if want, _ := st.Site(ctx, f.Sites[0].Code); err != nil || site != want {
		t.Errorf("Shared.Site = %+v, %v; want %+v", site, err, want)
	}
	if _, err := sh.Site(ctx, "430682999999"); civmap.ErrorCode(err) != civmap.ENOTFOUND {
		t.Errorf("Shared.Site(unknown) = %v, want ENOTFOUND", err)
	}

	// A user added by the command is the server's user, and the other way round.
	u, err := sh.CreateUser(ctx, civmap.User{Login: "zhangsan", Name: "张三", Role: civmap.RoleStation, Scope: f.Sites[1].Code})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := st.UserByLogin(ctx, "zhangsan"); err != nil || got.ID != u.ID {
		t.Errorf("the server does not see the command's user: %+v, %v", got, err)
	}
	if _, err := st.CreateUser(ctx, civmap.User{Login: "zhangsan", Name: "另一个", Role: civmap.RoleViewer}); civmap.ErrorCode(err) != civmap.ECONFLICT {
		t.Errorf("the server created a second zhangsan: %v", err)
	} else if strings.Contains(civmap.ErrorMessage(err), "UNIQUE") {
		t.Errorf("the conflict's message leaks SQL: %q", civmap.ErrorMessage(err))
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	sess, err := st.CreateSession(ctx, civmap.Session{UserID: u.ID, Kind: civmap.SessionPassword,
		TokenHash: strings.Repeat("ab", 32), CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour), Idle: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	u.Disabled = true
	if _, err := sh.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if got, gu, err := st.SessionByHash(ctx, sess.TokenHash); err != nil || got.RevokedAt.IsZero() || !gu.Disabled {
		t.Errorf("disabling by command: the server's session %+v, user disabled %v, %v", got, gu.Disabled, err)
	}

	// Both processes count failed sign-ins against one key.
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if i%2 == 0 {
				_, err = st.AddLoginFailure(ctx, []string{"login:race"}, now, time.Hour)
			} else {
				_, err = sh.AddLoginFailure(ctx, []string{"login:race"}, now, time.Hour)
			}
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got, _ := sh.LoginFailures(ctx, []string{"login:race"}); got[0].Count != 20 {
		t.Errorf("20 failures from two handles counted %d", got[0].Count)
	}

	// Both wrote the audit log; account writes left the server's Version alone.
	recs, err := st.ListAudit(ctx, store.AuditFilter{Kind: civmap.KindUser, RecordID: strconv.FormatInt(u.ID, 10)})
	if err != nil || len(recs) != 2 || recs[0].ActorLogin != "civmap user" {
		t.Errorf("audit of the command's user: %+v, %v; want its creation and update", recs, err)
	}
	if v, _ := st.Version(ctx); v != v0 {
		t.Errorf("account writes changed Version from %d to %d", v0, v)
	}
}

// TestOpenSharedRefuses checks that OpenShared neither creates a missing file nor uses one
// whose schema is not this binary's.
func TestOpenSharedRefuses(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()

	missing := filepath.Join(dir, "missing.db")
	if _, err := embedded.OpenShared(ctx, missing); civmap.ErrorCode(err) != civmap.EUNAVAILABLE {
		t.Errorf("OpenShared(missing file) = %v, want EUNAVAILABLE", err)
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("OpenShared created %s: %v", missing, err)
	}

	// A SQLite file that civmap never migrated.
	blank := filepath.Join(dir, "blank.db")
	db, err := sql.Open("sqlite", "file:"+blank)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE other (x INTEGER)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := embedded.OpenShared(ctx, blank); civmap.ErrorCode(err) != civmap.EUNAVAILABLE || !strings.Contains(err.Error(), "civmap serve") {
		t.Errorf("OpenShared(unmigrated file) = %v, want EUNAVAILABLE telling to start the server", err)
	}

	// A file one migration behind (as an older civmap left it).
	old := filepath.Join(dir, "old.db")
	st, err := embedded.Open(ctx, old)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	db, err = sql.Open("sqlite", "file:"+old)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DELETE FROM goose_db_version WHERE version_id = (SELECT MAX(version_id) FROM goose_db_version)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := embedded.OpenShared(ctx, old); civmap.ErrorCode(err) != civmap.EUNAVAILABLE || !strings.Contains(err.Error(), "civmap serve") {
		t.Errorf("OpenShared(file behind) = %v, want EUNAVAILABLE telling to start the server", err)
	}
}
