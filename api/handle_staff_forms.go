package api

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"civmap"
	"civmap/web"

	"github.com/gorilla/mux"
)

// handleSiteActivityForm serves POST /s/{code}/activities, the site page's "发布活动" form for
// staff in scope (form: title, content_area, platform, date YYYY-MM-DD, start and end HH:MM in
// China Standard Time): 303 back to the page; the page with the reason otherwise.
func (s *Server) handleSiteActivityForm(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	if !s.requirePage(w, r) {
		return
	}
	code := mux.Vars(r)["code"]
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		s.sitePageWith(w, r, http.StatusBadRequest, web.SitePage{ActivityForm: web.ActivityForm{Error: "表单内容过长或格式错误"}}, nil)
		return
	}
	f := r.PostForm
	form := web.ActivityForm{Title: strings.TrimSpace(f.Get("title")), ContentArea: f.Get("content_area"), Platform: f.Get("platform"),
		Date: f.Get("date"), StartTime: f.Get("start_time"), EndTime: f.Get("end_time")}
	req := activityRequest{Title: form.Title, ContentArea: civmap.ContentArea(form.ContentArea), Platform: civmap.Platform(form.Platform),
		Place: &placeJSON{Code: code}}
	var err error
	if req.Start, err = formTime("start_time", form.Date, form.StartTime); err == nil {
		req.End, err = formTime("end_time", form.Date, form.EndTime)
	}
	if err == nil {
		_, err = s.createActivity(r, req)
	}
	if err != nil {
		form.Error, form.Field = activityFormMessage(err), civmap.ErrorField(err)
		s.sitePageWith(w, r, statusFor(err), web.SitePage{ActivityForm: form}, nil)
		return
	}
	http.Redirect(w, r, "/s/"+url.PathEscape(code)+"?published=1#staff", http.StatusSeeOther)
}

// formTime turns a form's date and HH:MM (China Standard Time) into RFC 3339.
func formTime(field, date, hm string) (string, error) {
	t, err := time.ParseInLocation("2006-01-02 15:04", strings.TrimSpace(date)+" "+strings.TrimSpace(hm), web.China)
	if err != nil {
		if _, derr := time.Parse("2006-01-02", strings.TrimSpace(date)); derr != nil {
			field = "date"
		}
		return "", civmap.FieldErrorf(field, "日期或时间格式不对")
	}
	return t.Format(time.RFC3339), nil
}

// activityFormMessage says in Chinese what is wrong with the publishing form.
func activityFormMessage(err error) string {
	switch civmap.ErrorField(err) {
	case "title":
		return "请填写活动名称（不超过 100 字）。"
	case "content_area":
		return "请选择工作内容。"
	case "platform":
		return "请选择平台。"
	case "date", "start_time", "end_time", "start":
		return "请填写活动日期和开始、结束时间。"
	case "end":
		return "结束时间应晚于开始时间。"
	}
	if civmap.ErrorCode(err) == civmap.EINTERNAL {
		return "发布失败，请稍后再试。"
	}
	return civmap.ErrorMessage(err)
}

// handleSiteModerationForm serves POST /s/{code}/moderation (form: kind activity|need, id,
// action hide|unhide, reason): staff in scope hide a record from public view or show it again;
// 303 back to the page.
func (s *Server) handleSiteModerationForm(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	if !s.requirePage(w, r) {
		return
	}
	code := mux.Vars(r)["code"]
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if err := r.ParseForm(); err != nil {
		s.pageError(w, r, civmap.FieldErrorf("reason", "表单内容过长或格式错误"))
		return
	}
	f := r.PostForm
	kind, action := f.Get("kind"), f.Get("action")
	id, err := strconv.ParseInt(f.Get("id"), 10, 64)
	switch {
	case err != nil:
		err = civmap.FieldErrorf("id", "编号无效")
	case kind != civmap.KindActivity && kind != civmap.KindNeed:
		err = civmap.FieldErrorf("kind", "只能隐藏活动或需求")
	case action != "hide" && action != "unhide":
		err = civmap.FieldErrorf("action", "操作无效")
	}
	if err == nil {
		m := civmap.Moderation{Hidden: action == "hide", Reason: strings.TrimSpace(f.Get("reason"))}
		if !m.Hidden {
			m.Reason = ""
		} else if m.Reason == "" {
			err = civmap.FieldErrorf("reason", "隐藏时请填写原因")
		}
		if err == nil {
			_, err = s.moderate(r, kind, id, m)
		}
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/s/"+url.PathEscape(code)+"?moderated="+action+"#staff", http.StatusSeeOther)
}
