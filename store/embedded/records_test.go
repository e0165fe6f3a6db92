package embedded_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"civmap"
	"civmap/store"
	"civmap/store/embedded"
	"civmap/tiles"

	"github.com/paulmach/orb"
)

// TestReopenRecords checks that updates, moderation and de-duplication keys are durable: a
// reopened data file keeps hidden records out of lists, tiles and cluster counts (but not out
// of staff lists), has the updated activity where it was moved, and still de-duplicates.
func TestReopenRecords(t *testing.T) {
	ctx := civmap.WithActor(context.Background(), civmap.Actor{System: "test"})
	path := filepath.Join(t.TempDir(), "civmap.db")
	st, err := embedded.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	center := site("430682", "", civmap.LevelCenter, orb.Point{113.44, 29.48})
	a1 := site("430682001", "430682", civmap.LevelStation, orb.Point{113.45, 29.49})
	a2 := site("430682002", "430682", civmap.LevelStation, orb.Point{113.60, 29.60})
	if _, err := st.Put(ctx, store.Batch{Sites: []civmap.Site{center, a1, a2}}); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	act := civmap.Activity{Title: "宣讲", ContentArea: civmap.ContentAreas[0], Platform: civmap.Platforms[0],
		Start: start, End: start.Add(time.Hour), Place: civmap.Place{Code: a1.Code}, SiteCode: a1.Code,
		Location: a1.Location, Status: civmap.ActivityPlanned}
	shown, err := st.CreateActivity(ctx, act)
	if err != nil {
		t.Fatal(err)
	}
	moved := shown
	moved.Place, moved.SiteCode, moved.Location = civmap.Place{Code: a2.Code}, a2.Code, a2.Location
	if moved, err = st.UpdateActivity(ctx, moved); err != nil {
		t.Fatal(err)
	}
	hidden, err := st.CreateActivity(ctx, act)
	if err != nil {
		t.Fatal(err)
	}
	need := civmap.Need{Category: civmap.NeedCategories[0], Description: "需要帮助", Place: civmap.Place{Code: a1.Code},
		SiteCode: a1.Code, Location: a1.Location, Status: civmap.NeedSubmitted, DedupeKey: "client|1"}
	n, ch, err := st.CreateNeed(ctx, need)
	if err != nil || ch != store.Inserted {
		t.Fatalf("CreateNeed: %v, %v", ch, err)
	}
	hide := civmap.Moderation{Hidden: true, Reason: "广告"}
	if err := st.Moderate(ctx, civmap.KindActivity, hidden.ID, hide); err != nil {
		t.Fatal(err)
	}
	if err := st.Moderate(ctx, civmap.KindNeed, n.ID, hide); err != nil {
		t.Fatal(err)
	}
	st.Close()

	st, err = embedded.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if got, _ := st.Activity(ctx, hidden.ID); got.Moderation != hide {
		t.Errorf("hidden activity after reopening: %+v", got.Moderation)
	}
	if got, _ := st.Need(ctx, n.ID); got.Moderation != hide || got.DedupeKey != "client|1" {
		t.Errorf("hidden need after reopening: %+v, key %q", got.Moderation, got.DedupeKey)
	}
	if got, _ := st.Activity(ctx, moved.ID); got.SiteCode != a2.Code || got.Location != a2.Location {
		t.Errorf("updated activity after reopening: %+v", got)
	}
	if list, _ := st.ListActivities(ctx, store.ActivityFilter{}); len(list) != 1 || list[0].ID != moved.ID {
		t.Errorf("public activities after reopening: %v", list)
	}
	if list, _ := st.ListActivities(ctx, store.ActivityFilter{IncludeHidden: true}); len(list) != 2 {
		t.Errorf("staff activities after reopening: %d, want 2", len(list))
	}
	if list, _ := st.ListNeeds(ctx, store.NeedFilter{}); len(list) != 0 {
		t.Errorf("public needs after reopening: %v", list)
	}
	county := orb.Bound{Min: orb.Point{113, 29}, Max: orb.Point{114, 30}}
	for _, l := range []tiles.Layer{tiles.LayerActivities, tiles.LayerNeeds} {
		cs, err := st.ClusterCounts(ctx, l, 9, county)
		want := map[tiles.Layer]int{tiles.LayerActivities: 1, tiles.LayerNeeds: 0}[l]
		total := 0
		for _, c := range cs {
			total += c.Count
		}
		if err != nil || total != want {
			t.Errorf("%s counted after reopening: %d, %v; want %d", l, total, err, want)
		}
	}
	// The key is still known: a repeat within the window is the hidden need, not a new one.
	again := need
	again.CreatedAt = n.CreatedAt.Add(time.Minute)
	if got, ch, err := st.CreateNeed(ctx, again); err != nil || ch != store.Unchanged || got.ID != n.ID {
		t.Errorf("repeat after reopening: need %d, %v, %v; want need %d unchanged", got.ID, ch, err, n.ID)
	}
}
