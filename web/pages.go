package web

import (
	"time"

	"civmap"
	"civmap/geo/nav"
)

// MapPage is the data of map.html.
type MapPage struct {
	Title       string
	HasMapLibre bool
	Config      MapConfig
}

// MapConfig is what map.js reads from the page (as JSON).
type MapConfig struct {
	Center               [2]float64 `json:"center"` // WGS-84 lon, lat in degrees
	Zoom                 float64    `json:"zoom"`
	Bounds               [4]float64 `json:"bounds"`    // minLon, minLat, maxLon, maxLat
	Tiles                string     `json:"tiles"`     // composite tile URL template with {z}/{x}/{y}
	BaseLayer            string     `json:"baseLayer"` // optional raster base-layer URL template
	BaseLayerAttribution string     `json:"baseLayerAttribution"`
	Events               string     `json:"events"` // server-sent events URL
}

// SitePage is the data of site.html.
type SitePage struct {
	Site        civmap.Site
	LevelTitle  string
	Chain       []civmap.Site // center … parent, top first
	Children    []civmap.Site
	Venues      []civmap.Venue
	Current     []civmap.Activity
	Upcoming    []civmap.Activity
	MapURL      string
	Placeholder bool
	Notice      string
	Categories  []civmap.NeedCategory
	Submitted   bool   // a need was just submitted
	FormError   string // why the last need form was rejected
	FormField   string
	// FormCategory and FormDescription refill the form after a rejected submission.
	FormCategory    civmap.NeedCategory
	FormDescription string
	Now             time.Time
	Nav             nav.Links // navigation deep links (geo/nav.ForSite)
	PosterURL       string    // the site's printable SVG poster
}

// NotFoundPage is the data of notfound.html.
type NotFoundPage struct {
	What string // what was not found, in Chinese
}
