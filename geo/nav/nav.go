// Package nav builds navigation deep links to a site for the map apps residents already use:
// AMap (高德), Baidu (百度) and Tencent (腾讯). Points come in as WGS-84 lon/lat degrees and are
// converted with package geo to each provider's datum (GCJ-02 for AMap and Tencent, BD-09 for
// Baidu); each link also declares its datum. A site whose position is a placeholder never gets
// a marker at a made-up spot: see ForSite.
//
// Sources: AMap URI API (uri.amap.com/marker: position=lon,lat, coordinate=gaode for GCJ-02),
// Baidu Map URI API (api.map.baidu.com/marker: location=lat,lng, coord_type=bd09ll; place/search:
// query, region), Tencent Map URI API (apis.map.qq.com/uri/v1/marker: marker=coord:lat,lng;
// title:…, coord_type=2 for Tencent/GCJ-02 coordinates, 1 for GPS).
package nav

import (
	"fmt"
	"net/url"
	"strings"

	"civmap/geo"

	"github.com/paulmach/orb"
)

// Provider names a map app.
type Provider string

const (
	AMap    Provider = "amap"
	Baidu   Provider = "baidu"
	Tencent Provider = "tencent"
)

// Providers lists the providers in the order the site page shows them.
var Providers = []Provider{AMap, Baidu, Tencent}

// Label is the provider's Chinese name as shown on buttons.
func (p Provider) Label() string {
	switch p {
	case AMap:
		return "高德地图"
	case Baidu:
		return "百度地图"
	case Tencent:
		return "腾讯地图"
	}
	return string(p)
}

// Kind says what a link opens.
type Kind string

const (
	KindMarker Kind = "marker" // a marker at a known point
	KindSearch Kind = "search" // a place-name search: the point is not known
)

// Link is one deep link.
type Link struct {
	Provider Provider `json:"provider"`
	Label    string   `json:"label"` // 高德地图, 百度地图, 腾讯地图
	URL      string   `json:"url"`
}

// Links are a site's navigation links with what they point at.
type Links struct {
	Kind Kind `json:"kind"`
	// Target is the name of what the links point at: the site, its parent (when the site's
	// position is a placeholder and the parent's is not), or the search text.
	Target string `json:"target"`
	// Notice says, in Chinese, why the links do not point at the site itself; "" when they do.
	Notice string `json:"notice,omitempty"`
	Links  []Link `json:"links"`
}

// SourceName identifies civmap to the providers (AMap's src, Baidu's src "webapp.{company}.
// {app}", Tencent's referer).
const SourceName = "civmap"

// Marker returns the three marker links to a point p (WGS-84 lon/lat, degrees) labelled name:
// AMap with GCJ-02 "lon,lat" and coordinate=gaode; Baidu with BD-09 "lat,lng" and
// coord_type=bd09ll; Tencent with GCJ-02 "lat,lng" and coord_type=2. Coordinates have 6
// decimals (about 0.1 m).
func Marker(name string, p orb.Point) []Link {
	g := geo.WGS84ToGCJ02(p)
	b := geo.WGS84ToBD09(p)
	amap := url.Values{"position": {ll(g[0], g[1])}, "name": {name}, "src": {SourceName}, "coordinate": {"gaode"}, "callnative": {"1"}}
	baidu := url.Values{"location": {ll(b[1], b[0])}, "title": {name}, "content": {name}, "coord_type": {"bd09ll"}, "output": {"html"}, "src": {"webapp.civmap.civmap"}}
	tencent := url.Values{"marker": {"coord:" + ll(g[1], g[0]) + ";title:" + clean(name) + ";addr:" + clean(name)}, "coord_type": {"2"}, "referer": {SourceName}}
	return []Link{
		{AMap, AMap.Label(), "https://uri.amap.com/marker?" + amap.Encode()},
		{Baidu, Baidu.Label(), "https://api.map.baidu.com/marker?" + baidu.Encode()},
		{Tencent, Tencent.Label(), "https://apis.map.qq.com/uri/v1/marker?" + tencent.Encode()},
	}
}

// Search returns the three place-name search links for keyword within region (a city or county
// name, e.g. "临湘市"): AMap uri.amap.com/search, Baidu place/search, Tencent uri/v1/search.
func Search(keyword, region string) []Link {
	amap := url.Values{"keyword": {keyword}, "city": {region}, "src": {SourceName}, "callnative": {"1"}}
	baidu := url.Values{"query": {keyword}, "region": {region}, "output": {"html"}, "src": {"webapp.civmap.civmap"}}
	tencent := url.Values{"keyword": {keyword}, "region": {region}, "referer": {SourceName}}
	return []Link{
		{AMap, AMap.Label(), "https://uri.amap.com/search?" + amap.Encode()},
		{Baidu, Baidu.Label(), "https://api.map.baidu.com/place/search?" + baidu.Encode()},
		{Tencent, Tencent.Label(), "https://apis.map.qq.com/uri/v1/search?" + tencent.Encode()},
	}
}

// Place is what ForSite needs to know about a site or its parent.
type Place struct {
	Name        string    // full name, e.g. "长安街道新时代文明实践所"
	Division    string    // the division's own name, e.g. "长安街道" ("" if unknown)
	Point       orb.Point // WGS-84 lon/lat, degrees
	Placeholder bool      // the point is synthetic (coord_source synthetic), not a real position
}

// Notices shown with links that do not point at the site itself.
const (
	NoticeParent = "本站点位置待实地采集，导航指向所属镇（街道）"
	NoticeSearch = "示例位置，请按地名搜索"
)

// ForSite chooses a site's links honestly:
//   - the site's point is real: markers at it;
//   - it is a placeholder but its parent's point is real: markers at the parent, named for the
//     parent, with NoticeParent;
//   - both are placeholders (Linxiang today) or there is no parent: a place-name search for
//     the parent's and the site's division names (e.g. "长安街道 城南社区") within region, with
//     NoticeSearch. The placeholder points are never used.
//
// parent may be nil (the center).
func ForSite(site Place, parent *Place, region string) Links {
	switch {
	case !site.Placeholder:
		return Links{Kind: KindMarker, Target: site.Name, Links: Marker(site.Name, site.Point)}
	case parent != nil && !parent.Placeholder:
		return Links{Kind: KindMarker, Target: parent.Name, Notice: NoticeParent, Links: Marker(parent.Name, parent.Point)}
	}
	var words []string
	if parent != nil && parent.Division != "" && parent.Division != region {
		words = append(words, parent.Division)
	}
	if site.Division != "" && site.Division != region {
		words = append(words, site.Division)
	}
	if len(words) == 0 { // the center: search for the county's seat of government
		words = append(words, region+"人民政府")
	}
	kw := strings.Join(words, " ")
	return Links{Kind: KindSearch, Target: kw, Notice: NoticeSearch, Links: Search(kw, region)}
}

func ll(a, b float64) string { return fmt.Sprintf("%.6f,%.6f", a, b) }

// clean removes the separators of Tencent's marker syntax (";" and ":") from a name.
func clean(s string) string {
	return strings.NewReplacer(";", " ", ":", " ", "；", " ", "：", " ").Replace(s)
}
