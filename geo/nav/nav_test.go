package nav_test

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"civmap/geo"
	"civmap/geo/nav"

	"github.com/paulmach/orb"
)

// Linxiang's county seat, WGS-84.
var seat = orb.Point{113.4403, 29.4813}

func query(t *testing.T, link string) (string, url.Values) {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	return u.Scheme + "://" + u.Host + u.Path, u.Query()
}

func pair(t *testing.T, s string) (float64, float64) {
	t.Helper()
	parts := strings.Split(s, ",")
	if len(parts) != 2 {
		t.Fatalf("%q is not a coordinate pair", s)
	}
	a, err1 := strconv.ParseFloat(parts[0], 64)
	b, err2 := strconv.ParseFloat(parts[1], 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("%q is not a coordinate pair", s)
	}
	return a, b
}

func near(t *testing.T, what string, got, want float64) {
	t.Helper()
	if d := got - want; d > 5e-7 || d < -5e-7 {
		t.Errorf("%s = %.7f, want %.7f", what, got, want)
	}
}

// Each provider's link carries the point in its own order and datum, checked against the
// conversion functions: AMap lon,lat GCJ-02; Baidu lat,lng BD-09; Tencent lat,lng GCJ-02.
func TestMarkerOrderAndDatum(t *testing.T) {
	g := geo.WGS84ToGCJ02(seat)
	b := geo.WGS84ToBD09(seat)
	if g == seat || b == g {
		t.Fatal("the test point must be inside China, where the datums differ")
	}
	links := nav.Marker("临湘市新时代文明实践中心", seat)
	if len(links) != 3 {
		t.Fatalf("%d links", len(links))
	}
	for _, l := range links {
		endpoint, q := query(t, l.URL)
		switch l.Provider {
		case nav.AMap:
			if endpoint != "https://uri.amap.com/marker" || q.Get("coordinate") != "gaode" || q.Get("name") != "临湘市新时代文明实践中心" {
				t.Errorf("AMap link %s", l.URL)
			}
			lon, lat := pair(t, q.Get("position"))
			near(t, "AMap lon", lon, g[0])
			near(t, "AMap lat", lat, g[1])
		case nav.Baidu:
			if endpoint != "https://api.map.baidu.com/marker" || q.Get("coord_type") != "bd09ll" || !strings.HasPrefix(q.Get("src"), "webapp.") {
				t.Errorf("Baidu link %s", l.URL)
			}
			lat, lng := pair(t, q.Get("location"))
			near(t, "Baidu lat", lat, b[1])
			near(t, "Baidu lng", lng, b[0])
		case nav.Tencent:
			if endpoint != "https://apis.map.qq.com/uri/v1/marker" || q.Get("coord_type") != "2" || q.Get("referer") == "" {
				t.Errorf("Tencent link %s", l.URL)
			}
			m := q.Get("marker")
			if !strings.HasPrefix(m, "coord:") || !strings.Contains(m, ";title:临湘市新时代文明实践中心") {
				t.Fatalf("Tencent marker %q", m)
			}
			lat, lng := pair(t, strings.TrimPrefix(strings.Split(m, ";")[0], "coord:"))
			near(t, "Tencent lat", lat, g[1])
			near(t, "Tencent lng", lng, g[0])
		default:
			t.Errorf("unknown provider %q", l.Provider)
		}
	}
}

// A placeholder site never gets a marker at its made-up point.
func TestForSitePlaceholders(t *testing.T) {
	village := nav.Place{Name: "城南社区新时代文明实践站", Division: "城南社区", Point: orb.Point{113.45, 29.47}, Placeholder: true}
	town := nav.Place{Name: "长安街道新时代文明实践所", Division: "长安街道", Point: seat, Placeholder: true}

	// Real position: markers at it.
	real := village
	real.Placeholder = false
	if l := nav.ForSite(real, &town, "临湘市"); l.Kind != nav.KindMarker || l.Notice != "" || l.Target != real.Name {
		t.Errorf("real position: %+v", l)
	}
	// Placeholder site, real town: markers at the town, saying so.
	realTown := town
	realTown.Placeholder = false
	l := nav.ForSite(village, &realTown, "临湘市")
	if l.Kind != nav.KindMarker || l.Notice != nav.NoticeParent || l.Target != town.Name {
		t.Errorf("placeholder site, real town: %+v", l)
	}
	_, q := query(t, l.Links[0].URL)
	lon, lat := pair(t, q.Get("position"))
	g := geo.WGS84ToGCJ02(seat)
	near(t, "lon", lon, g[0])
	near(t, "lat", lat, g[1])
	// Both placeholders (Linxiang today): a name search within the county, no coordinates.
	l = nav.ForSite(village, &town, "临湘市")
	if l.Kind != nav.KindSearch || l.Notice != nav.NoticeSearch || l.Target != "长安街道 城南社区" {
		t.Fatalf("both placeholders: %+v", l)
	}
	for _, link := range l.Links {
		endpoint, q := query(t, link.URL)
		if strings.Contains(link.URL, fmt.Sprintf("%.3f", village.Point[1])) {
			t.Errorf("%s carries the placeholder point", link.URL)
		}
		switch link.Provider {
		case nav.AMap:
			if endpoint != "https://uri.amap.com/search" || q.Get("keyword") != "长安街道 城南社区" || q.Get("city") != "临湘市" {
				t.Errorf("AMap search %s", link.URL)
			}
		case nav.Baidu:
			if endpoint != "https://api.map.baidu.com/place/search" || q.Get("query") != "长安街道 城南社区" || q.Get("region") != "临湘市" {
				t.Errorf("Baidu search %s", link.URL)
			}
		case nav.Tencent:
			if endpoint != "https://apis.map.qq.com/uri/v1/search" || q.Get("keyword") != "长安街道 城南社区" || q.Get("region") != "临湘市" {
				t.Errorf("Tencent search %s", link.URL)
			}
		}
	}
	// The center, a placeholder without parent: search for the county government.
	center := nav.Place{Name: "临湘市新时代文明实践中心", Division: "临湘市", Point: seat, Placeholder: true}
	if l := nav.ForSite(center, nil, "临湘市"); l.Kind != nav.KindSearch || l.Target != "临湘市人民政府" {
		t.Errorf("center: %+v", l)
	}
}

func ExampleMarker() {
	for _, l := range nav.Marker("示例", orb.Point{113.4403, 29.4813}) {
		fmt.Println(l.Label, l.URL)
	}
	// Output:
	// 高德地图 https://uri.amap.com/marker?callnative=1&coordinate=gaode&name=%E7%A4%BA%E4%BE%8B&position=113.446279%2C29.478802&src=civmap
	// 百度地图 https://api.map.baidu.com/marker?content=%E7%A4%BA%E4%BE%8B&coord_type=bd09ll&location=29.484541%2C113.452829&output=html&src=webapp.civmap.civmap&title=%E7%A4%BA%E4%BE%8B
	// 腾讯地图 https://apis.map.qq.com/uri/v1/marker?coord_type=2&marker=coord%3A29.478802%2C113.446279%3Btitle%3A%E7%A4%BA%E4%BE%8B%3Baddr%3A%E7%A4%BA%E4%BE%8B&referer=civmap
}
