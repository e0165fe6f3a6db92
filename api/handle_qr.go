package api

import (
	"bytes"
	"net/http"
	"strconv"

	"civmap"
	"civmap/qr"

	"github.com/gorilla/mux"
)

// DefaultQRSize is the PNG side in pixels when ?size= is absent.
const DefaultQRSize = 512

// siteURL is the absolute URL of a site's page, what its QR code encodes: qr.SiteURL, short
// ASCII with anything else percent-encoded.
func (s *Server) siteURL(r *http.Request, code string) string {
	return qr.SiteURL(s.baseURL(r), code)
}

// qrFor encodes the page URL of the site named in the path at the level of ?ec= (default Q).
func (s *Server) qrFor(r *http.Request) (*qr.Code, error) {
	code := mux.Vars(r)["code"]
	if _, err := s.cfg.Store.Site(r.Context(), code); err != nil {
		return nil, err
	}
	level := qr.Q
	if ec := r.URL.Query().Get("ec"); ec != "" {
		var err error
		if level, err = qr.ParseLevel(ec); err != nil {
			return nil, err
		}
	}
	payload := s.siteURL(r, code)
	key := level.String() + " " + payload
	if c, ok := s.qrCodes.Get(key); ok {
		return c, nil
	}
	c, err := qr.Encode(payload, level)
	if err != nil {
		return nil, err
	}
	s.qrCodes.Add(key, c)
	return c, nil
}

// handleQRPNG serves GET /qr/{code}.png?size=N&ec=L|M|Q|H: a PNG at most N px wide (default
// 512) with a whole number of pixels per module (qr.Code.ModulePx; the image is exactly
// modules·px wide) and the 4-module quiet zone; 400 problem naming field "size" and the minimum
// (qr.MinModulePx pixels per module) when N is too small for the code or over qr.MaxImagePx.
func (s *Server) handleQRPNG(w http.ResponseWriter, r *http.Request) {
	allowCORS(w)
	c, err := s.qrFor(r)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	size := DefaultQRSize
	if v := r.URL.Query().Get("size"); v != "" {
		if size, err = strconv.Atoi(v); err != nil {
			s.problem(w, r, civmap.FieldErrorf("size", "size must be an integer number of pixels"))
			return
		}
	}
	px, err := c.ModulePx(size)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	var buf bytes.Buffer
	if err := c.WritePNG(&buf, px); err != nil {
		s.problem(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.Write(buf.Bytes())
}

// handleQRSVG serves GET /qr/{code}.svg?ec=…: the code as SVG rectangles, one user unit per module.
func (s *Server) handleQRSVG(w http.ResponseWriter, r *http.Request) {
	allowCORS(w)
	c, err := s.qrFor(r)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	var buf bytes.Buffer
	if err := c.WriteSVG(&buf, ""); err != nil {
		s.problem(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write(buf.Bytes())
}
