// Package importer loads operators' files of practice sites and venues (CSV in UTF-8 or
// GBK/GB18030, XLSX, GeoJSON) into a store: coordinates in WGS-84, GCJ-02, BD-09 or CGCS2000
// are normalised to WGS-84, rows without coordinates are geocoded from their address, every row
// is validated, and the file is written in one transaction (store.Sites.Put) with a report of
// what was accepted, rejected (with the file line and reason) and changed. ImportVolunteers and
// ImportTeams do the same for volunteers and volunteer teams (CSV or XLSX), ImportKind picks the
// import by kind or from the file's header (DetectKind).
package importer

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"civmap"
	"civmap/geo"
	"civmap/store"

	"github.com/paulmach/orb"
	orbgeo "github.com/paulmach/orb/geo"
	"github.com/paulmach/orb/planar"
)

// Geocoder resolves an address text to the division it names and a WGS-84 location with its
// precision (civmap.CoordGeocoded). The service uses the gazetteer (see cmd/civmap).
type Geocoder interface {
	Geocode(address string) (code string, loc civmap.Location, err error)
}

// Divisions says which statistical division codes exist (the gazetteer's tree).
type Divisions interface {
	Known(code string) bool
}

// Options configure Import.
type Options struct {
	Format   string // csv | xlsx | geojson; "" from the file name
	Encoding string // CSV text encoding: "" detects UTF-8 or GBK/GB18030
	CRS      string // default datum of rows without a crs cell: wgs84 (default) | gcj02 | bd09 | cgcs2000
	Partial  bool   // store the good rows even if others are rejected (default: any rejection rejects the file)
	DryRun   bool   // validate and compute the changes, store nothing
	// Geocoder geocodes rows without coordinates; nil rejects such rows.
	Geocoder Geocoder
	// Divisions checks the division codes of sites; nil skips that check.
	Divisions Divisions
	// ToleranceM is how far outside its division's stored area (store.Areas) a point may lie,
	// in metres; default 1000 (the area outlines are display-grade).
	ToleranceM float64
	// Progress, if set, is called as rows are checked: done of total.
	Progress func(done, total int)
}

// defaults fills in the defaults of ToleranceM and CRS and checks CRS.
func (o *Options) defaults() error {
	if o.ToleranceM <= 0 {
		o.ToleranceM = 1000
	}
	if o.CRS == "" {
		o.CRS = "wgs84"
	}
	_, err := geo.ParseCRS(o.CRS)
	return err
}

// Rejection is a rejected row: its line, the column at fault and why, in Chinese for the
// operator.
type Rejection struct {
	Line   int
	Code   string
	Field  string
	Reason string
}

// Accepted is an accepted row and what writing it did.
type Accepted struct {
	Line   int
	Code   string
	Kind   string // "site", "venue", "volunteer" or "team"
	Change store.Change
	Source civmap.CoordSource
}

// Report is the outcome of importing one file.
type Report struct {
	File string
	Kind string // KindSites (also ""), KindVolunteers or KindTeams
	// Dropped are the headers, as written, of the file's columns that were read only to be
	// dropped (ID-card numbers: IDCardHeaders); their cells are never stored or shown.
	Dropped   []string
	Rows      int
	Accepted  []Accepted
	Rejected  []Rejection
	Stored    bool // false for a dry run, a rejected file, or a file with nothing to write
	DryRun    bool
	Partial   bool
	Inserted  int
	Updated   int
	Unchanged int
}

// Import reads file (named name, for its extension and messages), validates every row and
// writes the accepted sites and venues to st in one transaction, unless a row was rejected (and
// not opt.Partial) or opt.DryRun. The returned error is for the file as a whole (unreadable,
// bad header, store failure); row problems are in the report. A file with rejected rows and no
// Partial returns the report and an EINVALID error saying the file was rejected.
func Import(ctx context.Context, st store.Store, name string, data []byte, opt Options) (Report, error) {
	rep := Report{File: name, DryRun: opt.DryRun, Partial: opt.Partial}
	rows, err := ReadFile(name, data, opt.Format, opt.Encoding)
	if err != nil {
		return rep, err
	}
	rep.Rows = len(rows)
	if err := opt.defaults(); err != nil {
		return rep, err
	}
	areas, err := st.ListAreas(ctx)
	if err != nil {
		return rep, err
	}
	areaByCode := map[string]store.Area{}
	for _, a := range areas {
		areaByCode[a.Code] = a
	}

	type record struct {
		line  int
		site  *civmap.Site
		venue *civmap.Venue
	}
	var recs []record
	reject := func(r Row, field, format string, args ...any) {
		rep.Rejected = append(rep.Rejected, Rejection{Line: r.Line, Code: r.Fields["code"], Field: field,
			Reason: fmt.Sprintf(format, args...)})
	}
	codes, names := map[string]int{}, map[string]int{}
	for i, r := range rows {
		if opt.Progress != nil {
			opt.Progress(i, len(rows))
		}
		f := r.Fields
		code, name := f["code"], f["name"]
		switch {
		case code == "":
			reject(r, "code", "缺少编码 (code is required)")
			continue
		case name == "":
			reject(r, "name", "缺少名称 (name is required)")
			continue
		case f["geometry"] != "":
			reject(r, "geometry", "几何类型 %s 不是点 (want a Point)", f["geometry"])
			continue
		}
		if first, dup := codes[code]; dup {
			reject(r, "code", "编码 %s 与第 %d 行重复 (duplicate code)", code, first)
			continue
		}
		if first, dup := names[name]; dup {
			reject(r, "name", "名称“%s”与第 %d 行重复 (duplicate name)", name, first)
			continue
		}
		codes[code], names[name] = r.Line, r.Line

		loc, divCode, field, reason := locate(r, opt)
		if reason != "" {
			reject(r, field, "%s", reason)
			continue
		}
		kind := f["kind"]
		if isVenueKind(kind) {
			v := civmap.Venue{Code: code, Name: name, Type: civmap.VenueType(kind), SiteCode: f["parent"],
				Address: f["address"], Location: loc}
			if lv := f["level"]; lv != "" {
				l, err := civmap.ParseLevel(lv)
				if err != nil {
					reject(r, "level", "%s", civmap.ErrorMessage(err))
					continue
				}
				v.Level = l
			}
			recs = append(recs, record{line: r.Line, venue: &v})
			continue
		}
		if kind != "" && !isSiteKind(kind) {
			reject(r, "kind", "未知类型“%s”(want site or a venue type such as 农家书屋)", kind)
			continue
		}
		s := civmap.Site{Code: code, Name: name, ParentCode: f["parent"], Address: f["address"], Location: loc}
		if lv := f["level"]; lv != "" {
			l, err := civmap.ParseLevel(lv)
			if err != nil {
				reject(r, "level", "%s", civmap.ErrorMessage(err))
				continue
			}
			s.Level = l
		} else if l, err := civmap.LevelForCode(code); err == nil {
			s.Level = l
		} else {
			reject(r, "level", "缺少层级，且编码不是区划代码 (level is required for a base)")
			continue
		}
		if s.Level != civmap.LevelBase {
			s.DivisionCode = code
			if opt.Divisions != nil && !opt.Divisions.Known(code) {
				reject(r, "code", "未知的区划代码 %s (unknown division code)", code)
				continue
			}
			if divCode != "" && divCode != code && !strings.HasPrefix(divCode, code) && !strings.HasPrefix(code, divCode) {
				reject(r, "address", "地址解析到区划 %s，与编码 %s 不符 (the address names another division)", divCode, code)
				continue
			}
		}
		recs = append(recs, record{line: r.Line, site: &s})
	}
	if opt.Progress != nil {
		opt.Progress(len(rows), len(rows))
	}

	// Parents and levels: from the file or the store.
	siteLevel := map[string]civmap.Level{}
	for _, rc := range recs {
		if rc.site != nil {
			siteLevel[rc.site.Code] = rc.site.Level
		}
	}
	lookup := func(code string) (civmap.Level, bool) {
		if l, ok := siteLevel[code]; ok {
			return l, true
		}
		s, err := st.Site(ctx, code)
		if err != nil {
			return "", false
		}
		return s.Level, true
	}
	rejectRec := func(line int, code, field, format string, args ...any) {
		rep.Rejected = append(rep.Rejected, Rejection{Line: line, Code: code, Field: field, Reason: fmt.Sprintf(format, args...)})
	}
	var good []record
	for _, rc := range recs {
		var err error
		var code string
		var p orb.Point
		var div string
		switch {
		case rc.site != nil:
			s := rc.site
			code, p, div = s.Code, s.Location.Point, s.DivisionCode
			if s.ParentCode != "" {
				if _, ok := lookup(s.ParentCode); !ok {
					rejectRec(rc.line, code, "parent", "上级阵地 %s 不存在 (parent site not found in the file or the store)", s.ParentCode)
					continue
				}
			}
			if s.Level == civmap.LevelBase {
				div = s.ParentCode
			}
			err = s.Validate()
		default:
			v := rc.venue
			code, p = v.Code, v.Location.Point
			if v.SiteCode == "" {
				rejectRec(rc.line, code, "parent", "阵地缺少所属实践阵地编码 (parent site code is required for a venue)")
				continue
			}
			l, ok := lookup(v.SiteCode)
			if !ok {
				rejectRec(rc.line, code, "parent", "所属阵地 %s 不存在 (site not found in the file or the store)", v.SiteCode)
				continue
			}
			if v.Level == "" {
				v.Level = l
			}
			div = v.SiteCode
			err = v.Validate()
		}
		if err != nil {
			rejectRec(rc.line, code, civmap.ErrorField(err), "%s", civmap.ErrorMessage(err))
			continue
		}
		if a, ok := areaOf(areaByCode, div); ok {
			if d := distanceOutside(a.Polygon, p); d > opt.ToleranceM {
				rejectRec(rc.line, code, "lon", "位置 (%.6f, %.6f) 在%s范围外约 %.1f 公里 (outside its division's area)", p[0], p[1], a.Name, d/1000)
				continue
			}
		}
		good = append(good, rc)
	}
	// A row whose parent was rejected cannot be stored either.
	for changed := true; changed; {
		changed = false
		ok := map[string]bool{}
		for _, rc := range good {
			if rc.site != nil {
				ok[rc.site.Code] = true
			}
		}
		kept := good[:0]
		for _, rc := range good {
			parent := ""
			if rc.site != nil {
				parent = rc.site.ParentCode
			} else {
				parent = rc.venue.SiteCode
			}
			if _, inFile := siteLevel[parent]; inFile && !ok[parent] {
				code := parent
				if rc.site != nil {
					code = rc.site.Code
				} else {
					code = rc.venue.Code
				}
				rejectRec(rc.line, code, "parent", "上级阵地 %s 所在行被拒绝 (its parent row was rejected)", parent)
				changed = true
				continue
			}
			kept = append(kept, rc)
		}
		good = kept
	}
	sort.Slice(rep.Rejected, func(i, j int) bool { return rep.Rejected[i].Line < rep.Rejected[j].Line })

	b := store.Batch{DryRun: opt.DryRun || (len(rep.Rejected) > 0 && !opt.Partial)}
	for _, rc := range good {
		if rc.site != nil {
			b.Sites = append(b.Sites, *rc.site)
		} else {
			b.Venues = append(b.Venues, *rc.venue)
		}
	}
	res, err := st.Put(ctx, b)
	if err != nil {
		return rep, err
	}
	si, vi := 0, 0
	for _, rc := range good {
		a := Accepted{Line: rc.line}
		if rc.site != nil {
			a.Code, a.Kind, a.Change, a.Source = rc.site.Code, "site", res.Sites[si], rc.site.Location.Source
			si++
		} else {
			a.Code, a.Kind, a.Change, a.Source = rc.venue.Code, "venue", res.Venues[vi], rc.venue.Location.Source
			vi++
		}
		rep.add(a)
	}
	return rep, rep.finish(b.DryRun)
}

var siteKinds = map[string]bool{"site": true, "阵地": true, "实践阵地": true, "中心": true, "所": true, "站": true,
	"基地": true, "center": true, "station": true, "post": true, "base": true}

func isSiteKind(k string) bool { return siteKinds[k] }

func isVenueKind(k string) bool {
	for _, l := range []civmap.Level{civmap.LevelCenter, civmap.LevelStation, civmap.LevelPost} {
		if civmap.ValidVenueType(l, civmap.VenueType(k)) {
			return true
		}
	}
	return false
}

// locate returns the row's WGS-84 location: from its lon/lat cells in its datum, or geocoded
// from its address. On failure it returns the field and the reason.
func locate(r Row, opt Options) (loc civmap.Location, divCode, field, reason string) {
	f := r.Fields
	lonS, latS := f["lon"], f["lat"]
	if lonS == "" && latS == "" {
		if f["address"] == "" {
			return loc, "", "address", "没有坐标也没有地址 (coordinates or an address are required)"
		}
		if opt.Geocoder == nil {
			return loc, "", "address", "没有坐标，且未配置地址解析 (no coordinates and no geocoder)"
		}
		code, l, err := opt.Geocoder.Geocode(f["address"])
		if err != nil {
			return loc, "", "address", fmt.Sprintf("地址无法解析：%s (cannot geocode the address)", civmap.ErrorMessage(err))
		}
		return l, code, "", ""
	}
	if lonS == "" || latS == "" {
		return loc, "", map[bool]string{true: "lon", false: "lat"}[lonS == ""], "经度和纬度须同时填写 (lon and lat go together)"
	}
	lon, err := strconv.ParseFloat(lonS, 64)
	if err != nil || math.IsNaN(lon) || math.IsInf(lon, 0) {
		return loc, "", "lon", fmt.Sprintf("经度“%s”不是数字 (lon is not a number)", lonS)
	}
	lat, err := strconv.ParseFloat(latS, 64)
	if err != nil || math.IsNaN(lat) || math.IsInf(lat, 0) {
		return loc, "", "lat", fmt.Sprintf("纬度“%s”不是数字 (lat is not a number)", latS)
	}
	swapped := geo.InMainlandChina(orb.Point{lat, lon}) && !geo.InMainlandChina(orb.Point{lon, lat})
	if swapped {
		return loc, "", "lat", fmt.Sprintf("经纬度可能填反了：经度 %s、纬度 %s (lat/lon look swapped)", lonS, latS)
	}
	if lon < -180 || lon > 180 {
		return loc, "", "lon", fmt.Sprintf("经度 %s 超出 [-180, 180] (lon out of range)", lonS)
	}
	if lat < -90 || lat > 90 {
		return loc, "", "lat", fmt.Sprintf("纬度 %s 超出 [-90, 90] (lat out of range)", latS)
	}
	crs := f["crs"]
	if crs == "" {
		crs = opt.CRS
	}
	conv, err := geo.ParseCRS(crs)
	if err != nil {
		return loc, "", "crs", civmap.ErrorMessage(err)
	}
	p := conv(orb.Point{lon, lat})
	return civmap.Location{Point: p, Source: civmap.CoordImported, Precision: civmap.PrecisionExact}, "", "", ""
}

// areaOf returns the stored area of code or of its nearest ancestor division (by code prefix:
// 12 → 9 → 6 digits).
func areaOf(areas map[string]store.Area, code string) (store.Area, bool) {
	for _, n := range []int{12, 9, 6} {
		if len(code) >= n {
			if a, ok := areas[code[:n]]; ok {
				return a, true
			}
		}
	}
	return store.Area{}, false
}

// distanceOutside is 0 for a point inside g, else the distance in metres from p to g's nearest
// edge (haversine between p and the nearest point of the edge, found in lon/lat degrees scaled
// by the cosine of the latitude).
func distanceOutside(g orb.Geometry, p orb.Point) float64 {
	var polys []orb.Polygon
	switch g := g.(type) {
	case orb.Polygon:
		polys = []orb.Polygon{g}
	case orb.MultiPolygon:
		polys = g
	}
	best := math.Inf(1)
	k := math.Cos(p[1] * math.Pi / 180)
	for _, poly := range polys {
		if planar.PolygonContains(poly, p) {
			return 0
		}
		for _, r := range poly {
			for i := 0; i+1 < len(r); i++ {
				a, b := r[i], r[i+1]
				dx, dy := (b[0]-a[0])*k, b[1]-a[1]
				t := 0.0
				if l := dx*dx + dy*dy; l > 0 {
					t = math.Max(0, math.Min(1, ((p[0]-a[0])*k*dx+(p[1]-a[1])*dy)/l))
				}
				q := orb.Point{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])}
				best = math.Min(best, orbgeo.DistanceHaversine(p, q))
			}
		}
	}
	return best
}
