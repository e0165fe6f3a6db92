package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"civmap"
	"civmap/api"
)

func post(t *testing.T, url, contentType, body string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func TestServeActivityAPI(t *testing.T) {
	m := startServe(t, tempData(t))
	defer m.Close()
	_, asAdmin := userToken(t, m, "admin", civmap.RoleAdmin, "")
	url := m.URL() + "/api/v1/activities"
	good := `{"title":"理论宣讲进村组","content_area":"宣传宣讲党的政策","platform":"理论宣讲",
		"start":"2026-12-01T09:00:00+08:00","end":"2026-12-01T11:00:00+08:00","place":{"code":"430682114001V01"}}`

	// A venue code that does not exist yet is rejected; after demo venues exist it is accepted.
	if resp, b := post(t, url, "application/json", good); resp.StatusCode != 401 {
		t.Fatalf("anonymous: %d %s; want 401", resp.StatusCode, b)
	}
	resp, b := post(t, url, "application/json", good, asAdmin...)
	if resp.StatusCode != 400 || !bytes.Contains(b, []byte(`"field":"place.code"`)) {
		t.Fatalf("unknown venue: %d %s", resp.StatusCode, b)
	}
	good = strings.Replace(good, "430682114001V01", "430682114001", 1)
	resp, b = post(t, url, "application/json", good, asAdmin...)
	if resp.StatusCode != 201 || !strings.HasPrefix(resp.Header.Get("Location"), "/api/v1/activities/") {
		t.Fatalf("create: %d %s", resp.StatusCode, b)
	}
	var f struct {
		ID         int64
		Geometry   struct{ Coordinates [2]float64 }
		Properties map[string]any
	}
	json.Unmarshal(b, &f)
	if f.ID != 1 || f.Properties["site_code"] != "430682114001" || f.Properties["status"] != "planned" ||
		f.Properties["coord_source"] != "synthetic" || f.Properties["start"] != "2026-12-01T01:00:00Z" {
		t.Errorf("created activity: %s", b)
	}
	resp, b = get(t, m.URL()+resp.Header.Get("Location"))
	if resp.StatusCode != 200 || !bytes.Contains(b, []byte("理论宣讲进村组")) {
		t.Errorf("GET created: %d %s", resp.StatusCode, b)
	}

	for name, c := range map[string]struct {
		ct, body string
		status   int
		field    string
	}{
		"wrong media type": {"text/plain", good, 415, ""},
		"malformed":        {"application/json", `{"title":`, 400, ""},
		"not an object":    {"application/json", `[1,2]`, 400, ""},
		"trailing data":    {"application/json", good + `{}`, 400, ""},
		"unknown member":   {"application/json", strings.Replace(good, `"title"`, `"phone":"1","title"`, 1), 400, "phone"},
		"wrong type":       {"application/json", strings.Replace(good, `"理论宣讲进村组"`, `5`, 1), 400, "title"},
		"bad start":        {"application/json", strings.Replace(good, "2026-12-01T09:00:00+08:00", "明天上午", 1), 400, "start"},
		"end before start": {"application/json", strings.Replace(good, "2026-12-01T11:00", "2026-12-01T08:00", 1), 400, "end"},
		"bad platform":     {"application/json", strings.Replace(good, `"platform":"理论宣讲"`, `"platform":"x"`, 1), 400, "platform"},
		"empty title":      {"application/json", strings.Replace(good, "理论宣讲进村组", " ", 1), 400, "title"},
		"code and point":   {"application/json", strings.Replace(good, `{"code":"430682114001"}`, `{"code":"430682114001","lon":113.4,"lat":29.4}`, 1), 400, "place"},
		"lon only":         {"application/json", strings.Replace(good, `{"code":"430682114001"}`, `{"lon":113.4}`, 1), 400, "place.lat"},
		"latitude range":   {"application/json", strings.Replace(good, `{"code":"430682114001"}`, `{"lon":113.4,"lat":129.4}`, 1), 400, "place.lat"},
		"too large":        {"application/json", `{"title":"` + strings.Repeat("长", 30000) + `"}`, 413, ""},
		"invalid UTF-8":    {"application/json", strings.Replace(good, "理论宣讲进村组", "bad \xff\xfe", 1), 400, ""},
		"NUL in title":     {"application/json", strings.Replace(good, "理论宣讲进村组", `a\u0000b`, 1), 400, "title"},
		"year 9999":        {"application/json", strings.ReplaceAll(good, "2026-12-01", "9999-12-01"), 400, "start"},
		"array body":       {"application/json", `[]`, 400, ""},
	} {
		resp, b := post(t, url, c.ct, c.body, asAdmin...)
		var p api.Problem
		if err := json.Unmarshal(b, &p); err != nil || resp.StatusCode != c.status || p.Status != c.status ||
			resp.Header.Get("Content-Type") != "application/problem+json" || p.Field != c.field || p.Detail == "" {
			t.Errorf("%s: %d %s; want %d problem+json with field %q", name, resp.StatusCode, b, c.status, c.field)
		}
	}
	_, b = get(t, url)
	if n := len(decodeFC(t, b).Features); n != 1 {
		t.Errorf("%d activities stored after the rejected requests, want 1", n)
	}

	// List filters and their errors.
	for q, want := range map[string]int{"?site=430682114001": 1, "?site=430682": 0, "?end_after=2026-12-01T10:00:00%2B08:00": 1,
		"?end_after=2026-12-02T00:00:00Z": 0, "?bbox=113,29,114,30": 1, "?bbox=0,0,1,1": 0} {
		resp, b := get(t, url+q)
		if resp.StatusCode != 200 || len(decodeFC(t, b).Features) != want {
			t.Errorf("GET activities%s: %d, %d features, want %d", q, resp.StatusCode, len(decodeFC(t, b).Features), want)
		}
	}
	if resp, _ := get(t, m.URL()+"/api/v1/needs?status=bogus"); resp.StatusCode != 400 {
		t.Errorf("needs?status=bogus: %d, want 400", resp.StatusCode)
	}
	if req, _ := http.NewRequest(http.MethodHead, url, nil); req != nil {
		if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
			t.Errorf("HEAD activities: %v %v", resp, err)
		}
	}
	for q, field := range map[string]string{"?bbox=1,2,3": "bbox", "?bbox=3,0,1,1": "bbox", "?bbox=a,0,1,1": "bbox",
		"?limit=0": "limit", "?limit=x": "limit", "?end_after=yesterday": "end_after"} {
		resp, b := get(t, url+q)
		if resp.StatusCode != 400 || !bytes.Contains(b, []byte(`"field":"`+field+`"`)) {
			t.Errorf("GET activities%s: %d %s; want 400 on %s", q, resp.StatusCode, b, field)
		}
	}
	for q, field := range map[string]string{"?layer=sites&res=5": "layer", "?layer=needs&res=12": "res", "?layer=needs": "res",
		"?layer=needs&res=5&bbox=x": "bbox"} {
		resp, b := get(t, m.URL()+"/api/v1/clusters"+q)
		if resp.StatusCode != 400 || !bytes.Contains(b, []byte(`"field":"`+field+`"`)) {
			t.Errorf("GET clusters%s: %d %s; want 400 on %s", q, resp.StatusCode, b, field)
		}
	}
	if resp, b := get(t, m.URL()+"/api/v1/nothing"); resp.StatusCode != 404 || resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("unknown endpoint: %d %s", resp.StatusCode, b)
	}
	req, _ := http.NewRequest(http.MethodDelete, url, nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 405 {
		t.Errorf("DELETE: %v %v", resp.StatusCode, err)
	}
}
