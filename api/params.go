package api

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"civmap"

	"github.com/paulmach/orb"
)

// parseBBox parses the "bbox" query parameter, "minLon,minLat,maxLon,maxLat" in WGS-84 degrees
// (the OGC API Features order). It returns nil when the parameter is absent.
func parseBBox(r *http.Request) (*orb.Bound, error) {
	s := r.URL.Query().Get("bbox")
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return nil, civmap.FieldErrorf("bbox", "bbox needs 4 numbers minLon,minLat,maxLon,maxLat, got %d", len(parts))
	}
	var v [4]float64
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, civmap.FieldErrorf("bbox", "bbox value %q is not a number", p)
		}
		v[i] = f
	}
	switch {
	case v[0] < -180 || v[2] > 180:
		return nil, civmap.FieldErrorf("bbox", "bbox longitudes must be within [-180, 180]")
	case v[1] < -90 || v[3] > 90:
		return nil, civmap.FieldErrorf("bbox", "bbox latitudes must be within [-90, 90]")
	case v[0] > v[2] || v[1] > v[3]:
		return nil, civmap.FieldErrorf("bbox", "bbox minimum is above its maximum (order is minLon,minLat,maxLon,maxLat)")
	}
	return &orb.Bound{Min: orb.Point{v[0], v[1]}, Max: orb.Point{v[2], v[3]}}, nil
}

// parseLimit parses the "limit" query parameter: 1–max, default def.
func parseLimit(r *http.Request, def, max int) (int, error) {
	s := r.URL.Query().Get("limit")
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > max {
		return 0, civmap.FieldErrorf("limit", "limit must be an integer from 1 to %d", max)
	}
	return n, nil
}

// parseTime parses an RFC 3339 time query parameter; zero when absent.
func parseTime(r *http.Request, name string) (time.Time, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, civmap.FieldErrorf(name, "%s must be an RFC 3339 time such as 2026-11-29T09:00:00+08:00", name)
	}
	return t, nil
}
