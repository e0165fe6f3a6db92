package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"civmap/web"

	"github.com/chromedp/chromedp"
)

// chromium finds Debian's chromium (or CIVMAP_CHROMIUM).
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CIVMAP_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no chromium found: install Debian's chromium (.ci/run does) or set CIVMAP_CHROMIUM")
	return ""
}

// TestBrowserMapToSitePage loads the map in a real headless Chromium, waits until MapLibre has
// rendered the site features, queries them from the map, clicks one on screen, follows the
// popup's link and lands on that site's page.
func TestBrowserMapToSitePage(t *testing.T) {
	if !web.HasMapLibre() {
		t.Fatal("MapLibre GL JS is not in web/static/vendor: run `make web` (make test does)")
	}
	m := startServe(t, tempData(t), "--demo")
	defer m.Close()

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox,
		chromedp.WindowSize(1000, 800),
		chromedp.Flag("enable-unsafe-swiftshader", true), // WebGL without a GPU
		chromedp.Flag("use-angle", "swiftshader"),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 90*time.Second)
	defer cancel()

	// Centre on the county seat at zoom 11, where every station and the center are drawn.
	err := chromedp.Do(ctx,
		chromedp.Navigate(m.URL()+"/#11/29.4813/113.4403"),
		chromedp.Poll[chromedp.Void](`window.civmap && civmap.map.loaded() && civmap.map.areTilesLoaded() &&
			civmap.map.queryRenderedFeatures({layers: ['sites']}).length > 0`,
			chromedp.WithPollingInterval(200*time.Millisecond), chromedp.WithPollingTimeout(60*time.Second)),
	)
	if err != nil {
		t.Fatalf("map never rendered site features: %v", err)
	}

	// Query the rendered sites and pick one well inside the viewport, away from the controls.
	var feats []struct {
		Code  string  `json:"code"`
		Name  string  `json:"name"`
		Level string  `json:"level"`
		X     float64 `json:"x"`
		Y     float64 `json:"y"`
	}
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
		const map = civmap.map, c = map.getCanvas().getBoundingClientRect();
		return JSON.stringify(map.queryRenderedFeatures({layers: ['sites']}).map(f => {
			const p = map.project(f.geometry.coordinates);
			return {code: f.properties.code, name: f.properties.name, level: f.properties.level, x: p.x + c.left, y: p.y + c.top};
		}));
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(raw), &feats); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d site features rendered", len(feats))
	var pick int = -1
	for i, f := range feats {
		if f.Level == "station" && f.X > 150 && f.X < 750 && f.Y > 150 && f.Y < 650 {
			pick = i
			break
		}
	}
	if pick < 0 {
		t.Fatalf("no station rendered well inside the viewport: %v", feats)
	}
	target := feats[pick]

	link := chromedp.CSS(`.maplibregl-popup a.site-link`)
	err = chromedp.Do(ctx, chromedp.MouseClickXY(target.X, target.Y), chromedp.WaitVisible(link))
	var attr chromedp.AttributeResult
	if err == nil {
		attr, err = chromedp.Run(ctx, chromedp.AttributeValue(link, "href"))
	}
	href := attr.Value
	if err != nil {
		t.Fatalf("clicking %s at (%.0f, %.0f) opened no popup with a link: %v", target.Name, target.X, target.Y, err)
	}
	if !strings.HasSuffix(href, "/s/"+target.Code) {
		// The click may land on an overlapping feature; the popup must still be a site's.
		t.Logf("popup links to %s (clicked %s)", href, target.Code)
	}
	heading := chromedp.CSS(`header.site-head h1`)
	err = chromedp.Do(ctx, chromedp.Click(link, chromedp.NodeVisible), chromedp.WaitReady(heading))
	var loc, h1 string
	if err == nil {
		loc, err = chromedp.Run(ctx, chromedp.Location())
	}
	if err == nil {
		h1, err = chromedp.Run(ctx, chromedp.Text(heading, chromedp.NodeVisible))
	}
	if err != nil {
		t.Fatalf("following the popup link: %v", err)
	}
	code := loc[strings.LastIndex(loc, "/")+1:]
	if !strings.Contains(loc, "/s/") || !strings.HasSuffix(href, "/s/"+code) {
		t.Fatalf("landed on %s after following %s", loc, href)
	}
	_, b := get(t, m.URL()+"/api/v1/sites/"+code)
	var site struct{ Properties struct{ Name string } }
	json.Unmarshal(b, &site)
	if h1 != site.Properties.Name || h1 == "" {
		t.Errorf("site page title %q, want %q", h1, site.Properties.Name)
	}
	if code != target.Code {
		t.Logf("clicked %s, reached %s (overlapping features)", target.Code, code)
	}
	if nodes, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS(`.notice`))); err != nil || len(nodes) == 0 {
		t.Errorf("site page shows no placeholder notice: %v", err)
	}
}
