package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"civmap/api"
	"civmap/geo/nav"
	"civmap/qr"
	"civmap/qr/qrtest"
	"civmap/store"
	"civmap/store/embedded"
)

// newServer serves Linxiang's 176 sites (placeholder positions) from an embedded store on a
// loopback httptest server.
func newServer(t *testing.T, fontPath string) *httptest.Server {
	t.Helper()
	ctx := context.Background()
	st, err := embedded.Open(ctx, filepath.Join(t.TempDir(), "civmap.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sites, err := qrtest.LinxiangSites()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Put(ctx, store.Batch{Sites: sites}); err != nil {
		t.Fatal(err)
	}
	srv, err := api.New(api.Config{Store: st, PublicURL: "https://wmsj.linxiang.example.cn", PosterFont: fontPath})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts
}

func get(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, b
}

func problemOf(t *testing.T, b []byte) api.Problem {
	t.Helper()
	var p api.Problem
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatalf("not problem+json: %s", b)
	}
	return p
}

func TestPostersPDFEndpoint(t *testing.T) {
	ts := newServer(t, os.Getenv("CIVMAP_FONT"))
	res, b := get(t, ts.URL+"/qr/posters.pdf?town=430682001")
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Fatalf("GET posters.pdf?town=: %d %s %.100q", res.StatusCode, res.Header.Get("Content-Type"), b)
	}
	if _, err := exec.LookPath("pdftotext"); err == nil {
		f := filepath.Join(t.TempDir(), "town.pdf")
		os.WriteFile(f, b, 0o644)
		out, err := exec.Command("pdftotext", "-enc", "UTF-8", f, "-").Output()
		if err != nil {
			t.Fatal(err)
		}
		pages := strings.Split(strings.TrimSuffix(string(out), "\f"), "\f")
		sites, _ := qrtest.LinxiangSites()
		want := 0
		for _, s := range sites {
			if s.Code == "430682001" || s.ParentCode == "430682001" {
				if !strings.Contains(pages[want], s.Name) {
					t.Errorf("page %d has no %s", want+1, s.Name)
				}
				want++
			}
		}
		if len(pages) != want {
			t.Errorf("%d pages, want %d (the station and its posts)", len(pages), want)
		}
	}
	for _, tc := range []struct{ query, field string }{
		{"level=village", "level"}, {"level=base", "level"}, {"town=123", "town"}, {"town=430682999", "town"},
		{"town=430682001&level=center", "level"},
	} {
		res, b := get(t, ts.URL+"/qr/posters.pdf?"+tc.query)
		if p := problemOf(t, b); res.StatusCode != 400 || p.Field != tc.field {
			t.Errorf("?%s: %d %+v, want 400 naming %s", tc.query, res.StatusCode, p, tc.field)
		}
	}
	res, b = get(t, ts.URL+"/qr/430682001/poster.svg")
	if res.StatusCode != 200 || !strings.Contains(string(b), "长安街道新时代文明实践所") || !strings.HasPrefix(res.Header.Get("Content-Type"), "image/svg+xml") {
		t.Errorf("poster.svg: %d %.200s", res.StatusCode, b)
	}
	if res, _ := get(t, ts.URL+"/qr/999/poster.svg"); res.StatusCode != 404 {
		t.Errorf("unknown site's poster: %d", res.StatusCode)
	}
}

// Without a CJK font the endpoint answers 503 naming the Debian package, never a PDF.
func TestPostersWithoutFont(t *testing.T) {
	ts := newServer(t, t.TempDir())
	res, b := get(t, ts.URL+"/qr/posters.pdf?level=center")
	if p := problemOf(t, b); res.StatusCode != 503 || !strings.Contains(p.Detail, "fonts-droid-fallback") {
		t.Fatalf("%d %+v", res.StatusCode, p)
	}
}

// The PNG size rule over HTTP: whole pixels per module, never larger than asked, 400 naming
// "size" and the minimum when too small; the image decodes to the site's URL.
func TestQRPNGSizeRule(t *testing.T) {
	ts := newServer(t, "")
	u := "https://wmsj.linxiang.example.cn/s/430682103001"
	c, err := qr.Encode(u, qr.Q)
	if err != nil {
		t.Fatal(err)
	}
	res, b := get(t, ts.URL+"/qr/430682103001.png?size=10")
	if p := problemOf(t, b); res.StatusCode != 400 || p.Field != "size" || !strings.Contains(p.Detail, "minimum size is "+itoa(c.MinImagePx())) {
		t.Fatalf("size=10: %d %+v", res.StatusCode, p)
	}
	for _, size := range []int{c.MinImagePx(), 100, 333, 512} {
		res, b := get(t, ts.URL+"/qr/430682103001.png?size="+itoa(size))
		if res.StatusCode != 200 {
			t.Fatalf("size=%d: %d %s", size, res.StatusCode, b)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if w := img.Bounds().Dx(); w > size || w%c.Width() != 0 || w/c.Width() != size/c.Width() {
			t.Errorf("size=%d: %d px, want %d·%d", size, w, c.Width(), size/c.Width())
		}
		if d, err := qr.Decode(img); err != nil || d.Text != u {
			t.Errorf("size=%d: decoded %q, %v", size, d.Text, err)
		}
	}
	if res, b := get(t, ts.URL+"/qr/430682103001.png?size=abc"); res.StatusCode != 400 || problemOf(t, b).Field != "size" {
		t.Errorf("size=abc: %d", res.StatusCode)
	}
}

func itoa(n int) string { return fmtInt(n) }

func fmtInt(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// The site JSON and page carry navigation links; Linxiang's positions are placeholders, so they
// are name searches with the notice, not markers at made-up points.
func TestSiteNavLinks(t *testing.T) {
	ts := newServer(t, "")
	res, b := get(t, ts.URL+"/api/v1/sites/430682001")
	if res.StatusCode != 200 {
		t.Fatalf("%d %s", res.StatusCode, b)
	}
	var f struct {
		Properties struct {
			Nav       nav.Links `json:"nav"`
			PosterURL string    `json:"poster_url"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	n := f.Properties.Nav
	if n.Kind != nav.KindSearch || n.Notice != nav.NoticeSearch || n.Target != "长安街道" || len(n.Links) != 3 {
		t.Fatalf("nav %+v", n)
	}
	if !strings.Contains(n.Links[0].URL, "uri.amap.com/search") || !strings.Contains(n.Links[1].URL, "region=%E4%B8%B4%E6%B9%98%E5%B8%82") {
		t.Errorf("links %+v", n.Links)
	}
	res, b = get(t, ts.URL+"/s/430682001")
	page := string(b)
	for _, want := range []string{"到这里去", nav.NoticeSearch, "https://uri.amap.com/search?", "https://api.map.baidu.com/place/search?", "https://apis.map.qq.com/uri/v1/search?", "在高德地图中搜索", "/qr/430682001/poster.svg"} {
		if !strings.Contains(page, want) {
			t.Errorf("site page has no %q", want)
		}
	}
}
