package api

import (
	"fmt"
	"net/http"
	"strconv"

	"civmap"
	"civmap/auth"
	"civmap/geo"
	"civmap/tiles"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// handleClusters serves GET /api/v1/clusters?layer=activities|needs&res=N&bbox=… : a GeoJSON
// FeatureCollection of H3 cell polygons (id: the cell index in hexadecimal) with properties
// cell, res and count, for the non-empty cells whose centre lies in bbox (default: the world).
func (s *Server) handleClusters(w http.ResponseWriter, r *http.Request) {
	allowCORS(w)
	q := r.URL.Query()
	layer := tiles.Layer(q.Get("layer"))
	if layer != tiles.LayerActivities && layer != tiles.LayerNeeds {
		s.problem(w, r, civmap.FieldErrorf("layer", "layer must be activities or needs"))
		return
	}
	res, err := strconv.Atoi(q.Get("res"))
	if err != nil || res < geo.MinClusterRes || res > geo.MaxClusterRes {
		s.problem(w, r, civmap.FieldErrorf("res", "res must be an H3 resolution from %d to %d", geo.MinClusterRes, geo.MaxClusterRes))
		return
	}
	if layer == tiles.LayerNeeds && res > PublicNeedsMaxRes {
		if err := s.authorize(r, auth.ReadPersonal, ""); err != nil {
			e := &civmap.Error{Code: civmap.ErrorCode(err), Field: "res",
				Message: fmt.Sprintf("needs clusters finer than H3 resolution %d are for staff whose scope is the whole network: %s", PublicNeedsMaxRes, civmap.ErrorMessage(err))}
			s.problem(w, r, e)
			return
		}
	}
	b, err := parseBBox(r)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	if b == nil {
		b = &orb.Bound{Min: orb.Point{-180, -90}, Max: orb.Point{180, 90}}
	}
	counts, err := s.cfg.Store.ClusterCounts(r.Context(), layer, res, *b)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	fc := geojson.NewFeatureCollection()
	for _, c := range counts {
		f := geojson.NewFeature(geo.CellPolygon(c.Cell))
		f.ID = c.Cell.String()
		f.Properties = geojson.Properties{"cell": c.Cell.String(), "res": res, "count": c.Count, "layer": string(layer)}
		fc.Append(f)
	}
	writeGeoJSON(w, http.StatusOK, fc)
}
