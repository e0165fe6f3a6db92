// Package web holds civmap's pages and their assets: the public map (MapLibre GL JS, installed
// from npm and copied into static/vendor by `make web`), the site page a resident reaches by
// scanning a poster, and the error pages. Everything is embedded in the binary; nothing is
// fetched from another host at run time.
package web

import (
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"time"

	"civmap"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed all:static
var staticFS embed.FS

// Static is the tree served under /static/ (map.js, style.css, vendor/maplibre-gl.js …).
var Static = mustSub(staticFS, "static")

// China is the time zone pages show times in: China Standard Time, UTC+8 all year (no DST
// since 1991), so no tz database is needed.
var China = time.FixedZone("CST", 8*3600)

var funcs = template.FuncMap{
	// clock shows the year only when it is not this year's.
	"clock": func(t time.Time) string {
		if t.In(China).Year() != time.Now().In(China).Year() {
			return t.In(China).Format("2006年01月02日 15:04")
		}
		return t.In(China).Format("01月02日 15:04")
	},
	"hm": func(t time.Time) string { return t.In(China).Format("15:04") },
	// pair passes two values to a template: {{template "x" (pair $.A .)}} → .A, .B.
	"pair": func(a, b any) struct{ A, B any } { return struct{ A, B any }{a, b} },
	"list": func(xs ...int) []int { return xs },
	// km shows a distance in metres as "850 米" or "2.3 公里".
	"km": func(m float64) string {
		if m < 1000 {
			return fmt.Sprintf("%.0f 米", m)
		}
		return fmt.Sprintf("%.1f 公里", m/1000)
	},
	// assignment names a volunteer's part in an order in Chinese.
	"assignment": func(s civmap.AssignmentState) string {
		switch s {
		case civmap.AssignAccepted:
			return "已接单"
		case civmap.AssignStarted:
			return "服务中"
		case civmap.AssignDone:
			return "已完成"
		case civmap.AssignDeclined:
			return "已退单"
		}
		return string(s)
	},
}

// Templates holds the parsed page templates: "map.html", "site.html", "notfound.html",
// "notice.html", "login.html", "me.html", "users.html", "code.html", and the "account" bar.
var Templates = template.Must(template.New("").Funcs(funcs).ParseFS(templateFS, "templates/*.html"))

// HasMapLibre reports whether the MapLibre GL JS bundle was copied into static/vendor
// (`make web`); without it the map page explains how to install it.
func HasMapLibre() bool {
	_, err := fs.Stat(Static, "vendor/maplibre-gl.js")
	return err == nil
}

func mustSub(f fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic(err) // dir is a constant naming an embedded directory
	}
	return sub
}
