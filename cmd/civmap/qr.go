package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"civmap"
	"civmap/api"
	"civmap/qr"
	"civmap/qr/poster"
	"civmap/store"
	"civmap/store/embedded"
)

const qrUsage = `usage: civmap qr posters [--town CODE] [--level post|station|center] [--logo FILE] [--font PATH] --out FILE.pdf

Prints A4 posters, one page per site, with the site's QR code (vector, 120 mm with its quiet zone).
Needs a CJK TrueType font: Debian's fonts-droid-fallback (default path), or --font / CIVMAP_FONT.
`

// runQR is `civmap qr SUBCOMMAND`; the only subcommand is posters.
func runQR(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "posters" {
		fmt.Fprint(stderr, qrUsage)
		if len(args) == 0 {
			return errors.New("qr: no subcommand given (want posters)")
		}
		return fmt.Errorf("qr: unknown subcommand %q (want posters)", args[0])
	}
	fs := flag.NewFlagSet("qr posters", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, qrUsage); fs.PrintDefaults() }
	town := fs.String("town", "", "only this town: its station (所) and posts (站), by 9-digit town code")
	level := fs.String("level", "", "only this level: center, station or post")
	out := fs.String("out", "", "PDF file to write (required)")
	font := fs.String("font", os.Getenv("CIVMAP_FONT"), "CJK TrueType font file (.ttf/.ttc) or directory to search (env CIVMAP_FONT; default: Debian's "+poster.FontPackage+" and other packaged CJK fonts)")
	logo := fs.String("logo", "", "PNG or JPEG logo for the centre of each code (codes switch to error-correction level H; logo ≤ 20% of the code)")
	public := fs.String("public-url", os.Getenv("CIVMAP_PUBLIC_URL"), "base URL residents reach the service at, encoded in the codes (env CIVMAP_PUBLIC_URL; default "+defaultPublicURL+", the address `civmap serve` listens at by default — set the real one before printing)")
	dbURL := fs.String("database-url", databaseURL(), "PostgreSQL/PostGIS URL to read the sites from (env DATABASE_URL); empty: the embedded store at --data")
	data := fs.String("data", envOr("CIVMAP_DATA", embedded.DefaultPath), "embedded store file the sites are read from, as `civmap serve` uses it (env CIVMAP_DATA); Linxiang's network is loaded into it when missing")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("qr posters: unexpected argument %q", fs.Arg(0))
	case *out == "":
		return errors.New("qr posters: --out FILE.pdf is required")
	}
	if *public == "" {
		*public = defaultPublicURL
		fmt.Fprintf(stderr, "qr posters: warning: the codes encode %s/s/{code}; before printing, set --public-url to the address residents reach (海报二维码指向本机地址，印刷前请用 --public-url 指定群众可访问的网址)\n", defaultPublicURL)
	}
	if err := api.CheckPublicURL(*public); err != nil {
		return fmt.Errorf("qr posters: --public-url: %s", civmap.ErrorMessage(err))
	}
	filter, err := api.ParsePosterFilter(*town, *level)
	if err != nil {
		return fmt.Errorf("qr posters: --%s: %s", civmap.ErrorField(err), civmap.ErrorMessage(err))
	}
	// The font first: without one nothing is written.
	f, err := poster.LoadFont(*font)
	if err != nil {
		return fmt.Errorf("qr posters: %s", civmap.ErrorMessage(err))
	}
	opt := poster.Options{Level: qr.Q}
	if *logo != "" {
		lf, err := os.Open(*logo)
		if err != nil {
			return fmt.Errorf("qr posters: --logo: %w", err)
		}
		l, err := qr.ReadLogo(lf)
		lf.Close()
		if err != nil {
			return fmt.Errorf("qr posters: --logo %s: %s", *logo, civmap.ErrorMessage(err))
		}
		opt = poster.Options{Level: qr.H, Logo: l}
	}
	all, sel, err := postersSites(ctx, *dbURL, *data, filter)
	if err != nil {
		return err
	}
	if len(sel) == 0 {
		return errors.New("qr posters: no site matches --town and --level")
	}
	names := poster.FromSites(all, *public)
	byCode := map[string]poster.Site{}
	for _, s := range names {
		byCode[s.Code] = s
	}
	var sites []poster.Site
	for _, x := range sel {
		sites = append(sites, byCode[x.Code])
	}
	start := time.Now()
	pages, err := poster.LayoutAll(f, sites, opt)
	if err != nil {
		return fmt.Errorf("qr posters: %s", civmap.ErrorMessage(err))
	}
	if err := writeFileAtomic(*out, 0o644, func(w io.Writer) error { return poster.WritePDF(w, f, pages) }); err != nil {
		return fmt.Errorf("qr posters: %s", errorText(err))
	}
	fmt.Fprintf(stdout, "wrote %d posters to %s in %s (font %s)\n", len(pages), *out, time.Since(start).Round(time.Millisecond), f.Path)
	return nil
}

// postersSites opens the selected store (PostGIS at databaseURL, else the embedded store at
// path), loads Linxiang's network into it when missing
// (as serve does), and returns all sites and the ones filter selects.
func postersSites(ctx context.Context, databaseURL, path string, filter api.PosterFilter) (all, sel []civmap.Site, err error) {
	st, _, _, err := openNetwork(ctx, databaseURL, path)
	if err != nil {
		return nil, nil, err
	}
	defer st.Close()
	if all, err = st.ListSites(ctx, store.SiteFilter{}); err != nil {
		return nil, nil, err
	}
	sel, err = api.SelectPosterSites(ctx, st, filter)
	if err != nil {
		return nil, nil, fmt.Errorf("qr posters: --%s: %s", civmap.ErrorField(err), civmap.ErrorMessage(err))
	}
	return all, sel, nil
}
