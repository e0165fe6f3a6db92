package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"civmap"
)

// startServe runs `civmap serve` on a free loopback port with the data file at path.
func startServe(t *testing.T, path string, args ...string) *Serve {
	t.Helper()
	var out bytes.Buffer
	m := NewServe(&out, io.Discard)
	if err := m.ParseFlags(append([]string{"--addr", "127.0.0.1:0", "--data", path}, args...)); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil {
		m.Close()
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), m.URL()) {
		t.Errorf("serve printed %q, which does not name its URL %s", out.String(), m.URL())
	}
	return m
}

func tempData(t *testing.T) string { return filepath.Join(t.TempDir(), "civmap.db") }

func get(t *testing.T, url string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	// A transport that does not add Accept-Encoding by itself, so tests see what they ask for.
	resp, err := (&http.Client{Transport: &http.Transport{DisableCompression: true}}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func postJSON(t *testing.T, url string, body any) (*http.Response, []byte) {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, out
}

type fc struct {
	Features []struct {
		ID       json.RawMessage `json:"id"`
		Geometry struct {
			Type        string          `json:"type"`
			Coordinates json.RawMessage `json:"coordinates"`
		} `json:"geometry"`
		Properties map[string]any `json:"properties"`
	} `json:"features"`
}

func decodeFC(t *testing.T, b []byte) fc {
	t.Helper()
	var c fc
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatalf("not GeoJSON: %v: %.200s", err, b)
	}
	return c
}

func point(t *testing.T, raw json.RawMessage) [2]float64 {
	t.Helper()
	var p [2]float64
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestServeLinxiangSites(t *testing.T) {
	m := startServe(t, tempData(t))
	defer m.Close()
	resp, b := get(t, m.URL()+"/api/v1/sites")
	if resp.StatusCode != 200 {
		t.Fatalf("GET /api/v1/sites: %d", resp.StatusCode)
	}
	c := decodeFC(t, b)
	if len(c.Features) != 176 {
		t.Fatalf("%d sites, want 176", len(c.Features))
	}
	levels := map[string]int{}
	for _, f := range c.Features {
		p := f.Properties
		levels[p["level"].(string)]++
		if p["coord_source"] != "synthetic" || p["placeholder"] != true || p["notice"] != "示例位置，待实地采集" {
			t.Errorf("site %v: coord_source %v placeholder %v notice %v", p["code"], p["coord_source"], p["placeholder"], p["notice"])
		}
		code := p["code"].(string)
		wantPrec := map[int]string{6: "county", 9: "town", 12: "village"}[len(code)]
		if p["precision"] != wantPrec {
			t.Errorf("site %s precision %v, want %s", code, p["precision"], wantPrec)
		}
		if !strings.HasPrefix(p["address"].(string), "湖南省岳阳市临湘市") {
			t.Errorf("site %s address %v", code, p["address"])
		}
	}
	if levels["center"] != 1 || levels["station"] != 14 || levels["post"] != 161 {
		t.Errorf("levels %v, want 1 center, 14 stations, 161 posts", levels)
	}
	resp, b = get(t, m.URL()+"/api/v1/sites/430682001001")
	var one struct{ Properties map[string]any }
	json.Unmarshal(b, &one)
	if resp.StatusCode != 200 || one.Properties["name"] != "长城社区新时代文明实践站" || one.Properties["parent_code"] != "430682001" {
		t.Errorf("GET site 430682001001: %d %s", resp.StatusCode, b)
	}
	if resp, _ := get(t, m.URL()+"/api/v1/sites/1"); resp.StatusCode != 404 || resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("unknown site: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

func TestServeSitePage(t *testing.T) {
	m := startServe(t, tempData(t), "--demo")
	defer m.Close()
	resp, b := get(t, m.URL()+"/s/430682001001")
	page := string(b)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("site page: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{"长城社区新时代文明实践站", "新时代文明实践站", "临湘市新时代文明实践中心", "长安街道新时代文明实践所",
		"湖南省岳阳市临湘市长安街道长城社区", "示例位置，待实地采集", "正在进行的活动", "即将开展的活动", "在地图上查看", "我要点单"} {
		if !strings.Contains(page, want) {
			t.Errorf("site page lacks %q", want)
		}
	}
	if !strings.Contains(page, `href="/?site=430682001001#15/`) {
		t.Error("site page lacks a link to the map centred on the site")
	}
	// The chain reads 中心 → 所 → 站, in that order.
	i, j := strings.Index(page, "临湘市新时代文明实践中心"), strings.Index(page, "长安街道新时代文明实践所")
	if i < 0 || j < i {
		t.Error("parent chain is not center → station → post")
	}
	resp, b = get(t, m.URL()+"/s/4306820010019")
	if resp.StatusCode != 404 || !strings.Contains(string(b), "未找到") || strings.Contains(string(b), "goroutine") {
		t.Errorf("unknown code: %d %.200s", resp.StatusCode, b)
	}
	// A station page lists its posts.
	_, b = get(t, m.URL()+"/s/430682114")
	if !strings.Contains(string(b), "下辖实践阵地") {
		t.Error("station page lacks its posts")
	}
}

func TestServeNeedForm(t *testing.T) {
	m := startServe(t, tempData(t))
	defer m.Close()
	_, asAdmin := userToken(t, m, "admin", civmap.RoleAdmin, "")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.PostForm(m.URL()+"/s/430682114001/needs", map[string][]string{"category": {"卫生健康"}, "description": {"老人需要测血压"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/n/") || !strings.HasSuffix(resp.Header.Get("Location"), "?new=1") {
		t.Fatalf("need form: %d %s; want a redirect to the receipt page", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, b := get(t, m.URL()+resp.Header.Get("Location")); resp.StatusCode != 200 || !strings.Contains(string(b), "审核中") ||
		!strings.Contains(string(b), "回执号") || strings.Contains(string(b), "老人需要测血压") {
		t.Errorf("receipt page: %d %.300s", resp.StatusCode, b)
	}
	_, b := get(t, m.URL()+"/api/v1/needs?site=430682114001", asAdmin...)
	if c := decodeFC(t, b); len(c.Features) != 1 || c.Features[0].Properties["description"] != "老人需要测血压" {
		t.Errorf("stored needs: %s", b)
	}
	if _, b := get(t, m.URL()+"/api/v1/needs?site=430682114001"); strings.Contains(string(b), "老人需要测血压") {
		t.Errorf("the public sees a resident's description: %s", b)
	}
	resp, err = client.PostForm(m.URL()+"/s/430682114001/needs", map[string][]string{"category": {"不存在"}, "description": {"x"}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(body), "请选择列表中的需求类别") {
		t.Errorf("bad form: %d", resp.StatusCode)
	}
	_, b = get(t, m.URL()+"/api/v1/needs?site=430682114001")
	if c := decodeFC(t, b); len(c.Features) != 1 {
		t.Errorf("a rejected form stored a need: %d needs", len(c.Features))
	}
}

func fmtURL(base, format string, args ...any) string { return base + fmt.Sprintf(format, args...) }
