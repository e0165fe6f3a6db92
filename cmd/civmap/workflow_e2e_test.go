package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"civmap"
	"civmap/store"
	"civmap/store/postgis/pgtest"
)

// TestWorkflowEveryRole walks a need through the workflow over HTTP — 点单, 制单, 派单, 接单,
// service, done, 评单, and the reject and cancel branches — and at every step tries every role,
// in scope and out of scope, and anonymously: each gets the status the rules give, and a refused
// step changes nothing (the need's version, its history and the audit log). Illegal moves are
// 409 problem+json naming the current status. Both stores.
func TestWorkflowEveryRole(t *testing.T) {
	t.Run("embedded", func(t *testing.T) { testWorkflowRoles(t) })
	t.Run("postgis", func(t *testing.T) { testWorkflowRoles(t, "--database-url", pgtest.NewDatabase(t)) })
}

// addVolunteer stores a volunteer at site with an account and returns the account's token
// header.
func addVolunteer(t *testing.T, m *Serve, login, site string, teams ...int64) (civmap.Volunteer, []string) {
	t.Helper()
	ctx := civmap.WithActor(context.Background(), civmap.Actor{System: "test"})
	u, hdr := userToken(t, m, login, civmap.RoleVolunteer, site)
	s, err := m.store.Site(ctx, site)
	if err != nil {
		t.Fatal(err)
	}
	vs, _, err := m.store.PutVolunteers(ctx, []civmap.Volunteer{{UserID: u.ID, Name: "志愿者" + login, Skills: []civmap.Skill{"卫生健康"},
		Teams: teams, SiteCode: site, Home: s.Location, OnDuty: true, Active: true}}, false)
	if err != nil {
		t.Fatal(err)
	}
	return vs[0], hdr
}

func testWorkflowRoles(t *testing.T, args ...string) {
	m := startServe(t, tempData(t), args...)
	defer m.Close()
	base := m.URL()
	ctx := context.Background()
	actors := map[string][]string{"anonymous": nil}
	for _, a := range []struct {
		name  string
		role  civmap.Role
		scope string
	}{
		{"admin", civmap.RoleAdmin, ""}, {"station", civmap.RoleStation, townA}, {"post", civmap.RolePost, postA1},
		{"neighbour", civmap.RolePost, postA2}, {"other-town", civmap.RoleStation, townB}, {"leader", civmap.RoleTeamLeader, postA1},
		{"viewer", civmap.RoleViewer, ""},
	} {
		_, actors[a.name] = userToken(t, m, "w-"+a.name, a.role, a.scope)
	}
	_, actors["vol-a"] = addVolunteer(t, m, "w-vol-a", postA1)
	_, actors["vol-b"] = addVolunteer(t, m, "w-vol-b", postA1)
	_, actors["vol-far"] = addVolunteer(t, m, "w-vol-far", townB+"001")
	order := []string{"anonymous", "viewer", "leader", "vol-far", "vol-b", "vol-a", "other-town", "neighbour", "post", "station", "admin"}

	submit := func(desc string) (int64, string) {
		resp, b := postNeed(t, from(t, "127.0.0.91"), base, map[string]any{"category": "卫生健康", "description": desc, "phone": "13900139000",
			"place": map[string]any{"code": postA1}})
		if resp.StatusCode != 201 {
			t.Fatalf("submit: %d %s", resp.StatusCode, b)
		}
		var f struct {
			ID      int64
			Receipt struct{ Code, URL string }
		}
		json.Unmarshal(b, &f)
		if f.Receipt.Code == "" || !strings.HasPrefix(f.Receipt.URL, base+"/n/") {
			t.Fatalf("no receipt: %s", b)
		}
		return f.ID, f.Receipt.URL
	}
	state := func(id int64) string {
		n, err := m.store.Need(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		hist, _ := m.store.NeedHistory(ctx, id)
		recs, _ := m.store.ListAudit(ctx, store.AuditFilter{Kind: civmap.KindNeed, RecordID: fmt.Sprint(id), Action: civmap.AuditTransition})
		return fmt.Sprintf("%s v%d, %d steps, %d audit records", n.Status, n.Version, len(hist), len(recs))
	}
	// step tries body as every actor but winner and also (allowed too, so not tried), expecting
	// want's status (403 when not named), then as winner, who must succeed.
	step := func(id int64, body map[string]any, want map[string]int, winner string, also ...string) {
		t.Helper()
		for _, a := range order {
			if a == winner || slices.Contains(also, a) {
				continue
			}
			w, ok := want[a]
			if !ok {
				w = 403
			}
			before := state(id)
			resp, b := send(t, "POST", fmt.Sprintf("%s/api/v1/needs/%d/transitions", base, id), body, actors[a]...)
			if resp.StatusCode != w {
				t.Errorf("%v as %s: %d %.200s; want %d", body["action"], a, resp.StatusCode, b, w)
			}
			if resp.StatusCode >= 400 {
				if resp.Header.Get("Content-Type") != "application/problem+json" {
					t.Errorf("%v as %s: %d without problem+json", body["action"], a, resp.StatusCode)
				}
				if after := state(id); after != before {
					t.Errorf("%v as %s was refused but changed the need: %s → %s", body["action"], a, before, after)
				}
			}
		}
		if winner != "" {
			resp, b := send(t, "POST", fmt.Sprintf("%s/api/v1/needs/%d/transitions", base, id), body, actors[winner]...)
			if resp.StatusCode != 200 {
				t.Fatalf("%v as %s: %d %s", body["action"], winner, resp.StatusCode, b)
			}
		}
	}
	conflict := func(id int64, body map[string]any, actor, status string) {
		t.Helper()
		before := state(id)
		resp, b := send(t, "POST", fmt.Sprintf("%s/api/v1/needs/%d/transitions", base, id), body, actors[actor]...)
		var p struct {
			Status        int
			Field, Detail string
		}
		json.Unmarshal(b, &p)
		if resp.StatusCode != 409 || p.Field != "status" || !strings.Contains(p.Detail, status) {
			t.Errorf("%v on a %s need as %s: %d %s; want 409 naming %s", body["action"], status, actor, resp.StatusCode, b, status)
		}
		if after := state(id); after != before {
			t.Errorf("an illegal %v changed the need: %s → %s", body["action"], before, after)
		}
	}
	start := time.Now().Add(time.Hour).Format(time.RFC3339)
	end := time.Now().Add(3 * time.Hour).Format(time.RFC3339)
	orderBody := map[string]any{"action": "order", "slots": 1, "start": start, "end": end}
	anon := map[string]int{"anonymous": 401}

	id, receipt := submit("老人需要量血压")
	conflict(id, map[string]any{"action": "accept"}, "vol-a", "submitted")
	conflict(id, map[string]any{"action": "dispatch", "mode": "open"}, "station", "submitted")
	// 制单: staff in scope (the post too: it orders its own village's needs).
	step(id, orderBody, anon, "station", "admin", "post")
	conflict(id, map[string]any{"action": "accept"}, "vol-a", "ordered")
	// 派单: station or post in scope.
	step(id, map[string]any{"action": "dispatch", "mode": "open"}, anon, "post", "admin", "station")
	// 接单: a volunteer of the area; later ones find it full.
	step(id, map[string]any{"action": "accept"}, anon, "vol-a", "vol-b")
	conflict(id, map[string]any{"action": "accept"}, "vol-b", "accepted")
	step(id, map[string]any{"action": "start"}, map[string]int{"anonymous": 401}, "vol-a")
	conflict(id, map[string]any{"action": "dispatch", "mode": "open"}, "station", "in_service")
	step(id, map[string]any{"action": "finish", "hours": 1.5}, map[string]int{"anonymous": 401}, "vol-a")
	conflict(id, map[string]any{"action": "cancel", "reason": "晚了"}, "station", "done")
	// 评单 on the receipt page, once.
	page := func(path string, form url.Values) (*http.Response, string) {
		req, _ := http.NewRequest("POST", path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, b := do(t, from(t, "127.0.0.92"), req)
		return resp, string(b)
	}
	if resp, _ := page(receipt+"/rate", url.Values{"rating": {"5"}, "comment": {"很及时"}}); resp.StatusCode != 303 {
		t.Errorf("rate: %d", resp.StatusCode)
	}
	if resp, b := page(receipt+"/rate", url.Values{"rating": {"3"}}); resp.StatusCode != 409 || !strings.Contains(b, "已评价") {
		t.Errorf("rate twice: %d", resp.StatusCode)
	}
	if n, _ := m.store.Need(ctx, id); n.Status != civmap.NeedRated || n.Rating != 5 {
		t.Errorf("after rating: %s %d", n.Status, n.Rating)
	}
	resp, b := get(t, receipt)
	body := string(b)
	for _, want := range []string{"已评价", "志愿者已接单", "服务已完成", "5 星"} {
		if !strings.Contains(body, want) {
			t.Errorf("receipt page lacks %q", want)
		}
	}
	if resp.StatusCode != 200 || strings.Contains(body, "志愿者w-vol-a") || strings.Contains(body, "13900139000") || strings.Contains(body, "量血压") {
		t.Errorf("receipt page shows a name, phone or description: %d", resp.StatusCode)
	}

	// The reject branch: the resident reads the reason; a rejected need cannot be dispatched.
	id2, receipt2 := submit("帮忙修电脑")
	step(id2, map[string]any{"action": "reject", "reason": "不属于志愿服务范围"}, anon, "station", "admin")
	conflict(id2, map[string]any{"action": "dispatch", "mode": "open"}, "admin", "rejected")
	if _, b := get(t, receipt2); !strings.Contains(string(b), "不属于志愿服务范围") || !strings.Contains(string(b), "已拒绝") {
		t.Error("the receipt page does not give the rejection's reason")
	}
	// The resident cancels before service; then nothing more.
	id3, receipt3 := submit("需要陪同就医")
	step(id3, orderBody, anon, "admin", "station", "post")
	if resp, _ := page(receipt3+"/cancel", url.Values{"reason": {"已有家人陪同"}}); resp.StatusCode != 303 {
		t.Errorf("resident cancel: %d", resp.StatusCode)
	}
	conflict(id3, map[string]any{"action": "dispatch", "mode": "open"}, "station", "cancelled")
	// Staff cancel needs a reason.
	id4, _ := submit("需要理发")
	resp, b = send(t, "POST", fmt.Sprintf("%s/api/v1/needs/%d/transitions", base, id4), map[string]any{"action": "cancel"}, actors["post"]...)
	if resp.StatusCode != 400 || !strings.Contains(string(b), `"field":"reason"`) {
		t.Errorf("staff cancel without a reason: %d %s", resp.StatusCode, b)
	}
	step(id4, map[string]any{"action": "cancel", "reason": "重复点单"}, anon, "post", "admin", "station")
	// Bad actions and bodies.
	for _, bad := range []map[string]any{{"action": "fly"}, {"action": "rate", "rating": 5}, {"action": "escalate"}, {}} {
		if resp, _ := send(t, "POST", fmt.Sprintf("%s/api/v1/needs/%d/transitions", base, id4), bad, actors["admin"]...); resp.StatusCode != 400 {
			t.Errorf("transition %v: %d, want 400", bad, resp.StatusCode)
		}
	}
	if resp, _ := send(t, "POST", base+"/api/v1/needs/99999/transitions", orderBody, actors["admin"]...); resp.StatusCode != 404 {
		t.Errorf("a transition of no need: %d", resp.StatusCode)
	}
	// History: staff in scope only.
	for a, want := range map[string]int{"anonymous": 401, "admin": 200, "station": 200, "post": 200, "other-town": 403, "vol-a": 403, "viewer": 403} {
		if resp, _ := send(t, "GET", fmt.Sprintf("%s/api/v1/needs/%d/history", base, id), nil, actors[a]...); resp.StatusCode != want {
			t.Errorf("history as %s: %d, want %d", a, resp.StatusCode, want)
		}
	}
}
