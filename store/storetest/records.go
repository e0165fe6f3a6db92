package storetest

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"civmap"
	"civmap/geo"
	"civmap/store"
	"civmap/tiles"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// RunRecords checks the writes that change activities and needs after their creation
// (UpdateActivity, Moderate), de-duplicated need submissions and SiteChain.
func RunRecords(t *testing.T, open Opener) {
	f, err := NewFixture()
	if err != nil {
		t.Fatal(err)
	}
	t.Run("SiteChain", func(t *testing.T) { testSiteChain(t, open(t), f) })
	t.Run("UpdateActivity", func(t *testing.T) { testUpdateActivity(t, open(t), f) })
	t.Run("Moderate", func(t *testing.T) { testModerate(t, open(t), f) })
	t.Run("Dedupe", func(t *testing.T) { testDedupe(t, open(t), f) })
}

func testSiteChain(t *testing.T, st store.Store, f Fixture) {
	ctx := context.Background()
	if err := f.Load(ctx, st); err != nil {
		t.Fatal(err)
	}
	post := firstPost(t, f, func(civmap.Site) bool { return true })
	town := post.ParentCode
	for _, c := range []struct {
		code string
		want []string
	}{
		{"430682", []string{"430682"}},
		{town, []string{town, "430682"}},
		{post.Code, []string{post.Code, town, "430682"}},
	} {
		got, err := st.SiteChain(ctx, c.code)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("SiteChain(%s) = %v, %v; want %v", c.code, got, err, c.want)
		}
	}
	for _, v := range f.Venues {
		if v.SiteCode != post.Code {
			continue
		}
		got, err := st.SiteChain(ctx, v.Code)
		if want := []string{v.Code, post.Code, town, "430682"}; err != nil || !slices.Equal(got, want) {
			t.Errorf("SiteChain(venue %s) = %v, %v; want %v", v.Code, got, err, want)
		}
	}
	for _, s := range f.Sites {
		if s.Level == civmap.LevelBase {
			got, err := st.SiteChain(ctx, s.Code)
			if err != nil || len(got) < 2 || got[0] != s.Code || got[len(got)-1] != "430682" {
				t.Errorf("SiteChain(base %s) = %v, %v", s.Code, got, err)
			}
		}
	}
	_, err := st.SiteChain(ctx, "430682999999")
	wantCode(t, "SiteChain of an unknown code", err, civmap.ENOTFOUND, "")
}

func activityAt(f Fixture, site civmap.Site, start time.Time) civmap.Activity {
	a := f.Activities[0]
	a.ID, a.Place, a.SiteCode, a.Location = 0, civmap.Place{Code: site.Code}, site.Code, site.Location
	a.Start, a.End = start, start.Add(2*time.Hour)
	a.Moderation = civmap.Moderation{}
	return a
}

func count(t *testing.T, st store.Store, layer tiles.Layer, p orb.Point) int {
	t.Helper()
	c, err := geo.Cell(p, 9)
	if err != nil {
		t.Fatal(err)
	}
	counts, err := st.ClusterCounts(context.Background(), layer, 9, geo.CellPolygon(c).Bound())
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range counts {
		if x.Cell == c {
			return x.Count
		}
	}
	return 0
}

// tileHas reports whether the tile of p at zoom 14 holds a feature with id in layer.
func tileHas(t *testing.T, st store.Store, layer tiles.Layer, p orb.Point, id int64) bool {
	t.Helper()
	b, err := st.Tile(context.Background(), []tiles.Layer{layer}, maptile.At(p, 14))
	if err != nil {
		t.Fatal(err)
	}
	if b == nil {
		return false
	}
	layers, err := DecodeTile(b)
	if err != nil {
		t.Fatal(err)
	}
	_, ok := layers[string(layer)].Features[uint64(id)]
	return ok
}

func testUpdateActivity(t *testing.T, st store.Store, f Fixture) {
	ctx := system
	if _, err := st.Put(ctx, store.Batch{Sites: f.Sites, Venues: f.Venues, Areas: f.Areas}); err != nil {
		t.Fatal(err)
	}
	posts := []civmap.Site{}
	for _, s := range f.Sites {
		if s.Level == civmap.LevelPost {
			posts = append(posts, s)
		}
	}
	from, to := posts[0], posts[len(posts)-1]
	a, err := st.CreateActivity(ctx, activityAt(f, from, f.Now.Add(time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	if count(t, st, tiles.LayerActivities, from.Location.Point) != 1 {
		t.Fatal("the new activity is not counted at its site")
	}
	changed := a
	changed.Title = "移到另一个村"
	changed.Place, changed.SiteCode, changed.Location = civmap.Place{Code: to.Code}, to.Code, to.Location
	changed.Start = f.Now.Add(48 * time.Hour)
	changed.End = changed.Start.Add(3 * time.Hour)
	changed.Status = civmap.ActivityCancelled
	changed.Demo = !a.Demo
	changed.CreatedAt = a.CreatedAt.Add(time.Hour)
	changed.Moderation = civmap.Moderation{Hidden: true, Reason: "不应由更新写入"}
	got, err := st.UpdateActivity(ctx, changed)
	if err != nil {
		t.Fatal(err)
	}
	want := changed
	want.Demo, want.CreatedAt, want.Moderation = a.Demo, a.CreatedAt, a.Moderation
	back, _ := st.Activity(ctx, a.ID)
	for _, x := range []civmap.Activity{got, back} {
		if !sameActivity(x, want) {
			t.Errorf("updated activity %+v, want %+v", x, want)
		}
	}
	if n := count(t, st, tiles.LayerActivities, from.Location.Point); n != 0 {
		t.Errorf("old cell still counts %d", n)
	}
	if n := count(t, st, tiles.LayerActivities, to.Location.Point); n != 1 {
		t.Errorf("new cell counts %d, want 1", n)
	}
	if tileHas(t, st, tiles.LayerActivities, from.Location.Point, a.ID) || !tileHas(t, st, tiles.LayerActivities, to.Location.Point, a.ID) {
		t.Error("the updated activity is not drawn at its new place only")
	}
	if list, _ := st.ListActivities(ctx, store.ActivityFilter{SiteCode: to.Code}); len(list) != 1 || list[0].ID != a.ID {
		t.Errorf("activities of the new site: %v", list)
	}
	if list, _ := st.ListActivities(ctx, store.ActivityFilter{SiteCode: from.Code}); len(list) != 0 {
		t.Errorf("activities of the old site: %v", list)
	}

	ghost := changed
	ghost.ID = 99999
	_, err = st.UpdateActivity(ctx, ghost)
	wantCode(t, "updating an unknown activity", err, civmap.ENOTFOUND, "")
	bad := changed
	bad.End = bad.Start
	_, err = st.UpdateActivity(ctx, bad)
	wantCode(t, "updating to an empty time span", err, civmap.EINVALID, "end")
	if back2, _ := st.Activity(ctx, a.ID); !sameActivity(back2, want) {
		t.Error("a rejected update changed the activity")
	}
}

func testModerate(t *testing.T, st store.Store, f Fixture) {
	ctx := system
	if _, err := st.Put(ctx, store.Batch{Sites: f.Sites, Venues: f.Venues, Areas: f.Areas}); err != nil {
		t.Fatal(err)
	}
	site := firstPost(t, f, func(civmap.Site) bool { return true })
	a, err := st.CreateActivity(ctx, activityAt(f, site, f.Now.Add(time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	n := f.Needs[0]
	n.ID, n.Place, n.SiteCode, n.Location = 0, civmap.Place{Code: site.Code}, site.Code, site.Location
	n, _, err = st.CreateNeed(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	p := site.Location.Point
	visible := func(want bool) {
		t.Helper()
		acts, _ := st.ListActivities(ctx, store.ActivityFilter{SiteCode: site.Code})
		needs, _ := st.ListNeeds(ctx, store.NeedFilter{SiteCode: site.Code})
		allActs, _ := st.ListActivities(ctx, store.ActivityFilter{SiteCode: site.Code, IncludeHidden: true})
		allNeeds, _ := st.ListNeeds(ctx, store.NeedFilter{SiteCode: site.Code, IncludeHidden: true})
		one := map[bool]int{true: 1, false: 0}[want]
		if len(acts) != one || len(needs) != one || len(allActs) != 1 || len(allNeeds) != 1 {
			t.Errorf("visible %v: listed %d activities and %d needs (%d and %d with hidden ones)", want, len(acts), len(needs), len(allActs), len(allNeeds))
		}
		if got := count(t, st, tiles.LayerActivities, p); got != one {
			t.Errorf("visible %v: activity cell counts %d", want, got)
		}
		if got := count(t, st, tiles.LayerNeeds, n.Location.Point); got != one {
			t.Errorf("visible %v: need cell counts %d", want, got)
		}
		if tileHas(t, st, tiles.LayerActivities, p, a.ID) != want || tileHas(t, st, tiles.LayerNeeds, p, n.ID) != want {
			t.Errorf("visible %v: tiles disagree", want)
		}
	}
	visible(true)
	v0, _ := st.Version(ctx)
	hide := civmap.Moderation{Hidden: true, Reason: "虚假信息"}
	if err := st.Moderate(ctx, civmap.KindActivity, a.ID, hide); err != nil {
		t.Fatal(err)
	}
	if err := st.Moderate(ctx, civmap.KindNeed, n.ID, hide); err != nil {
		t.Fatal(err)
	}
	if v1, _ := st.Version(ctx); v1 == v0 {
		t.Error("Version did not change when records were hidden")
	}
	visible(false)
	if got, _ := st.Activity(ctx, a.ID); got.Moderation != hide {
		t.Errorf("hidden activity's moderation: %+v", got.Moderation)
	}
	if got, _ := st.Need(ctx, n.ID); got.Moderation != hide {
		t.Errorf("hidden need's moderation: %+v", got.Moderation)
	}
	if err := st.Moderate(ctx, civmap.KindActivity, a.ID, civmap.Moderation{}); err != nil {
		t.Fatal(err)
	}
	if err := st.Moderate(ctx, civmap.KindNeed, n.ID, civmap.Moderation{}); err != nil {
		t.Fatal(err)
	}
	visible(true)

	wantCode(t, "hiding without a reason", st.Moderate(ctx, civmap.KindNeed, n.ID, civmap.Moderation{Hidden: true}), civmap.EINVALID, "reason")
	wantCode(t, "hiding an unknown need", st.Moderate(ctx, civmap.KindNeed, 99999, hide), civmap.ENOTFOUND, "")
	wantCode(t, "hiding an unknown activity", st.Moderate(ctx, civmap.KindActivity, 99999, hide), civmap.ENOTFOUND, "")
	wantCode(t, "moderating a site", st.Moderate(ctx, civmap.KindSite, 1, hide), civmap.EINVALID, "kind")
	visible(true)
}

func testDedupe(t *testing.T, st store.Store, f Fixture) {
	ctx := system
	if _, err := st.Put(ctx, store.Batch{Sites: f.Sites, Areas: f.Areas}); err != nil {
		t.Fatal(err)
	}
	site := firstPost(t, f, func(civmap.Site) bool { return true })
	base := f.Needs[0]
	base.ID, base.Place, base.SiteCode, base.Location = 0, civmap.Place{Code: site.Code}, site.Code, site.Location
	base.DedupeKey = "client-a|hash-1"
	t0 := time.Now().UTC().Truncate(time.Microsecond)
	at := func(n civmap.Need, d time.Duration) civmap.Need { n.CreatedAt = t0.Add(d); return n }

	first, ch, err := st.CreateNeed(ctx, at(base, 0))
	if err != nil || ch != store.Inserted {
		t.Fatalf("first need: %v, %v", ch, err)
	}
	again, ch, err := st.CreateNeed(ctx, at(base, 9*time.Minute))
	if err != nil || ch != store.Unchanged || again.ID != first.ID || !again.CreatedAt.Equal(first.CreatedAt) {
		t.Errorf("the same key 9 minutes later: id %d (%v), %v; want need %d unchanged", again.ID, ch, err, first.ID)
	}
	other := base
	other.DedupeKey = "client-b|hash-1"
	if got, ch, _ := st.CreateNeed(ctx, at(other, time.Minute)); ch != store.Inserted || got.ID == first.ID {
		t.Errorf("another key: %v, id %d", ch, got.ID)
	}
	if got, ch, _ := st.CreateNeed(ctx, at(base, 11*time.Minute)); ch != store.Inserted || got.ID == first.ID {
		t.Errorf("the same key after the window: %v, id %d", ch, got.ID)
	}
	none := base
	none.DedupeKey = ""
	a, _, _ := st.CreateNeed(ctx, at(none, 0))
	b, ch, _ := st.CreateNeed(ctx, at(none, 0))
	if ch != store.Inserted || a.ID == b.ID {
		t.Errorf("needs without a key were de-duplicated: %d, %d", a.ID, b.ID)
	}

	// Racing identical submissions store one need.
	race := base
	race.DedupeKey = "client-c|hash-2"
	var wg sync.WaitGroup
	var mu sync.Mutex
	ids := map[int64]int{}
	inserted := 0
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, ch, err := st.CreateNeed(ctx, at(race, time.Duration(i)*time.Millisecond))
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			ids[got.ID]++
			if ch == store.Inserted {
				inserted++
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	if len(ids) != 1 || inserted != 1 {
		t.Errorf("20 racing identical submissions: ids %v, %d inserted; want one need", ids, inserted)
	}
	all, _ := st.ListNeeds(ctx, store.NeedFilter{})
	if len(all) != 6 {
		t.Errorf("%d needs stored, want 6", len(all))
	}
}
