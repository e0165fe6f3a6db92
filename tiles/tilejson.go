package tiles

import (
	"sort"
	"strings"

	"github.com/paulmach/orb"
)

// TileJSON is a TileJSON 3.0.0 document (https://github.com/mapbox/tilejson-spec/tree/master/3.0.0).
type TileJSON struct {
	TileJSON     string        `json:"tilejson"`
	Name         string        `json:"name,omitempty"`
	Description  string        `json:"description,omitempty"`
	Version      string        `json:"version,omitempty"`
	Attribution  string        `json:"attribution,omitempty"`
	Scheme       string        `json:"scheme"`
	Tiles        []string      `json:"tiles"`
	MinZoom      int           `json:"minzoom"`
	MaxZoom      int           `json:"maxzoom"`
	Bounds       [4]float64    `json:"bounds"`
	Center       [3]float64    `json:"center"`
	VectorLayers []VectorLayer `json:"vector_layers"`
}

// VectorLayer describes one layer of the tiles (TileJSON 3.0.0 §3.3).
type VectorLayer struct {
	ID          string            `json:"id"`
	Description string            `json:"description,omitempty"`
	Fields      map[string]string `json:"fields"`
	MinZoom     int               `json:"minzoom"`
	MaxZoom     int               `json:"maxzoom"`
}

var layerDescriptions = map[Layer]string{
	LayerSites:      "新时代文明实践中心、所、站 (practice sites)",
	LayerVenues:     "阵地 (auxiliary venues)",
	LayerActivities: "实践活动 (activities)",
	LayerNeeds:      "群众点单 (residents' needs)",
	LayerBoundary:   "行政区划边界 (division outlines)",
	LayerClusters:   "H3 网格聚合 (activity and need counts per H3 cell)",
}

// NewTileJSON describes the tiles of layers served under baseURL (e.g. "http://host:8080"):
// tiles at {baseURL}/tiles/{layers}/{z}/{x}/{y}.mvt, covering bounds (WGS-84 lon/lat degrees),
// centred on center at zoom centerZoom.
func NewTileJSON(baseURL string, layers []Layer, bounds orb.Bound, center orb.Point, centerZoom int) TileJSON {
	tj := TileJSON{
		TileJSON:    "3.0.0",
		Name:        "civmap " + JoinLayers(layers),
		Description: "新时代文明实践地图",
		Attribution: "civmap; 行政区划: 国家统计局 2023",
		Scheme:      "xyz",
		Tiles:       []string{strings.TrimRight(baseURL, "/") + "/tiles/" + JoinLayers(layers) + "/{z}/{x}/{y}.mvt"},
		MinZoom:     MinZoom,
		MaxZoom:     MaxZoom,
		Bounds:      [4]float64{bounds.Min[0], bounds.Min[1], bounds.Max[0], bounds.Max[1]},
		Center:      [3]float64{center[0], center[1], float64(centerZoom)},
	}
	for _, l := range layers {
		fields := map[string]string{}
		keys := make([]string, 0, len(Fields[l]))
		for k := range Fields[l] {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fields[k] = Fields[l][k]
		}
		tj.VectorLayers = append(tj.VectorLayers, VectorLayer{
			ID: string(l), Description: layerDescriptions[l], Fields: fields, MinZoom: MinZoom, MaxZoom: MaxZoom,
		})
	}
	return tj
}
