package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"civmap/importer"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// runImport is `civmap import FILE`: validate a file of sites and venues, volunteers or teams
// (--kind, or detected from the header) and write it to the store in one transaction, printing
// a report.
func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbURL := fs.String("database-url", databaseURL(), "PostgreSQL URL: import into the PostGIS store (env DATABASE_URL)")
	dataPath := fs.String("data", envOr("CIVMAP_DATA", "civmap-data/civmap.db"), "embedded store file (env CIVMAP_DATA)")
	kind := fs.String("kind", "auto", "what the file holds: sites | volunteers | teams | auto (from the header: 姓名/手机号… volunteers, 队伍名称/队长登录名 teams, else sites)")
	var opt importer.Options
	fs.StringVar(&opt.Format, "format", "", "csv | xlsx | geojson (default: from the file name)")
	fs.StringVar(&opt.Encoding, "encoding", "", "CSV encoding: utf-8 | gbk | gb18030 (default: detected)")
	fs.StringVar(&opt.CRS, "crs", "wgs84", "datum of coordinates in rows without a crs column: wgs84 | gcj02 | bd09 | cgcs2000")
	fs.BoolVar(&opt.Partial, "partial", false, "store the good rows even when others are rejected")
	fs.BoolVar(&opt.DryRun, "dry-run", false, "validate only; store nothing")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: civmap import [--kind sites|volunteers|teams] [flags] FILE  (.csv, .xlsx or .geojson; volunteers and teams: .csv or .xlsx)")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("import: want one FILE")
	}
	path := fs.Arg(0)
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	geocoder, err := importer.NationalGeocoder()
	if err != nil {
		return err
	}
	opt.Geocoder, opt.Divisions = geocoder, geocoder
	if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		bar := progressbar.NewOptions(-1, progressbar.OptionSetWriter(stderr), progressbar.OptionSetDescription("检查 "+filepath.Base(path)),
			progressbar.OptionClearOnFinish())
		opt.Progress = func(done, total int) {
			bar.ChangeMax(total)
			bar.Set(done)
			if done == total {
				bar.Finish()
			}
		}
	}
	st, _, _, err := openNetwork(ctx, *dbURL, *dataPath)
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := importer.ImportKind(ctx, st, *kind, filepath.Base(path), data, opt)
	rep.Write(stdout)
	return err
}
