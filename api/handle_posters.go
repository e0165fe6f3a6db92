package api

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"sync"

	"civmap"
	"civmap/qr"
	"civmap/qr/poster"
	"civmap/store"

	"github.com/gorilla/mux"
)

// MaxPosterPages bounds one GET /qr/posters.pdf: at most this many pages (a county's network
// is 176; larger networks are printed town by town, ?town=).
const MaxPosterPages = 400

// maxPosterRenders is how many poster documents render at once; further requests wait.
const maxPosterRenders = 2

// posterState is the font, loaded on the first poster request, and the render limiter.
type posterState struct {
	once sync.Once
	font *poster.Font
	err  error
	sem  chan struct{}
}

func (s *Server) posterFont() (*poster.Font, error) {
	s.posters.once.Do(func() {
		s.posters.font, s.posters.err = poster.LoadFont(s.cfg.PosterFont)
		if s.posters.err != nil {
			s.cfg.Logger.Error("posters: no usable font", "err", s.posters.err)
		}
	})
	return s.posters.font, s.posters.err
}

// acquire waits for a render slot; it returns a release func, or the context's error.
func (s *Server) acquirePosterSlot(ctx context.Context) (func(), error) {
	select {
	case s.posters.sem <- struct{}{}:
		return func() { <-s.posters.sem }, nil
	case <-ctx.Done():
		return nil, civmap.Errorf(civmap.EUNAVAILABLE, "the poster renderer is busy; try again")
	}
}

// PosterFilter selects the sites of a print run: a town (its station and its posts) and/or a
// level; zero fields do not filter.
type PosterFilter struct {
	Town  string       // a station's code (9-digit town code)
	Level civmap.Level // center, station or post
}

// ParsePosterFilter reads ?town= and ?level= (also used by `civmap qr posters`). Errors are
// EINVALID naming "town" or "level".
func ParsePosterFilter(town, level string) (PosterFilter, error) {
	f := PosterFilter{Town: town}
	if town != "" {
		if lv, err := civmap.LevelForCode(town); err != nil || lv != civmap.LevelStation {
			return f, civmap.FieldErrorf("town", "town must be a 9-digit town (station) code, not %q", town)
		}
	}
	if level != "" {
		lv, err := civmap.ParseLevel(level)
		if err != nil || lv == civmap.LevelBase {
			return f, civmap.FieldErrorf("level", "level must be center, station or post, not %q", level)
		}
		f.Level = lv
	}
	return f, nil
}

// SelectPosterSites returns the sites of st that f selects, ordered by code: EINVALID naming
// "town" for a town with no station.
func SelectPosterSites(ctx context.Context, st store.Sites, f PosterFilter) ([]civmap.Site, error) {
	all, err := st.ListSites(ctx, store.SiteFilter{Level: f.Level})
	if err != nil {
		return nil, err
	}
	if f.Town == "" {
		return all, nil
	}
	if _, err := st.Site(ctx, f.Town); civmap.ErrorCode(err) == civmap.ENOTFOUND {
		return nil, civmap.FieldErrorf("town", "no station has code %s", f.Town)
	} else if err != nil {
		return nil, err
	}
	var out []civmap.Site
	for _, x := range all {
		if x.Code == f.Town || x.ParentCode == f.Town {
			out = append(out, x)
		}
	}
	return out, nil
}

// posterSites lists all sites with their parents' names, for the pages of the selected ones.
func (s *Server) posterSites(r *http.Request, sel []civmap.Site) ([]poster.Site, error) {
	all, err := s.cfg.Store.ListSites(r.Context(), store.SiteFilter{})
	if err != nil {
		return nil, err
	}
	byCode := map[string]poster.Site{}
	for _, p := range poster.FromSites(all, s.baseURL(r)) {
		byCode[p.Code] = p
	}
	out := make([]poster.Site, 0, len(sel))
	for _, x := range sel {
		out = append(out, byCode[x.Code])
	}
	return out, nil
}

// handlePostersPDF serves GET /qr/posters.pdf?town=&level=: the A4 posters of the selected
// sites, one page each, as a PDF (qr/poster). 400 naming town or level for bad options or more
// than MaxPosterPages pages; 503 naming the Debian font package when no CJK font is installed.
func (s *Server) handlePostersPDF(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f, err := ParsePosterFilter(q.Get("town"), q.Get("level"))
	if err != nil {
		s.problem(w, r, err)
		return
	}
	sel, err := SelectPosterSites(r.Context(), s.cfg.Store, f)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	switch {
	case len(sel) == 0:
		s.problem(w, r, civmap.FieldErrorf("level", "no site matches town=%q level=%q", f.Town, f.Level))
		return
	case len(sel) > MaxPosterPages:
		s.problem(w, r, civmap.FieldErrorf("town", "%d posters is over the %d a request may print: choose a town with ?town=", len(sel), MaxPosterPages))
		return
	}
	font, err := s.posterFont()
	if err != nil {
		s.problem(w, r, err)
		return
	}
	sites, err := s.posterSites(r, sel)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	release, err := s.acquirePosterSlot(r.Context())
	if err != nil {
		s.problem(w, r, err)
		return
	}
	defer release()
	pages, err := poster.LayoutAll(font, sites, poster.Options{Level: qr.Q})
	if err != nil {
		s.problem(w, r, err)
		return
	}
	var buf bytes.Buffer
	if err := poster.WritePDF(&buf, font, pages); err != nil {
		s.problem(w, r, err)
		return
	}
	name := "posters"
	if f.Town != "" {
		name += "-" + f.Town
	}
	if f.Level != "" {
		name += "-" + string(f.Level)
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `inline; filename="`+name+`.pdf"`)
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(buf.Bytes())
}

// handlePosterSVG serves GET /qr/{code}/poster.svg: one site's A4 poster as SVG.
func (s *Server) handlePosterSVG(w http.ResponseWriter, r *http.Request) {
	x, err := s.cfg.Store.Site(r.Context(), mux.Vars(r)["code"])
	if err != nil {
		s.problem(w, r, err)
		return
	}
	font, err := s.posterFont()
	if err != nil {
		s.problem(w, r, err)
		return
	}
	sites, err := s.posterSites(r, []civmap.Site{x})
	if err != nil {
		s.problem(w, r, err)
		return
	}
	p, err := poster.Layout(font, sites[0], poster.Options{Level: qr.Q})
	if err != nil {
		s.problem(w, r, err)
		return
	}
	var buf bytes.Buffer
	if err := poster.WriteSVG(&buf, p); err != nil {
		s.problem(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write(buf.Bytes())
}
