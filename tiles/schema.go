package tiles

// Fields lists, per layer, the feature properties every store must emit, with the TileJSON
// description of each. Every point layer carries code, name, level, kind and coord_source.
var Fields = map[Layer]map[string]string{
	LayerSites: {
		"code":         "String: division code of the site (6, 9 or 12 digits) or a base's own id",
		"name":         "String: full site name",
		"level":        "String: center | station | post | base",
		"kind":         "String: always site",
		"parent_code":  "String: code of the parent site, empty for the center",
		"coord_source": "String: synthetic | geocoded | imported | surveyed",
		"precision":    "String: county | town | village | exact",
		"placeholder":  "Boolean: true when the position is synthetic (示例位置，待实地采集)",
		"demo":         "Boolean: true for demo data",
	},
	LayerVenues: {
		"code":         "String: venue code",
		"name":         "String: venue name",
		"level":        "String: level of the site the venue belongs to",
		"kind":         "String: venue type, e.g. 农家书屋",
		"site_code":    "String: code of the site the venue belongs to",
		"coord_source": "String: synthetic | geocoded | imported | surveyed",
		"precision":    "String: county | town | village | exact",
		"placeholder":  "Boolean: true when the position is synthetic",
		"demo":         "Boolean: true for demo data",
	},
	LayerActivities: {
		"code":         "String: code of the site the activity belongs to",
		"name":         "String: activity title",
		"level":        "String: level of that site",
		"kind":         "String: platform (one of the eight 平台)",
		"content_area": "String: one of the seven content areas",
		"start":        "String: start time, RFC 3339",
		"end":          "String: end time, RFC 3339",
		"start_ts":     "Number: start time, Unix seconds",
		"end_ts":       "Number: end time, Unix seconds",
		"status":       "String: planned | cancelled",
		"coord_source": "String: source of the position",
		"placeholder":  "Boolean: true when the position is synthetic",
		"demo":         "Boolean: true for demo data",
	},
	LayerNeeds: {
		"code":         "String: code of the site responsible for the need",
		"name":         "String: need category",
		"level":        "String: level of that site",
		"kind":         "String: need category",
		"status":       "String: submitted | ordered | dispatched | accepted | done | rated | cancelled",
		"created_ts":   "Number: creation time, Unix seconds",
		"coord_source": "String: source of the responsible site's position (a need is drawn at its site, never at its own point)",
		"precision":    "String: precision of that site's position: county | town | village | exact",
		"placeholder":  "Boolean: true when that site's position is synthetic",
		"demo":         "Boolean: true for demo data",
	},
	LayerBoundary: {
		"code":  "String: division code",
		"name":  "String: division name",
		"level": "String: county | town | village",
		"kind":  "String: always boundary",
	},
	LayerClusters: {
		"cell":       "String: H3 cell index (hexadecimal)",
		"res":        "Number: H3 resolution",
		"count":      "Number: activities + needs in the cell",
		"activities": "Number: activities in the cell",
		"needs":      "Number: needs in the cell",
		"kind":       "String: always cluster",
	},
}

// MaxClusterLayerRes is the finest H3 resolution the public clusters layer uses: resolution 8
// cells have an average edge of about 0.46 km and an average area of about 0.74 km² (H3
// documentation, "Tables of Cell Statistics Across Resolutions"), so a cell holding one need
// does not pin a resident's home. Finer zooms reuse it.
const MaxClusterLayerRes = 8

// ClusterRes is the H3 resolution the clusters layer uses at zoom z: hexagons about 20–60 px
// across on screen. Each H3 resolution divides the edge length by about √7 (H3 documentation),
// each zoom level halves the pixel size, so res ≈ 5 + (z − 8)·log 2 / log √7, clamped to
// 0–MaxClusterLayerRes (from zoom 12 on it stays 8, and hexagons grow on screen).
func ClusterRes(z int) int {
	// log 2 / log √7 ≈ 0.7124; integer arithmetic keeps this exact and portable.
	r := 5 + ((z-8)*7124+5000*sign(z-8))/10000
	if r < 0 {
		return 0
	}
	if r > MaxClusterLayerRes {
		return MaxClusterLayerRes
	}
	return r
}

func sign(v int) int {
	if v < 0 {
		return -1
	}
	return 1
}
