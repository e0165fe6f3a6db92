package main

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

func TestServeGeocode(t *testing.T) {
	m := startServe(t, tempData(t))
	defer m.Close()
	resp, b := get(t, m.URL()+"/api/v1/geocode?q="+url.QueryEscape("湖南岳阳临湘羊楼司镇双山村村委会3组"))
	var r struct {
		Code string `json:"code"`
	}
	var raw map[string]any
	json.Unmarshal(b, &raw)
	json.Unmarshal(b, &r)
	if resp.StatusCode != 200 || r.Code != "430682114206" || raw["point"] == nil ||
		raw["coord_source"] != "synthetic" || raw["precision"] != "village" {
		t.Fatalf("GET geocode: %d %s", resp.StatusCode, b)
	}
	for q, status := range map[string]int{"": 400, "%20%20": 400, "%FF%FE": 400, strings.Repeat("村", 4000): 413} {
		resp, b := get(t, m.URL()+"/api/v1/geocode?q="+q)
		if resp.StatusCode != status || !strings.Contains(string(b), `"field":"q"`) {
			t.Errorf("GET geocode?q=%.20s: %d %s, want %d naming q", q, resp.StatusCode, b, status)
		}
	}

	resp, b = post(t, m.URL()+"/api/v1/geocode", "application/json",
		`["湖南省岳阳市临湘市长安街道长城社区", "", "`+strings.Repeat("镇", 2000)+`", "北京市东城区东华门街道多福巷社区"]`)
	var batch []map[string]any
	if err := json.Unmarshal(b, &batch); err != nil || resp.StatusCode != 200 || len(batch) != 4 {
		t.Fatalf("POST geocode: %d %s", resp.StatusCode, b)
	}
	if batch[0]["code"] != "430682001001" || batch[3]["code"] != "110101001001" {
		t.Errorf("batch answers: %v / %v", batch[0]["code"], batch[3]["code"])
	}
	if batch[1]["error"] == nil || batch[2]["error"] == nil {
		t.Errorf("bad items lack their own errors: %v / %v", batch[1], batch[2])
	}
	over := "[" + strings.Repeat(`"临湘",`, 1000) + `"临湘"]`
	if resp, b := post(t, m.URL()+"/api/v1/geocode", "application/json", over); resp.StatusCode != 413 {
		t.Errorf("batch of 1001: %d %s", resp.StatusCode, b)
	}
	if resp, _ := post(t, m.URL()+"/api/v1/geocode", "application/json", `{"q":"临湘"}`); resp.StatusCode != 400 {
		t.Errorf("batch that is not an array: %d", resp.StatusCode)
	}
}
