package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"civmap"
	"civmap/geo"
)

// bruteForce counts the stored points of a layer per H3 cell at res, from the list endpoint
// (as a county-wide admin, asAdmin, who sees needs at their own points).
func bruteForce(t *testing.T, base, layer string, res int, asAdmin []string) map[string]int {
	t.Helper()
	_, b := get(t, fmtURL(base, "/api/v1/%s?limit=10000", layer), asAdmin...)
	out := map[string]int{}
	for _, f := range decodeFC(t, b).Features {
		c, err := geo.Cell(point(t, f.Geometry.Coordinates), res)
		if err != nil {
			t.Fatal(err)
		}
		out[c.String()]++
	}
	return out
}

func clusters(t *testing.T, base, layer string, res int, bbox string, asAdmin []string) map[string]int {
	t.Helper()
	url := fmtURL(base, "/api/v1/clusters?layer=%s&res=%d", layer, res)
	if bbox != "" {
		url += "&bbox=" + bbox
	}
	resp, b := get(t, url, asAdmin...)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	out := map[string]int{}
	for _, f := range decodeFC(t, b).Features {
		if f.Geometry.Type != "Polygon" {
			t.Fatalf("cluster geometry %s, want Polygon", f.Geometry.Type)
		}
		out[f.Properties["cell"].(string)] = int(f.Properties["count"].(float64))
	}
	return out
}

func checkCounts(t *testing.T, base string, asAdmin []string) {
	t.Helper()
	for _, layer := range []string{"activities", "needs"} {
		for res := geo.MinClusterRes; res <= geo.MaxClusterRes; res++ {
			want, got := bruteForce(t, base, layer, res, asAdmin), clusters(t, base, layer, res, "", asAdmin)
			if fmt.Sprint(want) != fmt.Sprint(got) {
				t.Errorf("%s res %d: clusters %v, brute force %v", layer, res, got, want)
			}
		}
		// A bbox keeps exactly the cells whose centre is inside it.
		want := bruteForce(t, base, layer, 7, asAdmin)
		got := clusters(t, base, layer, 7, "113.3,29.3,113.5,29.6", asAdmin)
		for cell, n := range want {
			c, _ := geo.ParseCell(cell)
			p := geo.CellCenter(c)
			in := p[0] >= 113.3 && p[0] <= 113.5 && p[1] >= 29.3 && p[1] <= 29.6
			if in && got[cell] != n || !in && got[cell] != 0 {
				t.Errorf("%s res 7 bbox: cell %s count %d, want %d (inside %v)", layer, cell, got[cell], n, in)
			}
		}
	}
}

func TestServeClustersMatchBruteForceAndSurviveRestart(t *testing.T) {
	path := tempData(t)
	m := startServe(t, path)
	_, asAdmin := userToken(t, m, "admin", civmap.RoleAdmin, "")
	base := m.URL()
	_, b := get(t, base+"/api/v1/sites")
	var codes []string
	var points [][2]float64
	for _, f := range decodeFC(t, b).Features {
		codes = append(codes, f.Properties["code"].(string))
		points = append(points, point(t, f.Geometry.Coordinates))
	}
	r := rand.New(rand.NewPCG(1, 2))
	start := time.Date(2026, 12, 1, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))
	for i := 0; i < 60; i++ {
		place := map[string]any{"code": codes[r.IntN(len(codes))]}
		if i%3 == 0 { // a bare point within ~2 km of a site
			p := points[r.IntN(len(points))]
			place = map[string]any{"lon": p[0] + (r.Float64()-0.5)*0.04, "lat": p[1] + (r.Float64()-0.5)*0.04}
		}
		resp, body := send(t, "POST", base+"/api/v1/activities", map[string]any{
			"title": fmt.Sprintf("测试活动 %d", i), "content_area": "丰富活跃文化生活", "platform": "文化惠民",
			"start": start.Add(time.Duration(i) * time.Hour).Format(time.RFC3339),
			"end":   start.Add(time.Duration(i+2) * time.Hour).Format(time.RFC3339), "place": place,
		}, asAdmin...)
		if resp.StatusCode != 201 {
			t.Fatalf("POST activity: %d %s", resp.StatusCode, body)
		}
	}
	for i := 0; i < 80; i++ {
		p := points[r.IntN(len(points))]
		resp, body := send(t, "POST", base+"/api/v1/needs", map[string]any{ // as staff: no rate limit
			"category": "卫生健康", "description": fmt.Sprintf("测试需求 %d", i),
			"place": map[string]any{"lon": p[0] + (r.Float64()-0.5)*0.02, "lat": p[1] + (r.Float64()-0.5)*0.02},
		}, asAdmin...)
		if resp.StatusCode != 201 {
			t.Fatalf("POST need: %d %s", resp.StatusCode, body)
		}
	}
	// Rejected requests store nothing.
	for _, bad := range []map[string]any{
		{"category": "卫生健康", "description": "x", "place": map[string]any{"lon": 200, "lat": 29}},
		{"category": "卫生健康", "description": "x", "place": map[string]any{"lon": 116.4, "lat": 39.9}},
		{"category": "nope", "description": "x", "place": map[string]any{"code": "430682"}},
		{"category": "卫生健康", "description": "", "place": map[string]any{"code": "430682"}},
		{"category": "卫生健康", "description": "x", "place": map[string]any{"code": "123"}},
		{"category": "卫生健康", "description": "x"},
		{"category": "卫生健康", "description": "x", "place": map[string]any{"code": "430682"}, "id_card": "430682199001011234"},
		{"category": "卫生健康", "description": "x", "place": map[string]any{"code": "430682"}, "phone": "12345"},
	} {
		resp, body := postJSON(t, base+"/api/v1/needs", bad)
		var p struct{ Field string }
		json.Unmarshal(body, &p)
		if resp.StatusCode != 400 || resp.Header.Get("Content-Type") != "application/problem+json" || p.Field == "" {
			t.Errorf("POST %v: %d %s; want 400 problem+json naming a field", bad, resp.StatusCode, body)
		}
	}
	if n := len(bruteForce(t, base, "needs", 0, asAdmin)); n == 0 {
		t.Fatal("no needs stored")
	}
	total := 0
	for _, n := range bruteForce(t, base, "needs", 0, asAdmin) {
		total += n
	}
	if total != 80 {
		t.Errorf("%d needs stored, want 80 (rejected requests must store nothing)", total)
	}
	checkCounts(t, base, asAdmin)
	checkNeedsPrivacy(t, base, asAdmin)
	_, before := get(t, base+"/api/v1/activities?limit=10000")
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}

	m = startServe(t, path)
	defer m.Close()
	_, after := get(t, m.URL()+"/api/v1/activities?limit=10000")
	if string(before) != string(after) {
		t.Error("activities differ after a restart on the same data file")
	}
	checkCounts(t, m.URL(), asAdmin)
}

// checkNeedsPrivacy: the public sees needs at their sites' points without descriptions, and no
// needs clusters finer than resolution 8; a wrong token is refused outright.
func checkNeedsPrivacy(t *testing.T, base string, asAdmin []string) {
	t.Helper()
	_, b := get(t, base+"/api/v1/sites")
	sitePoint := map[string][2]float64{}
	for _, f := range decodeFC(t, b).Features {
		sitePoint[f.Properties["code"].(string)] = point(t, f.Geometry.Coordinates)
	}
	if resp, b := get(t, base+"/api/v1/needs?limit=10000", "Authorization", "Bearer wrong"); resp.StatusCode != 401 || strings.Contains(string(b), "测试需求") {
		t.Errorf("needs with a wrong token: %d %.200s", resp.StatusCode, b)
	}
	for _, hdr := range [][]string{nil} {
		_, b = get(t, base+"/api/v1/needs?limit=10000", hdr...)
		public := decodeFC(t, b).Features
		if len(public) != 80 {
			t.Fatalf("public needs list: %d needs, want 80", len(public))
		}
		for _, f := range public {
			if _, ok := f.Properties["description"]; ok {
				t.Fatalf("public needs list shows a description: %v", f.Properties)
			}
			if _, ok := f.Properties["place"]; ok {
				t.Fatalf("public needs list shows the place: %v", f.Properties)
			}
			if p := point(t, f.Geometry.Coordinates); p != sitePoint[f.Properties["site_code"].(string)] {
				t.Fatalf("public need %v at %v, not at its site %v", f.ID, p, sitePoint[f.Properties["site_code"].(string)])
			}
		}
		resp, b := get(t, base+"/api/v1/clusters?layer=needs&res=9", hdr...)
		if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") == "" || !strings.Contains(string(b), `"field":"res"`) {
			t.Errorf("public needs clusters at res 9: %d %s", resp.StatusCode, b)
		}
		if resp, b := get(t, base+"/api/v1/needs/1", hdr...); resp.StatusCode != 200 || strings.Contains(string(b), "description") {
			t.Errorf("public need 1: %d %s", resp.StatusCode, b)
		}
	}
	if resp, b := get(t, base+"/api/v1/needs/1", asAdmin...); resp.StatusCode != 200 || !strings.Contains(string(b), "测试需求") {
		t.Errorf("admin need 1: %d %s", resp.StatusCode, b)
	}
}
