package api

import (
	"context"
	"time"

	"civmap"
	"civmap/geo/nav"
	"civmap/qr"
)

// The JSON shapes of the API. Every stored thing is a GeoJSON Feature (RFC 7946: WGS-84,
// [lon, lat] order) with its fields as properties; lists are FeatureCollections.

type geometry struct {
	Type        string     `json:"type"`
	Coordinates [2]float64 `json:"coordinates"`
}

type feature struct {
	Type       string   `json:"type"`
	ID         any      `json:"id"`
	Geometry   geometry `json:"geometry"`
	Properties any      `json:"properties"`
}

type featureCollection struct {
	Type     string `json:"type"`
	Features []any  `json:"features"`
}

func newCollection() featureCollection {
	return featureCollection{Type: "FeatureCollection", Features: []any{}}
}

func point(p [2]float64) geometry { return geometry{Type: "Point", Coordinates: p} }

type locationProps struct {
	CoordSource civmap.CoordSource `json:"coord_source"`
	Precision   civmap.Precision   `json:"precision"`
	Placeholder bool               `json:"placeholder"`
	Notice      string             `json:"notice,omitempty"` // 示例位置，待实地采集 when placeholder
}

func locProps(l civmap.Location) locationProps {
	p := locationProps{CoordSource: l.Source, Precision: l.Precision, Placeholder: l.Placeholder()}
	if p.Placeholder {
		p.Notice = civmap.PlaceholderNotice
	}
	return p
}

type siteProps struct {
	Code         string       `json:"code"`
	Name         string       `json:"name"`
	Level        civmap.Level `json:"level"`
	LevelName    string       `json:"level_name"`
	ParentCode   string       `json:"parent_code"`
	DivisionCode string       `json:"division_code"`
	Address      string       `json:"address"`
	locationProps
	Demo      bool      `json:"demo"`
	UpdatedAt time.Time `json:"updated_at"`
	PageURL   string    `json:"page_url"`
	QRURL     string    `json:"qr_url"`
	QRSVGURL  string    `json:"qr_svg_url"`
	PosterURL string    `json:"poster_url"` // SVG poster, A4
	// Nav holds the navigation deep links (AMap, Baidu, Tencent); for a placeholder position
	// they point at the town or search by name, never at the made-up point (geo/nav.ForSite).
	Nav nav.Links `json:"nav"`
}

func (srv *Server) siteFeature(ctx context.Context, base string, s civmap.Site) feature {
	page := qr.SiteURL(base, s.Code)
	return feature{Type: "Feature", ID: s.ID, Geometry: point(s.Location.Point), Properties: siteProps{
		Code: s.Code, Name: s.Name, Level: s.Level, LevelName: s.Level.Title(), ParentCode: s.ParentCode,
		DivisionCode: s.DivisionCode, Address: s.Address, locationProps: locProps(s.Location), Demo: s.Demo,
		UpdatedAt: s.UpdatedAt, PageURL: page, QRURL: base + "/qr/" + s.Code + ".png",
		QRSVGURL: base + "/qr/" + s.Code + ".svg", PosterURL: base + "/qr/" + s.Code + "/poster.svg",
		Nav: siteNav(s, srv.siteChain(ctx, s)),
	}}
}

type venueProps struct {
	Code     string           `json:"code"`
	Name     string           `json:"name"`
	Type     civmap.VenueType `json:"type"`
	Level    civmap.Level     `json:"level"`
	SiteCode string           `json:"site_code"`
	Address  string           `json:"address"`
	locationProps
	Demo bool `json:"demo"`
}

func venueFeature(v civmap.Venue) feature {
	return feature{Type: "Feature", ID: v.ID, Geometry: point(v.Location.Point), Properties: venueProps{
		Code: v.Code, Name: v.Name, Type: v.Type, Level: v.Level, SiteCode: v.SiteCode, Address: v.Address,
		locationProps: locProps(v.Location), Demo: v.Demo,
	}}
}

// placeJSON is a place in requests and responses: {"code": "…"} or {"lon": …, "lat": …}.
type placeJSON struct {
	Code string   `json:"code,omitempty"`
	Lon  *float64 `json:"lon,omitempty"`
	Lat  *float64 `json:"lat,omitempty"`
}

func placeOut(p civmap.Place) placeJSON {
	if p.Point != nil {
		lon, lat := p.Point[0], p.Point[1]
		return placeJSON{Lon: &lon, Lat: &lat}
	}
	return placeJSON{Code: p.Code}
}

type activityProps struct {
	ID          int64                 `json:"id"`
	Title       string                `json:"title"`
	ContentArea civmap.ContentArea    `json:"content_area"`
	Platform    civmap.Platform       `json:"platform"`
	Start       time.Time             `json:"start"`
	End         time.Time             `json:"end"`
	Status      civmap.ActivityStatus `json:"status"`
	Place       placeJSON             `json:"place"`
	SiteCode    string                `json:"site_code"`
	locationProps
	moderationProps
	Demo      bool      `json:"demo"`
	CreatedAt time.Time `json:"created_at"`
}

// moderationProps says whether staff hid a record from public view, and why (only staff in
// scope ever receive hidden records).
type moderationProps struct {
	Hidden       bool   `json:"hidden"`
	HiddenReason string `json:"hidden_reason,omitempty"`
}

func modProps(m civmap.Moderation) moderationProps {
	return moderationProps{Hidden: m.Hidden, HiddenReason: m.Reason}
}

func activityFeature(a civmap.Activity) feature {
	return feature{Type: "Feature", ID: a.ID, Geometry: point(a.Location.Point), Properties: activityProps{
		ID: a.ID, Title: a.Title, ContentArea: a.ContentArea, Platform: a.Platform, Start: a.Start, End: a.End,
		Status: a.Status, Place: placeOut(a.Place), SiteCode: a.SiteCode, locationProps: locProps(a.Location),
		moderationProps: modProps(a.Moderation), Demo: a.Demo, CreatedAt: a.CreatedAt,
	}}
}

type needProps struct {
	ID          int64               `json:"id"`
	Category    civmap.NeedCategory `json:"category"`
	Description string              `json:"description"`
	Status      civmap.NeedStatus   `json:"status"`
	Place       placeJSON           `json:"place"`
	SiteCode    string              `json:"site_code"`
	locationProps
	moderationProps
	Demo      bool      `json:"demo"`
	CreatedAt time.Time `json:"created_at"`
}

// publicNeedProps is what the public sees of a need: no description (free text a resident typed)
// and no position of its own — the need is shown at its responsible site.
type publicNeedProps struct {
	ID       int64               `json:"id"`
	Category civmap.NeedCategory `json:"category"`
	Status   civmap.NeedStatus   `json:"status"`
	SiteCode string              `json:"site_code"`
	locationProps
	Demo      bool      `json:"demo"`
	CreatedAt time.Time `json:"created_at"`
}

// publicNeedFeature is a need as the public sees it: at the point of its site (site), without
// the resident's description or position.
func publicNeedFeature(n civmap.Need, site civmap.Site) feature {
	return feature{Type: "Feature", ID: n.ID, Geometry: point(site.Location.Point), Properties: publicNeedProps{
		ID: n.ID, Category: n.Category, Status: n.Status, SiteCode: n.SiteCode,
		locationProps: locProps(site.Location), Demo: n.Demo, CreatedAt: n.CreatedAt,
	}}
}

func needFeature(n civmap.Need) feature {
	return feature{Type: "Feature", ID: n.ID, Geometry: point(n.Location.Point), Properties: needProps{
		ID: n.ID, Category: n.Category, Description: n.Description, Status: n.Status, Place: placeOut(n.Place),
		SiteCode: n.SiteCode, locationProps: locProps(n.Location), moderationProps: modProps(n.Moderation),
		Demo: n.Demo, CreatedAt: n.CreatedAt,
	}}
}
