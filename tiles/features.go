package tiles

import (
	"civmap"
	"civmap/geo"

	"github.com/paulmach/orb"
	"github.com/uber/h3-go/v4"
)

// The feature builders below define the properties of each layer (see Fields). The embedded
// store encodes them directly; the PostGIS store builds the same properties in SQL.

// SiteFeature is the sites-layer feature of s.
func SiteFeature(s civmap.Site) Feature {
	return Feature{ID: uint64(s.ID), Geometry: s.Location.Point, Properties: map[string]any{
		"code": s.Code, "name": s.Name, "level": string(s.Level), "kind": "site",
		"parent_code": s.ParentCode, "coord_source": string(s.Location.Source),
		"precision": string(s.Location.Precision), "placeholder": s.Location.Placeholder(), "demo": s.Demo,
	}}
}

// VenueFeature is the venues-layer feature of v.
func VenueFeature(v civmap.Venue) Feature {
	return Feature{ID: uint64(v.ID), Geometry: v.Location.Point, Properties: map[string]any{
		"code": v.Code, "name": v.Name, "level": string(v.Level), "kind": string(v.Type),
		"site_code": v.SiteCode, "coord_source": string(v.Location.Source),
		"precision": string(v.Location.Precision), "placeholder": v.Location.Placeholder(), "demo": v.Demo,
	}}
}

// ActivityFeature is the activities-layer feature of a; siteLevel is the level of a.SiteCode.
func ActivityFeature(a civmap.Activity, siteLevel civmap.Level) Feature {
	return Feature{ID: uint64(a.ID), Geometry: a.Location.Point, Properties: map[string]any{
		"code": a.SiteCode, "name": a.Title, "level": string(siteLevel), "kind": string(a.Platform),
		"content_area": string(a.ContentArea),
		"start":        a.Start.UTC().Format(timeFormat), "end": a.End.UTC().Format(timeFormat),
		"start_ts": a.Start.Unix(), "end_ts": a.End.Unix(), "status": string(a.Status),
		"coord_source": string(a.Location.Source), "placeholder": a.Location.Placeholder(), "demo": a.Demo,
	}}
}

// NeedFeature is the needs-layer feature of n, drawn at site: the site responsible for n
// (n.SiteCode). A need may be stored at a bare point a resident gave (their home), so the public
// layer never shows the need's own Location: the geometry is site.Location.Point (WGS-84 lon/lat
// degrees) and coord_source, precision and placeholder are the site's. Callers leave out needs
// whose site is unknown. The description is left out too: it is free text a resident typed and
// may hold personal data.
func NeedFeature(n civmap.Need, site civmap.Site) Feature {
	return Feature{ID: uint64(n.ID), Geometry: site.Location.Point, Properties: map[string]any{
		"code": n.SiteCode, "name": string(n.Category), "level": string(site.Level), "kind": string(n.Category),
		"status": string(n.Status), "created_ts": n.CreatedAt.Unix(),
		"coord_source": string(site.Location.Source), "precision": string(site.Location.Precision),
		"placeholder": site.Location.Placeholder(), "demo": n.Demo,
	}}
}

// BoundaryFeature is the boundary-layer feature of a division outline; id is FeatureID(code).
func BoundaryFeature(code, name, level string, g orb.Geometry) Feature {
	return Feature{ID: uint64(civmap.FeatureID(code)), Geometry: g, Properties: map[string]any{
		"code": code, "name": name, "level": level, "kind": "boundary",
	}}
}

// ClusterFeature is the clusters-layer feature of one H3 cell; its id is the cell index.
func ClusterFeature(c h3.Cell, activities, needs int) Feature {
	return Feature{ID: uint64(c), Geometry: geo.CellPolygon(c), Properties: map[string]any{
		"cell": c.String(), "res": c.Resolution(), "count": activities + needs,
		"activities": activities, "needs": needs, "kind": "cluster",
	}}
}

// timeFormat is RFC 3339 with whole seconds, in UTC.
const timeFormat = "2006-01-02T15:04:05Z07:00"
