package api

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"civmap"
	"civmap/auth"
	"civmap/store"
	"civmap/tiles"
	"civmap/web"

	"github.com/gorilla/mux"
)

// render executes a page template into a buffer first, so a template error becomes a clean 500
// rather than half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	var buf bytes.Buffer
	if err := web.Templates.ExecuteTemplate(&buf, name, data); err != nil {
		s.cfg.Logger.Error("render page", "template", name, "err", err)
		http.Error(w, "页面生成失败", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// handleMapPage serves GET /, the public map.
func (s *Server) handleMapPage(w http.ResponseWriter, r *http.Request) {
	b, center, err := s.serviceBound(r.Context())
	if err != nil {
		s.problem(w, r, err)
		return
	}
	all := []tiles.Layer{tiles.LayerBoundary, tiles.LayerClusters, tiles.LayerVenues, tiles.LayerSites,
		tiles.LayerActivities, tiles.LayerNeeds}
	s.render(w, r, http.StatusOK, "map.html", web.MapPage{
		Title: s.cfg.Title, HasMapLibre: web.HasMapLibre(),
		Config: web.MapConfig{
			Center: center, Zoom: 9.5, Bounds: [4]float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]},
			Tiles:     "/tiles/" + tiles.JoinLayers(all) + "/{z}/{x}/{y}.mvt",
			BaseLayer: s.cfg.BaseLayerURL, BaseLayerAttribution: s.cfg.BaseLayerAttribution,
			Events: "/api/v1/events",
		},
	})
}

// mapURL is the map centred on a site with its popup open.
func mapURL(x civmap.Site) string {
	return fmt.Sprintf("/?site=%s#15/%.6f/%.6f", url.QueryEscape(x.Code), x.Location.Point[1], x.Location.Point[0])
}

// handleSitePage serves GET /s/{code}, the page a resident reaches by scanning the site's QR
// code: readable without JavaScript; an unknown code gets a Chinese 404 page.
func (s *Server) handleSitePage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p := web.SitePage{Submitted: q.Get("submitted") == "1", Published: q.Get("published") == "1"}
	switch q.Get("moderated") {
	case "hide":
		p.Moderated = "已隐藏，公众不再看到该条目。"
	case "unhide":
		p.Moderated = "已恢复公开显示。"
	}
	s.sitePageWith(w, r, http.StatusOK, p, nil)
}

func (s *Server) sitePage(w http.ResponseWriter, r *http.Request, status int, submitted bool, formErr error, form ...needRequest) {
	s.sitePageWith(w, r, status, web.SitePage{Submitted: submitted}, formErr, form...)
}

// sitePageWith renders the site page from p's form state (Submitted, Published, ActivityForm,
// Moderated) and the store.
func (s *Server) sitePageWith(w http.ResponseWriter, r *http.Request, status int, p web.SitePage, formErr error, form ...needRequest) {
	ctx := r.Context()
	code := mux.Vars(r)["code"]
	x, err := s.cfg.Store.Site(ctx, code)
	if civmap.ErrorCode(err) == civmap.ENOTFOUND {
		s.render(w, r, http.StatusNotFound, "notfound.html", web.NotFoundPage{What: "未找到编码为 " + code + " 的新时代文明实践阵地。"})
		return
	} else if err != nil {
		s.problem(w, r, err)
		return
	}
	p.Site, p.LevelTitle, p.MapURL, p.Placeholder = x, x.Level.Title(), mapURL(x), x.Location.Placeholder()
	p.Notice, p.Categories, p.Now, p.Viewer = civmap.PlaceholderNotice, civmap.NeedCategories, s.cfg.Now(), s.viewer(r)
	if len(form) > 0 {
		p.FormCategory, p.FormDescription = form[0].Category, strings.ToValidUTF8(form[0].Description, "")
		p.FormPhone = strings.ToValidUTF8(form[0].Phone, "")
	}
	if formErr != nil {
		var req needRequest
		if len(form) > 0 {
			req = form[0]
		}
		p.FormError, p.FormField = formMessage(formErr, req), civmap.ErrorField(formErr)
	}
	p.Chain = s.siteChain(ctx, x) // a dangling parent is shown as the chain so far
	p.Nav = siteNav(x, p.Chain)
	p.PosterURL = "/qr/" + url.PathEscape(x.Code) + "/poster.svg"
	if p.Children, err = s.cfg.Store.ListSites(ctx, store.SiteFilter{ParentCode: x.Code}); err != nil {
		s.problem(w, r, err)
		return
	}
	if p.Venues, err = s.cfg.Store.ListVenues(ctx, store.VenueFilter{SiteCode: x.Code}); err != nil {
		s.problem(w, r, err)
		return
	}
	p.Staff = who(r).user != nil && s.authorize(r, auth.WriteActivity, x.Code) == nil
	acts, err := s.cfg.Store.ListActivities(ctx, store.ActivityFilter{SiteCode: x.Code, EndAfter: p.Now, IncludeHidden: p.Staff})
	if err != nil {
		s.problem(w, r, err)
		return
	}
	if p.Staff {
		if err := s.staffSections(r, &p); err != nil {
			s.problem(w, r, err)
			return
		}
	}
	for i := range acts {
		switch {
		case acts[i].Moderation.Hidden:
			p.Hidden = append(p.Hidden, acts[i])
		case acts[i].Current(p.Now):
			p.Current = append(p.Current, acts[i])
		case acts[i].Upcoming(p.Now) && len(p.Upcoming) < 20:
			p.Upcoming = append(p.Upcoming, acts[i])
		}
	}
	w.Header().Set("Cache-Control", "no-cache")
	if p.Viewer != nil {
		noStore(w) // a signed-in view: never cached, even privately
	}
	s.render(w, r, status, "site.html", p)
}

// maxStaffNeeds is how many of a site's needs its page lists for staff (newest first).
const maxStaffNeeds = 50

// staffSections fills what staff in scope see on a site page: the publishing form's choices
// and the site's needs in full (a read of personal data, audited).
func (s *Server) staffSections(r *http.Request, p *web.SitePage) error {
	p.ContentAreas, p.Platforms = civmap.ContentAreas, civmap.Platforms
	needs, err := s.cfg.Store.ListNeeds(r.Context(), store.NeedFilter{SiteCode: p.Site.Code, IncludeHidden: true, Limit: maxStaffNeeds})
	if err != nil {
		return err
	}
	p.Needs = needs
	if len(needs) == 0 {
		return nil
	}
	ids := make([]int64, len(needs))
	for i, n := range needs {
		ids[i] = n.ID
	}
	return s.auditRead(r, civmap.KindNeed, "", ids)
}

// handleSiteNeedForm serves POST /s/{code}/needs, the site page's "我要点单" form
// (application/x-www-form-urlencoded, works without JavaScript): 303 back to the page on success,
// the page again with the reason (400) on bad input.
func (s *Server) handleSiteNeedForm(w http.ResponseWriter, r *http.Request) {
	code := mux.Vars(r)["code"]
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		s.sitePage(w, r, http.StatusBadRequest, false, &civmap.Error{Code: civmap.ETOOLARGE, Message: "表单内容过长或格式错误"})
		return
	}
	req := needRequest{
		Category:    civmap.NeedCategory(strings.TrimSpace(r.PostForm.Get("category"))),
		Description: strings.TrimSpace(r.PostForm.Get("description")),
		Place:       &placeJSON{Code: code},
		Phone:       strings.TrimSpace(r.PostForm.Get("phone")),
	}
	_, receipt, err := s.createNeed(r, req)
	if err != nil {
		if civmap.ErrorField(err) == "place.code" {
			s.render(w, r, http.StatusNotFound, "notfound.html", web.NotFoundPage{What: "未找到编码为 " + code + " 的新时代文明实践阵地。"})
			return
		}
		if d := civmap.ErrorRetry(err); d > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(d.Seconds())))
		}
		status := statusFor(err)
		if status == http.StatusInternalServerError {
			s.logInternal(r, err)
		}
		s.sitePage(w, r, status, false, err, req)
		return
	}
	http.Redirect(w, r, "/n/"+receipt+"?new=1", http.StatusSeeOther)
}

// handleNotFound: problem+json under /api/ and /tiles/, a Chinese page elsewhere.
func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/api/") || strings.HasPrefix(r.URL.Path, "/tiles/") || strings.HasPrefix(r.URL.Path, "/qr/") {
		s.problem(w, r, &problemError{status: http.StatusNotFound, code: "not_found", msg: "no such resource: " + r.URL.Path})
		return
	}
	s.render(w, r, http.StatusNotFound, "notfound.html", web.NotFoundPage{What: "您访问的页面不存在。"})
}

func staticHandler() http.Handler {
	fs := http.StripPrefix("/static/", http.FileServer(http.FS(web.Static)))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		fs.ServeHTTP(w, r)
	})
}

// formMessage says in Chinese what is wrong with the need form req.
func formMessage(err error, req needRequest) string {
	switch civmap.ErrorField(err) {
	case "category":
		return "请选择列表中的需求类别。"
	case "phone":
		return "联系电话应为 11 位手机号码，也可以不填。"
	case "description":
		switch d := strings.TrimSpace(req.Description); {
		case d == "":
			return "请填写需求描述。"
		case utf8.RuneCountInString(req.Description) > civmap.MaxDescriptionChars:
			return fmt.Sprintf("需求描述不能超过 %d 字。", civmap.MaxDescriptionChars)
		}
		return "需求描述含有无法识别的字符，请删除后重试。"
	}
	if civmap.ErrorCode(err) == civmap.EINTERNAL {
		return "提交失败，请稍后再试。"
	}
	return "提交失败：" + civmap.ErrorMessage(err)
}
