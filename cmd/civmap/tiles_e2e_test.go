package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"math"
	"strings"
	"testing"

	"civmap"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"
)

type tileFeature struct {
	geom  orb.Geometry
	props map[string]any
}

// decodeTile decodes an MVT and indexes its features by layer and integer id.
func decodeTile(t *testing.T, b []byte) map[string]map[uint64]tileFeature {
	t.Helper()
	layers, err := mvt.Unmarshal(b)
	if err != nil {
		t.Fatalf("not an MVT: %v", err)
	}
	out := map[string]map[uint64]tileFeature{}
	for _, l := range layers {
		if l.Version != 2 || l.Extent != 4096 {
			t.Errorf("layer %s: version %d, extent %d; want 2, 4096", l.Name, l.Version, l.Extent)
		}
		out[l.Name] = map[uint64]tileFeature{}
		for _, f := range l.Features {
			fid, ok := f.ID.(float64) // orb decodes ids as float64; ours are < 2^53
			if !ok || fid < 0 || fid != math.Trunc(fid) {
				t.Fatalf("layer %s: feature without an integer id: %v", l.Name, f.ID)
			}
			if _, dup := out[l.Name][uint64(fid)]; dup {
				t.Errorf("layer %s: id %v twice", l.Name, fid)
			}
			out[l.Name][uint64(fid)] = tileFeature{geom: f.Geometry, props: f.Properties}
		}
	}
	return out
}

func tileOf(p [2]float64, z int) (maptile.Tile, float64, float64) {
	t := maptile.At(orb.Point(p), maptile.Zoom(z))
	n := math.Exp2(float64(z))
	fx := (p[0] + 180) / 360 * n
	lat := p[1] * math.Pi / 180
	fy := (1 - math.Log(math.Tan(lat)+1/math.Cos(lat))/math.Pi) / 2 * n
	return t, (fx - float64(t.X)) * 4096, (fy - float64(t.Y)) * 4096
}

func TestServeTiles(t *testing.T) {
	m := startServe(t, tempData(t), "--demo")
	defer m.Close()
	base := m.URL()
	_, b := get(t, base+"/api/v1/sites")
	sites := decodeFC(t, b)

	// A z10 composite tile over the county seat holds sites with the required properties.
	seat := [2]float64{113.4403, 29.4813}
	tile, _, _ := tileOf(seat, 10)
	resp, body := get(t, fmtURL(base, "/tiles/boundary,clusters,venues,sites,activities,needs/%d/%d/%d.mvt", tile.Z, tile.X, tile.Y))
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/vnd.mapbox-vector-tile" {
		t.Fatalf("z10 tile: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Error("tile lacks CORS header")
	}
	layers := decodeTile(t, body)
	for _, name := range []string{"sites", "venues", "activities", "needs", "boundary", "clusters"} {
		if len(layers[name]) == 0 {
			t.Errorf("z10 tile has no %s features", name)
		}
	}
	for id, f := range layers["sites"] {
		for _, k := range []string{"code", "name", "level", "kind", "coord_source"} {
			if _, ok := f.props[k]; !ok {
				t.Errorf("site feature %d lacks property %s", id, k)
			}
		}
		if code, _ := f.props["code"].(string); uint64(civmap.FeatureID(code)) != id {
			t.Errorf("site %s has id %d, want %d", code, id, civmap.FeatureID(code))
		}
	}

	// Ids are stable across neighbouring tiles: find a site within the buffer of its tile's
	// east or west edge at some zoom; it must appear in both tiles with the same id and properties.
	found := false
	for z := 11; z <= 18 && !found; z++ {
		for _, f := range sites.Features {
			p := point(t, f.Geometry.Coordinates)
			tl, x, y := tileOf(p, z)
			if y < 100 || y > 3996 {
				continue
			}
			var nb maptile.Tile
			switch {
			case x > 4096-40:
				nb = maptile.New(tl.X+1, tl.Y, tl.Z)
			case x < 40:
				nb = maptile.New(tl.X-1, tl.Y, tl.Z)
			default:
				continue
			}
			found = true
			code := f.Properties["code"].(string)
			id := uint64(civmap.FeatureID(code))
			_, home := get(t, fmtURL(base, "/tiles/sites/%d/%d/%d.mvt", tl.Z, tl.X, tl.Y))
			_, next := get(t, fmtURL(base, "/tiles/sites/%d/%d/%d.mvt", nb.Z, nb.X, nb.Y))
			a, bb := decodeTile(t, home)["sites"][id], decodeTile(t, next)["sites"][id]
			if a.geom == nil || bb.geom == nil {
				t.Fatalf("site %s (id %d) near the edge of %v: in home tile %v, in neighbour %v %v", code, id, tl, a.geom != nil, nb, bb.geom != nil)
			}
			if bx := bb.geom.(orb.Point)[0]; bx >= 0 && bx <= 4096 {
				t.Errorf("site %s in neighbour tile at x=%v, want inside the buffer (x<0 or x>4096)", code, bx)
			}
			if a.props["name"] != bb.props["name"] || a.props["code"] != bb.props["code"] {
				t.Errorf("site %s properties differ between tiles: %v vs %v", code, a.props, bb.props)
			}
			break
		}
	}
	if !found {
		t.Fatal("no site lies within 40 tile units of a tile edge at z11–18; cannot test the buffer")
	}

	// Bad tile addresses are 400 problem+json naming the field.
	for path, field := range map[string]string{
		"/tiles/sites/5/32/0.mvt": "x", "/tiles/sites/5/0/32.mvt": "y", "/tiles/sites/-1/0/0.mvt": "z",
		"/tiles/sites/23/0/0.mvt": "z", "/tiles/sites/a/0/0.mvt": "z", "/tiles/sites/3/x/0.mvt": "x",
		"/tiles/sites/3/0/1e2.mvt": "y", "/tiles/roads/3/0/0.mvt": "layer", "/tiles/sites,sites/3/0/0.mvt": "layer",
	} {
		resp, b := get(t, base+path)
		var p struct {
			Status int
			Field  string
		}
		json.Unmarshal(b, &p)
		if resp.StatusCode != 400 || resp.Header.Get("Content-Type") != "application/problem+json" || p.Field != field || p.Status != 400 {
			t.Errorf("GET %s: %d %s %s; want 400 problem+json on field %s", path, resp.StatusCode, resp.Header.Get("Content-Type"), b, field)
		}
	}

	// A tile with nothing in it is 204.
	if resp, b := get(t, base+"/tiles/sites/10/0/0.mvt"); resp.StatusCode != 204 || len(b) != 0 {
		t.Errorf("empty tile: %d with %d bytes, want 204", resp.StatusCode, len(b))
	}

	// ETag and 304; gzip on request.
	url := fmtURL(base, "/tiles/sites/%d/%d/%d.mvt", tile.Z, tile.X, tile.Y)
	resp, plain := get(t, url)
	etag := resp.Header.Get("ETag")
	if etag == "" || resp.Header.Get("Cache-Control") == "" {
		t.Fatalf("tile lacks ETag or Cache-Control: %v", resp.Header)
	}
	if resp, b := get(t, url, "If-None-Match", etag); resp.StatusCode != 304 || len(b) != 0 {
		t.Errorf("If-None-Match with the ETag: %d, want 304", resp.StatusCode)
	}
	if resp, _ := get(t, url, "If-None-Match", `"other"`); resp.StatusCode != 200 {
		t.Errorf("If-None-Match with another ETag: %d, want 200", resp.StatusCode)
	}
	resp, zipped := get(t, url, "Accept-Encoding", "gzip")
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Accept-Encoding gzip: Content-Encoding %q", resp.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(bytes.NewReader(zipped))
	if err != nil {
		t.Fatal(err)
	}
	unzipped, _ := io.ReadAll(zr)
	if !bytes.Equal(unzipped, plain) {
		t.Error("gzipped tile differs from the plain one")
	}

	// TileJSON 3.0.0.
	resp, b = get(t, base+"/tiles/sites,needs.json")
	var tj struct {
		TileJSON     string     `json:"tilejson"`
		Tiles        []string   `json:"tiles"`
		MinZoom      *int       `json:"minzoom"`
		MaxZoom      *int       `json:"maxzoom"`
		Bounds       [4]float64 `json:"bounds"`
		VectorLayers []struct {
			ID     string            `json:"id"`
			Fields map[string]string `json:"fields"`
		} `json:"vector_layers"`
	}
	if err := json.Unmarshal(b, &tj); err != nil || resp.StatusCode != 200 {
		t.Fatalf("TileJSON: %d %v", resp.StatusCode, err)
	}
	if tj.TileJSON != "3.0.0" || len(tj.Tiles) != 1 || !strings.HasSuffix(tj.Tiles[0], "/tiles/sites,needs/{z}/{x}/{y}.mvt") ||
		tj.MinZoom == nil || *tj.MaxZoom != 22 || len(tj.VectorLayers) != 2 || tj.VectorLayers[0].ID != "sites" ||
		tj.Bounds[0] > 113.44 || tj.Bounds[2] < 113.44 {
		t.Errorf("TileJSON: %s", b)
	}
}
