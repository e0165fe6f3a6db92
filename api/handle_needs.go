package api

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"civmap"
	"civmap/auth"
	"civmap/dispatch"
	"civmap/store"

	"github.com/gorilla/mux"
)

type needRequest struct {
	Category    civmap.NeedCategory `json:"category"`
	Description string              `json:"description"`
	Place       *placeJSON          `json:"place"`
	// Phone is an optional contact number (11-digit mainland mobile): seen only by staff in
	// scope, erased with the description a retention period after the need closes.
	Phone string `json:"phone,omitempty"`
}

// receiptJSON is the resident's receipt in the answer to a submission: the code in groups and
// the page that shows the need's progress and takes a cancellation or a rating.
type receiptJSON struct {
	Code string `json:"code"`
	URL  string `json:"url"`
}

// createdNeed is the answer to POST /api/v1/needs: the need as a GeoJSON Feature with the
// receipt as a foreign member.
type createdNeed struct {
	feature
	Receipt receiptJSON `json:"receipt"`
}

// handleCreateNeed serves POST /api/v1/needs (群众点单), open to anonymous residents: 201 with
// the stored need, status submitted, as a GeoJSON Feature with the resident's receipt
// ("receipt": {"code", "url"}), after the write is durable; 400 problem naming the field.
// Anonymous submissions are limited per client address and per site (429 with Retry-After); the
// same submission from the same client within civmap.NeedDedupeWindow is stored once and
// answered with the first one's answer (receipt included).
func (s *Server) handleCreateNeed(w http.ResponseWriter, r *http.Request) {
	allowCORS(w)
	noStore(w)
	var req needRequest
	if err := decodeJSON(w, r, &req); err != nil {
		s.problem(w, r, err)
		return
	}
	n, receipt, err := s.createNeed(r, req)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/needs/"+strconv.FormatInt(n.ID, 10))
	writeGeoJSON(w, http.StatusCreated, createdNeed{feature: needFeature(n),
		Receipt: receiptJSON{Code: dispatch.FormatReceipt(receipt), URL: s.receiptURL(receipt)}})
}

// receiptURL is the absolute URL of a receipt's page.
func (s *Server) receiptURL(code string) string { return s.cfg.PublicURL + "/n/" + code }

// createNeed resolves, limits, de-duplicates and stores a submitted need and returns it with its
// receipt code; a repeat returns the need first stored and the same receipt.
func (s *Server) createNeed(r *http.Request, req needRequest) (civmap.Need, string, error) {
	n, receipt, err := s.storeNeed(r, req)
	if err == nil {
		s.kick()
	}
	return n, receipt, err
}

func (s *Server) storeNeed(r *http.Request, req needRequest) (civmap.Need, string, error) {
	if err := auth.Authorize(who(r).user, auth.SubmitNeed, auth.Target{}); err != nil {
		return civmap.Need{}, "", err
	}
	n := civmap.Need{Category: req.Category, Description: req.Description, Status: civmap.NeedSubmitted,
		Phone: strings.TrimSpace(req.Phone)}
	probe := n // bad input is refused before it costs the client a token
	probe.Location = civmap.Location{Source: civmap.CoordSynthetic, Precision: civmap.PrecisionCounty}
	if err := probe.Validate(); err != nil {
		return n, "", err
	}
	var err error
	if n.Place, n.SiteCode, n.Location, err = s.resolvePlace(r.Context(), req.Place); err != nil {
		return n, "", err
	}
	site, err := s.cfg.Store.Site(r.Context(), n.SiteCode)
	if err != nil {
		return n, "", err
	}
	id := who(r)
	if id.user == nil {
		if err := s.limits.allow(id.addr, n.SiteCode); err != nil {
			return n, "", err
		}
	}
	n.DedupeKey = dedupeKey(civmap.ActorFrom(r.Context()), req)
	secret, err := s.secret(r.Context(), dispatch.ReceiptSecret)
	if err != nil {
		return n, "", err
	}
	n.CreatedAt = s.cfg.Now().UTC().Truncate(time.Microsecond)
	receipt := dispatch.NewReceipt(secret, n.DedupeKey, n.CreatedAt)
	n.ReceiptHash = dispatch.ReceiptHash(receipt)
	n, change, err := s.cfg.Store.CreateNeed(r.Context(), n)
	if err != nil {
		return n, "", err
	}
	if change == store.Unchanged { // the first submission's need: its receipt
		receipt = dispatch.NewReceipt(secret, n.DedupeKey, n.CreatedAt)
	}
	if change == store.Inserted {
		// Events are public: they carry the site's point, never the resident's.
		s.publish("need.created", n.ID, n.SiteCode, site.Location.Point)
	}
	return n, receipt, nil
}

// needView decides how the request's user sees needs: in full (description, own point, hidden
// ones with their moderation) for staff whose scope holds the need's site, otherwise as the
// public does (publicNeedFeature). It memoises chains and sites per request.
type needView struct {
	s     *Server
	r     *http.Request
	full  map[string]bool
	sites func(code string) (civmap.Site, error)
}

func (s *Server) needView(r *http.Request) *needView {
	return &needView{s: s, r: r, full: map[string]bool{}, sites: s.siteLookup(r)}
}

// inFull reports whether the user sees needs of site code in full.
func (v *needView) inFull(code string) (bool, error) {
	if who(v.r).user == nil {
		return false, nil
	}
	if ok, seen := v.full[code]; seen {
		return ok, nil
	}
	err := v.s.authorize(v.r, auth.ReadPersonal, code)
	if err != nil && civmap.ErrorCode(err) != civmap.EFORBIDDEN && civmap.ErrorCode(err) != civmap.EUNAUTHORIZED {
		return false, err
	}
	v.full[code] = err == nil
	return err == nil, nil
}

// handleGetNeed serves GET /api/v1/needs/{id}: in full for staff in scope (audited as a read of
// personal data), as the public sees it otherwise; a hidden need is 404 for those who may not
// see it in full.
func (s *Server) handleGetNeed(w http.ResponseWriter, r *http.Request) {
	allowCORS(w)
	id, err := strconv.ParseInt(mux.Vars(r)["id"], 10, 64)
	if err != nil {
		s.problem(w, r, civmap.FieldErrorf("id", "id must be an integer"))
		return
	}
	n, err := s.cfg.Store.Need(r.Context(), id)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	v := s.needView(r)
	full, err := v.inFull(n.SiteCode)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	if full {
		noStore(w)
		if err := s.auditRead(r, civmap.KindNeed, strconv.FormatInt(n.ID, 10), nil); err != nil {
			s.problem(w, r, err)
			return
		}
		writeGeoJSON(w, http.StatusOK, needFeature(n))
		return
	}
	if n.Moderation.Hidden {
		s.problem(w, r, civmap.Errorf(civmap.ENOTFOUND, "没有编号为 %d 的需求", id))
		return
	}
	site, err := v.sites(n.SiteCode)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	writeGeoJSON(w, http.StatusOK, publicNeedFeature(n, site))
}

// siteLookup returns a memoising site getter for one request.
func (s *Server) siteLookup(r *http.Request) func(code string) (civmap.Site, error) {
	seen := map[string]civmap.Site{}
	return func(code string) (civmap.Site, error) {
		if x, ok := seen[code]; ok {
			return x, nil
		}
		x, err := s.cfg.Store.Site(r.Context(), code)
		if err != nil {
			return x, err
		}
		seen[code] = x
		return x, nil
	}
}

// handleListNeeds serves GET /api/v1/needs?site=&status=&bbox=&limit= (newest first). The public
// sees each need at its site's point without the resident's description (publicNeedFeature), and
// bbox filters those points; staff see the needs of sites in their scope in full (hidden ones
// too, with their moderation), bbox then filtering the needs' own points, and the response is
// audited as a read of personal data.
func (s *Server) handleListNeeds(w http.ResponseWriter, r *http.Request) {
	allowCORS(w)
	q := r.URL.Query()
	f := store.NeedFilter{SiteCode: q.Get("site"), Status: civmap.NeedStatus(q.Get("status"))}
	if f.Status != "" && !slices.Contains(civmap.NeedStatuses, f.Status) {
		s.problem(w, r, civmap.FieldErrorf("status", "unknown status %q", f.Status))
		return
	}
	bound, err := parseBBox(r)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	limit, err := parseLimit(r, 1000, 10000)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	u := who(r).user
	f.IncludeHidden = u != nil && u.Role.Staff()
	if bound == nil && !f.IncludeHidden {
		f.Limit = limit
	}
	ns, err := s.cfg.Store.ListNeeds(r.Context(), f)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	fc := newCollection()
	v := s.needView(r)
	var read []int64
	for _, n := range ns {
		if len(fc.Features) == limit {
			break
		}
		full, err := v.inFull(n.SiteCode)
		if err != nil {
			s.problem(w, r, err)
			return
		}
		if full {
			if bound == nil || bound.Contains(n.Location.Point) {
				fc.Features = append(fc.Features, needFeature(n))
				read = append(read, n.ID)
			}
			continue
		}
		if n.Moderation.Hidden {
			continue
		}
		site, err := v.sites(n.SiteCode)
		if civmap.ErrorCode(err) == civmap.ENOTFOUND {
			continue // no public position to show it at
		} else if err != nil {
			s.problem(w, r, err)
			return
		}
		if bound == nil || bound.Contains(site.Location.Point) {
			fc.Features = append(fc.Features, publicNeedFeature(n, site))
		}
	}
	if len(read) > 0 {
		noStore(w)
		if err := s.auditRead(r, civmap.KindNeed, "", read); err != nil {
			s.problem(w, r, err)
			return
		}
	}
	writeGeoJSON(w, http.StatusOK, fc)
}
