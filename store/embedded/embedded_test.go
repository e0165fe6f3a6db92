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

func site(code, parent string, level civmap.Level, p orb.Point) civmap.Site {
	return civmap.Site{Code: code, Name: code + "站", Level: level, ParentCode: parent, DivisionCode: code,
		Location: civmap.Location{Point: p, Source: civmap.CoordImported, Precision: civmap.PrecisionExact}}
}

func TestPutIsAllOrNothingAndDurable(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "x.db")
	st, err := embedded.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	good := []civmap.Site{site("430682", "", civmap.LevelCenter, orb.Point{113.44, 29.48}),
		site("430682001", "430682", civmap.LevelStation, orb.Point{113.45, 29.49})}
	bad := append(good, site("430682001001", "430682999", civmap.LevelPost, orb.Point{113.46, 29.5}))
	_, err = st.Put(ctx, store.Batch{Sites: bad})
	if civmap.ErrorCode(err) != civmap.EINVALID || civmap.ErrorField(err) != "sites[2].parent_code" {
		t.Fatalf("batch with an unknown parent: %v", err)
	}
	if all, _ := st.ListSites(ctx, store.SiteFilter{}); len(all) != 0 {
		t.Fatalf("a rejected batch stored %d sites", len(all))
	}
	res, err := st.Put(ctx, store.Batch{Sites: good})
	if err != nil || res.Sites[0] != store.Inserted || res.Sites[1] != store.Inserted {
		t.Fatalf("Put: %v %v", res, err)
	}
	res, err = st.Put(ctx, store.Batch{Sites: good})
	if err != nil || res.Sites[0] != store.Unchanged {
		t.Fatalf("re-Put: %v %v", res, err)
	}
	moved := good[1]
	moved.Location.Point = orb.Point{113.5, 29.5}
	if res, err = st.Put(ctx, store.Batch{Sites: []civmap.Site{moved}}); err != nil || res.Sites[0] != store.Updated {
		t.Fatalf("update: %v %v", res, err)
	}
	a, err := st.CreateActivity(ctx, civmap.Activity{Title: "宣讲", ContentArea: civmap.ContentAreas[0], Platform: civmap.Platforms[0],
		Start: time.Now(), End: time.Now().Add(time.Hour), Place: civmap.Place{Code: "430682001"}, SiteCode: "430682001",
		Location: moved.Location, Status: civmap.ActivityPlanned})
	if err != nil || a.ID != 1 {
		t.Fatalf("CreateActivity: %v %v", a.ID, err)
	}
	st.Close()

	st, err = embedded.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got, err := st.Site(ctx, "430682001")
	if err != nil || got.Location.Point != moved.Location.Point || got.ID != 430682001 {
		t.Fatalf("after reopen: %+v %v", got, err)
	}
	near, err := st.NearestSites(ctx, orb.Point{113.5, 29.5}, 1, store.SiteFilter{})
	if err != nil || len(near) != 1 || near[0].Item.Code != "430682001" || near[0].DistanceM > 1 {
		t.Fatalf("nearest after move: %+v %v", near, err)
	}
	cs, err := st.ClusterCounts(ctx, tiles.LayerActivities, 9, orb.Bound{Min: orb.Point{113, 29}, Max: orb.Point{114, 30}})
	if err != nil || len(cs) != 1 || cs[0].Count != 1 {
		t.Fatalf("cluster counts after reopen: %v %v", cs, err)
	}
	if _, err := st.Site(ctx, "1"); civmap.ErrorCode(err) != civmap.ENOTFOUND {
		t.Errorf("unknown site: %v", err)
	}
}

func TestNearestSitesOrder(t *testing.T) {
	ctx := context.Background()
	st, err := embedded.Open(ctx, filepath.Join(t.TempDir(), "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sites := []civmap.Site{site("430682", "", civmap.LevelCenter, orb.Point{113.44, 29.48})}
	// Posts on a line eastwards, 0.01° apart (~970 m), plus one far away.
	for i := 1; i <= 5; i++ {
		code := "43068200100" + string(rune('0'+i))
		sites = append(sites, site(code, "430682", civmap.LevelPost, orb.Point{113.44 + 0.01*float64(i), 29.48}))
	}
	sites[0].Level = civmap.LevelCenter
	for i := range sites[1:] {
		sites[i+1].Level = civmap.LevelBase // 12-digit codes as bases keep the test free of towns
		sites[i+1].Code = "B" + sites[i+1].Code
	}
	sites = append(sites, site("B-far", "430682", civmap.LevelBase, orb.Point{120, 30}))
	if _, err := st.Put(ctx, store.Batch{Sites: sites}); err != nil {
		t.Fatal(err)
	}
	near, err := st.NearestSites(ctx, orb.Point{113.475, 29.48}, 4, store.SiteFilter{Level: civmap.LevelBase})
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, n := range near {
		codes = append(codes, n.Item.Code)
	}
	want := []string{"B430682001003", "B430682001004", "B430682001002", "B430682001005"}
	if len(codes) != 4 || codes[0] != want[0] || codes[1] != want[1] || codes[2] != want[2] || codes[3] != want[3] {
		t.Errorf("nearest order %v, want %v", codes, want)
	}
	all, err := st.NearestSites(ctx, orb.Point{113.475, 29.48}, 100, store.SiteFilter{})
	if err != nil || len(all) != 7 || all[6].Item.Code != "B-far" {
		t.Errorf("k larger than the store: %d results, last %v, %v", len(all), all[len(all)-1].Item.Code, err)
	}
}

func TestOneProcessPerDataFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "x.db")
	st, err := embedded.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	// flock locks belong to open files, so a second Open in this process stands in for a second
	// process.
	if _, err := embedded.Open(ctx, path); civmap.ErrorCode(err) != civmap.ECONFLICT {
		t.Fatalf("second Open while the first is open: %v, want ECONFLICT", err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st, err = embedded.Open(ctx, path)
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	st.Close()
}
