package importer_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"civmap"
	"civmap/geo"
	"civmap/importer"
	"civmap/seed"
	"civmap/store"
	"civmap/store/embedded"
	"civmap/store/postgis"
	"civmap/store/postgis/pgtest"

	"github.com/paulmach/orb"
)

// stores runs f against a fresh embedded store and, when CIVMAP_TEST_DATABASE_URL is set, a
// fresh PostGIS store, each holding Linxiang's 176 sites at their placeholder points and the
// county outline (what `civmap serve` starts with).
func stores(t *testing.T, f func(t *testing.T, st store.Store)) {
	open := map[string]func(t *testing.T) store.Store{
		"embedded": func(t *testing.T) store.Store {
			st, err := embedded.Open(context.Background(), filepath.Join(t.TempDir(), "civmap.db"))
			if err != nil {
				t.Fatal(err)
			}
			return st
		},
		"postgis": func(t *testing.T) store.Store {
			st, err := postgis.Open(context.Background(), postgis.Config{URL: pgtest.NewDatabase(t)})
			if err != nil {
				t.Fatal(err)
			}
			return st
		},
	}
	for _, name := range []string{"embedded", "postgis"} {
		t.Run(name, func(t *testing.T) {
			st := open[name](t)
			t.Cleanup(func() { st.Close() })
			locate, err := seed.LinxiangLocator()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := seed.LoadLinxiang(context.Background(), st, locate); err != nil {
				t.Fatal(err)
			}
			f(t, st)
		})
	}
}

func options(t *testing.T) importer.Options {
	g, err := importer.LinxiangGeocoder()
	if err != nil {
		t.Fatal(err)
	}
	return importer.Options{Geocoder: g, Divisions: g}
}

func importFile(t *testing.T, st store.Store, name string, opt importer.Options) (importer.Report, error) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return importer.Import(context.Background(), st, name, data, opt)
}

func near(a, b orb.Point) bool { return math.Abs(a[0]-b[0]) < 1e-9 && math.Abs(a[1]-b[1]) < 1e-9 }

func TestImportFormats(t *testing.T) {
	for _, file := range []string{"sites_utf8.csv", "sites_gbk.csv", "sites.xlsx", "sites.geojson"} {
		t.Run(file, func(t *testing.T) {
			stores(t, func(t *testing.T, st store.Store) {
				ctx := context.Background()
				before, _ := st.Site(ctx, "430682001")
				rep, err := importFile(t, st, file, options(t))
				if err != nil {
					var b strings.Builder
					rep.Write(&b)
					t.Fatalf("%v\n%s", err, b.String())
				}
				if rep.Rows != 5 || len(rep.Accepted) != 5 || len(rep.Rejected) != 0 || !rep.Stored {
					t.Fatalf("report: %+v", rep)
				}
				// The address-only row lands on the placeholder point its site already has.
				if rep.Inserted != 2 || rep.Updated != 2 || rep.Unchanged != 1 {
					t.Errorf("inserted %d, updated %d, unchanged %d; want 2, 2 and 1", rep.Inserted, rep.Updated, rep.Unchanged)
				}
				// Real coordinates replace the placeholder.
				s, err := st.Site(ctx, "430682001")
				if err != nil || s.Location.Point != (orb.Point{113.4512, 29.4771}) || s.Location.Source != civmap.CoordImported ||
					s.Location.Precision != civmap.PrecisionExact || s.Location.Point == before.Location.Point {
					t.Errorf("station: %+v, %v", s.Location, err)
				}
				// GCJ-02 and BD-09 input is stored as WGS-84.
				b, err := st.Site(ctx, "JD-LXYZ")
				if err != nil || !near(b.Location.Point, geo.GCJ02ToWGS84(orb.Point{113.4601, 29.4823})) || b.Level != civmap.LevelBase {
					t.Errorf("GCJ-02 base: %+v, %v", b, err)
				}
				v, err := st.Venue(ctx, "430682001001V91")
				if err != nil || !near(v.Location.Point, geo.BD09ToWGS84(orb.Point{113.4675, 29.4852})) || v.Level != civmap.LevelPost || v.Type != "农家书屋" {
					t.Errorf("BD-09 venue: %+v, %v", v, err)
				}
				// A row without coordinates is geocoded from its address.
				g, err := st.Site(ctx, "430682001002")
				// The gazetteer's point is a placeholder, so the row stays labelled synthetic.
				if err != nil || g.Location.Source != civmap.CoordSynthetic || g.Location.Precision != civmap.PrecisionVillage {
					t.Errorf("geocoded post: %+v, %v", g.Location, err)
				}
				// Importing the same file again changes nothing.
				rep, err = importFile(t, st, file, options(t))
				if err != nil || rep.Unchanged != 5 || rep.Inserted+rep.Updated != 0 || rep.Stored {
					t.Errorf("re-import: %+v, %v", rep, err)
				}
			})
		})
	}
}

func TestImportRejectsBadRows(t *testing.T) {
	want := map[int]string{ // line → field
		3: "lat", 4: "lon", 5: "lon", 6: "lon", 7: "code", 8: "code", 9: "name", 10: "code", 11: "name",
		12: "crs", 13: "parent", 14: "address",
	}
	stores(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		before, _ := st.Site(ctx, "430682001")
		v0, _ := st.Version(ctx)
		rep, err := importFile(t, st, "bad.csv", options(t))
		if civmap.ErrorCode(err) != civmap.EINVALID {
			t.Fatalf("bad file: %v; want EINVALID", err)
		}
		var out strings.Builder
		rep.Write(&out)
		got := map[int]string{}
		for _, r := range rep.Rejected {
			got[r.Line] = r.Field
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("rejected lines → fields: %v\nwant %v\n%s", got, want, out.String())
		}
		for _, s := range []string{"第 3 行", "填反", "第 6 行", "范围外", "未知的区划代码", "重复", "--partial"} {
			if !strings.Contains(out.String(), s) {
				t.Errorf("report does not say %q:\n%s", s, out.String())
			}
		}
		// Nothing stored.
		if after, _ := st.Site(ctx, "430682001"); after != before {
			t.Errorf("a rejected file changed a site: %+v", after.Location)
		}
		if v1, _ := st.Version(ctx); v1 != v0 {
			t.Errorf("a rejected file changed the data version")
		}
		// --partial keeps the good row.
		opt := options(t)
		opt.Partial = true
		rep, err = importFile(t, st, "bad.csv", opt)
		if err != nil || len(rep.Accepted) != 1 || rep.Accepted[0].Line != 2 || rep.Updated != 1 || !rep.Stored {
			t.Fatalf("partial import: %+v, %v", rep, err)
		}
		if after, _ := st.Site(ctx, "430682001"); after.Location.Point != (orb.Point{113.4512, 29.4771}) {
			t.Errorf("partial import did not store the good row: %+v", after.Location)
		}
	})
}

func TestImportDryRun(t *testing.T) {
	stores(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		opt := options(t)
		opt.DryRun = true
		rep, err := importFile(t, st, "sites_utf8.csv", opt)
		// The address-only row geocodes to the placeholder point the seeded site already has,
		// still labelled synthetic: unchanged.
		if err != nil || rep.Inserted != 2 || rep.Updated != 2 || rep.Unchanged != 1 || rep.Stored {
			t.Fatalf("dry run: %+v, %v", rep, err)
		}
		if _, err := st.Site(ctx, "JD-LXYZ"); civmap.ErrorCode(err) != civmap.ENOTFOUND {
			t.Errorf("a dry run stored a site: %v", err)
		}
	})
}

func TestReadFileErrors(t *testing.T) {
	for _, c := range []struct {
		name, data, field string
	}{
		{"x.csv", "", "header"},
		{"x.csv", "名称,地址\n甲,乙\n", "header"},
		{"x.doc", "code,name\n", "format"},
		{"x.geojson", `{"type":"Feature"}`, "format"},
		{"x.xlsx", "not a zip", "format"},
	} {
		_, err := importer.ReadFile(c.name, []byte(c.data), "", "")
		if civmap.ErrorCode(err) != civmap.EINVALID || civmap.ErrorField(err) != c.field {
			t.Errorf("ReadFile(%s, %q) = %v; want EINVALID on %s", c.name, c.data, err, c.field)
		}
	}
	if _, err := importer.ReadFile("x.csv", []byte("code,name\n1,\xff\xfe\xfd\n"), "", "utf-8"); civmap.ErrorField(err) != "encoding" {
		t.Errorf("bad UTF-8 with --encoding utf-8: %v", err)
	}
}
