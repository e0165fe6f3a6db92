package api

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"civmap/tiles"

	"github.com/gorilla/mux"
)

// handleTile serves GET /tiles/{layers}/{z}/{x}/{y}.mvt: an MVT 2.1 tile of one layer or of a
// comma-separated list of layers. 400 problem+json for a bad layer or z/x/y; 204 for an empty
// tile; 304 when If-None-Match holds the current ETag; gzip when the client accepts it.
func (s *Server) handleTile(w http.ResponseWriter, r *http.Request) {
	allowCORS(w)
	v := mux.Vars(r)
	layers, err := tiles.ParseLayers(v["layers"])
	if err != nil {
		s.problem(w, r, err)
		return
	}
	t, err := tiles.Parse(v["z"], v["x"], v["y"])
	if err != nil {
		s.problem(w, r, err)
		return
	}
	version, err := s.cfg.Store.Version(r.Context())
	if err != nil {
		s.problem(w, r, err)
		return
	}
	key := fmt.Sprintf("%s/%d/%d/%d@%d", tiles.JoinLayers(layers), t.Z, t.X, t.Y, version)
	rt, hit := s.cache.Get(key)
	if hit {
		s.metrics.tiles.WithLabelValues("hit").Inc()
	} else {
		s.metrics.tiles.WithLabelValues("miss").Inc()
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.TileTimeout)
		b, err := s.cfg.Store.Tile(ctx, layers, t)
		cancel()
		if err != nil {
			s.problem(w, r, err)
			return
		}
		if rt, err = tiles.NewRendered(b); err != nil {
			s.problem(w, r, err)
			return
		}
		s.cache.Set(key, rt)
	}

	h := w.Header()
	h.Set("ETag", rt.ETag)
	h.Set("Cache-Control", "public, max-age=60, stale-while-revalidate=300")
	h.Set("Vary", "Accept-Encoding")
	if hit {
		h.Set("X-Cache", "HIT")
	} else {
		h.Set("X-Cache", "MISS")
	}
	if etagMatch(r.Header.Get("If-None-Match"), rt.ETag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if len(rt.MVT) == 0 {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	h.Set("Content-Type", "application/vnd.mapbox-vector-tile")
	body := rt.MVT
	if acceptsGzip(r) {
		h.Set("Content-Encoding", "gzip")
		body = rt.Gzip
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// etagMatch implements If-None-Match's weak comparison (RFC 9110 §13.1.2) for one ETag.
func etagMatch(header, etag string) bool {
	if header == "" {
		return false
	}
	for _, part := range strings.Split(header, ",") {
		part = strings.TrimSpace(part)
		if part == "*" || strings.TrimPrefix(part, "W/") == etag {
			return true
		}
	}
	return false
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, params, _ := strings.Cut(part, ";")
		if !strings.EqualFold(strings.TrimSpace(enc), "gzip") {
			continue
		}
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			if k, v, ok := strings.Cut(p, "="); ok && strings.TrimSpace(k) == "q" {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					q = f
				}
			}
		}
		return q > 0
	}
	return false
}

// handleTileJSON serves GET /tiles/{layers}.json, a TileJSON 3.0.0 document.
func (s *Server) handleTileJSON(w http.ResponseWriter, r *http.Request) {
	allowCORS(w)
	layers, err := tiles.ParseLayers(mux.Vars(r)["layers"])
	if err != nil {
		s.problem(w, r, err)
		return
	}
	b, center, err := s.serviceBound(r.Context())
	if err != nil {
		s.problem(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	writeJSON(w, http.StatusOK, tiles.NewTileJSON(s.baseURL(r), layers, b, center, 10))
}

// handleGlyphs answers the map's glyph requests with an empty glyph set: site names are Chinese
// and MapLibre draws CJK glyphs with the device's own fonts (localIdeographFontFamily), so no
// font server is needed; other characters are left out of labels.
func (s *Server) handleGlyphs(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	w.WriteHeader(http.StatusOK)
}
