package api

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"

	"civmap"
	"civmap/dispatch"
	"civmap/qr"
	"civmap/web"
	"civmap/workflow"

	"github.com/gorilla/mux"
)

// needByReceipt finds the need of the {receipt} path variable (ENOTFOUND for a malformed or
// unknown receipt).
func (s *Server) needByReceipt(r *http.Request) (civmap.Need, string, error) {
	code := dispatch.NormalizeReceipt(mux.Vars(r)["receipt"])
	if code == "" {
		return civmap.Need{}, "", civmap.Errorf(civmap.ENOTFOUND, "回执号无效")
	}
	n, err := s.cfg.Store.NeedByReceipt(r.Context(), dispatch.ReceiptHash(code))
	if civmap.ErrorCode(err) == civmap.ENOTFOUND {
		return n, code, civmap.Errorf(civmap.ENOTFOUND, "没有找到该回执号的点单")
	}
	return n, code, err
}

// handleReceiptPage serves GET /n/{receipt}: what a resident sees of their need — category,
// site, status and each step (with team names, never volunteers' names or phones), the receipt
// as groups and a QR code, and buttons to cancel (before service) or rate (when done). No
// account and no JavaScript needed.
func (s *Server) handleReceiptPage(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	n, code, err := s.needByReceipt(r)
	if err != nil {
		s.receiptError(w, r, err)
		return
	}
	s.receiptPage(w, r, http.StatusOK, n, code, "")
}

func (s *Server) receiptPage(w http.ResponseWriter, r *http.Request, status int, n civmap.Need, code, formErr string) {
	hist, err := s.cfg.Store.NeedHistory(r.Context(), n.ID)
	if err != nil {
		s.receiptError(w, r, err)
		return
	}
	p := web.ReceiptPage{Need: n, Receipt: dispatch.FormatReceipt(code), Code: code, StatusTitle: n.Status.Title(),
		New: r.URL.Query().Get("new") == "1", Error: formErr,
		CanCancel: workflow.Allowed(workflow.Cancel, n.Status) && n.Status != civmap.NeedInService,
		CanRate:   n.Status == civmap.NeedDone}
	if site, err := s.cfg.Store.Site(r.Context(), n.SiteCode); err == nil {
		p.SiteName = site.Name
	}
	for _, e := range hist {
		p.Steps = append(p.Steps, web.ReceiptStep{At: e.At, Title: stepTitle(e), Team: e.Team, Note: residentNote(e)})
	}
	s.render(w, r, status, "receipt.html", p)
}

// stepTitle is a history step as a resident reads it.
func stepTitle(e civmap.NeedEvent) string {
	switch workflow.Action(e.Action) {
	case workflow.Submit:
		return "已提交点单"
	case workflow.Order: // by whichever level of dispatcher made the order
		switch e.ActorRole {
		case civmap.RolePost:
			return "实践站已受理制单"
		case civmap.RoleStation:
			return "实践所已受理制单"
		case civmap.RoleAdmin:
			return "实践中心已受理制单"
		}
		return "已受理制单"
	case workflow.Reject:
		return "未予受理"
	case workflow.Dispatch:
		return "已派单"
	case workflow.Accept:
		if e.To == civmap.NeedAccepted {
			return "志愿者已接单"
		}
		return "有志愿者接单"
	case workflow.Decline:
		return "志愿者退单，重新等待接单"
	case workflow.Start:
		return "志愿者开始服务"
	case workflow.Finish:
		if e.To == civmap.NeedDone {
			return "服务已完成"
		}
		return "一位志愿者完成服务"
	case workflow.Rate:
		return "已评价"
	case workflow.Cancel:
		return "已取消"
	case workflow.Escalate:
		return "已转上级实践所（中心）处理"
	}
	return e.To.Title()
}

// residentNote is what of a step's note the resident reads: reasons and ratings, not the
// internal queue codes.
func residentNote(e civmap.NeedEvent) string {
	switch workflow.Action(e.Action) {
	case workflow.Reject, workflow.Cancel, workflow.Rate:
		return e.Note
	}
	return ""
}

func (s *Server) receiptError(w http.ResponseWriter, r *http.Request, err error) {
	status := statusFor(err)
	if status == http.StatusInternalServerError {
		s.logInternal(r, err)
	}
	s.render(w, r, status, "notice.html", web.NoticePage{Title: "点单回执", Message: civmap.ErrorMessage(err) + "。请核对回执号，或到阵地页面重新点单。"})
}

// handleReceiptQR serves GET /n/{receipt}/qr.png: the receipt page's URL as a QR code, to save
// or show at the post.
func (s *Server) handleReceiptQR(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	_, code, err := s.needByReceipt(r)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	c, err := qr.Encode(s.receiptURL(code), qr.Q)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	var buf bytes.Buffer
	if err := c.WritePNG(&buf, 6); err != nil {
		s.problem(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.Write(buf.Bytes())
}

// handleReceiptAction serves POST /n/{receipt}/cancel (form: reason, optional) and
// POST /n/{receipt}/rate (form: rating 1–5, comment): the resident's own workflow steps; 303
// back to the page, or the page with the reason.
func (s *Server) handleReceiptAction(action workflow.Action) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		noStore(w)
		n, code, err := s.needByReceipt(r)
		if err != nil {
			s.receiptError(w, r, err)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
		if err := r.ParseForm(); err != nil {
			s.receiptPage(w, r, http.StatusBadRequest, n, code, "表单内容过长或格式错误")
			return
		}
		req := workflow.Request{Action: action, Actor: workflow.Actor{Kind: workflow.Resident}, Now: s.cfg.Now().UTC(),
			Reason: strings.TrimSpace(r.PostForm.Get("reason")), Comment: strings.TrimSpace(r.PostForm.Get("comment"))}
		if action == workflow.Rate {
			req.Rating, _ = strconv.Atoi(r.PostForm.Get("rating"))
		}
		if _, _, err := s.cfg.Store.Transition(r.Context(), n.ID, req); err != nil {
			msg := civmap.ErrorMessage(err)
			if civmap.ErrorField(err) == "rating" {
				msg = "请选择 1–5 星"
			}
			s.receiptPage(w, r, statusFor(err), n, code, msg)
			return
		}
		s.kick()
		http.Redirect(w, r, "/n/"+code, http.StatusSeeOther)
	}
}
