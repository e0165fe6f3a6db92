package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"civmap"
	"civmap/store"
)

// proxyLimits make the per-address need limit small (2 at once, then one per half hour) and the
// per-site one out of the way, so that a third need from one client is refused.
var proxyLimits = []string{"--need-limit-address", "2/1h", "--need-limit-site", "1000/1h"}

// needVia posts an anonymous need from client c with the X-Forwarded-For header lines xff
// (none when empty); it returns the status and the need's id (0 unless 201).
func needVia(t *testing.T, c *http.Client, base string, description string, xff ...string) (int, int64) {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"category": "其他", "description": description, "place": map[string]any{"code": postA1}})
	req, err := http.NewRequest("POST", base+"/api/v1/needs", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for _, h := range xff {
		req.Header.Add("X-Forwarded-For", h)
	}
	resp, body := do(t, c, req)
	var f struct{ ID int64 }
	if resp.StatusCode == 201 {
		if err := json.Unmarshal(body, &f); err != nil || f.ID == 0 {
			t.Fatalf("need: %s", body)
		}
	} else if resp.StatusCode != 429 {
		t.Fatalf("need %q (X-Forwarded-For %q): %d %s", description, xff, resp.StatusCode, body)
	}
	return resp.StatusCode, f.ID
}

// auditAddr is the client address the audit log recorded for the creation of need id.
func auditAddr(t *testing.T, m *Serve, id int64) string {
	t.Helper()
	recs, err := m.store.ListAudit(context.Background(), store.AuditFilter{Kind: civmap.KindNeed, Action: civmap.AuditCreate, RecordID: strconv.FormatInt(id, 10)})
	if err != nil || len(recs) != 1 {
		t.Fatalf("audit of need %d: %v, %d records", id, err, len(recs))
	}
	return recs[0].Addr
}

// signInAddr signs user in from client c with X-Forwarded-For xff and returns the address that
// the audit log's sign-in record and the new session carry.
func signInAddr(t *testing.T, m *Serve, c *http.Client, user civmap.User, password, xff string) (audit, session string) {
	t.Helper()
	ctx := context.Background()
	body := url.Values{"login": {user.Login}, "password": {password}}.Encode()
	req, _ := http.NewRequest("POST", m.URL()+"/login", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-For", xff)
	if resp, b := do(t, c, req); resp.StatusCode != 303 {
		t.Fatalf("sign in with X-Forwarded-For %q: %d %s", xff, resp.StatusCode, b)
	}
	recs, err := m.store.ListAudit(ctx, store.AuditFilter{ActorID: user.ID, Action: civmap.AuditSignIn, Limit: 1})
	if err != nil || len(recs) != 1 {
		t.Fatalf("sign-in audit: %v", err)
	}
	ss, err := m.store.ListSessions(ctx, user.ID)
	if err != nil || len(ss) == 0 {
		t.Fatalf("sessions: %v", err)
	}
	return recs[0].Addr, ss[0].Addr
}

// TestClientAddressWithoutTrustedProxies: with no --trusted-proxies, X-Forwarded-For is the
// client's own words and is ignored — the need limit and the audit log use the connection's
// peer, so changing the header does not give a client a fresh bucket.
func TestClientAddressWithoutTrustedProxies(t *testing.T) {
	m := startServe(t, tempData(t), proxyLimits...)
	t.Cleanup(func() { m.Close() })
	base := m.URL()
	flood := from(t, "127.0.0.141")
	var ids []int64
	for i, xff := range []string{"203.0.113.1", "203.0.113.2"} {
		status, id := needVia(t, flood, base, fmt.Sprintf("第 %d 条", i), xff)
		if status != 201 {
			t.Fatalf("need %d from a fresh peer: %d", i, status)
		}
		ids = append(ids, id)
	}
	for _, xff := range []string{"203.0.113.3", "198.51.100.1, 203.0.113.4", ""} {
		if status, _ := needVia(t, flood, base, "又一条 "+xff, xff); status != 429 {
			t.Errorf("a third need from the same peer with X-Forwarded-For %q: %d, want 429 (one bucket per peer)", xff, status)
		}
	}
	for _, id := range ids {
		if a := auditAddr(t, m, id); a != "127.0.0.141" {
			t.Errorf("need %d audited from %q, want the peer 127.0.0.141", id, a)
		}
	}
	// Another peer has its own bucket, whatever it claims.
	if status, _ := needVia(t, from(t, "127.0.0.142"), base, "另一个地址", "127.0.0.141"); status != 201 {
		t.Errorf("another peer: %d", status)
	}
	// Sign-ins too.
	u, _ := userToken(t, m, "proxy-admin", civmap.RoleAdmin, "")
	setPassword(t, m, u.Login, "Proxy-admin-1")
	if a, s := signInAddr(t, m, from(t, "127.0.0.143"), u, "Proxy-admin-1", "203.0.113.9"); a != "127.0.0.143" || s != "127.0.0.143" {
		t.Errorf("sign-in with X-Forwarded-For: audited from %q, session from %q; want the peer 127.0.0.143", a, s)
	}
	hostIsNotTrusted(t, m, base)
}

// TestClientAddressBehindTrustedProxy: with --trusted-proxies 127.0.0.1, a request from that
// proxy is the client named by the right-most X-Forwarded-For hop that is not a trusted proxy:
// different clients get their own need buckets and audit addresses, and a hop the client wrote
// further left (spoofed) never counts. A peer that is not the proxy is still itself.
func TestClientAddressBehindTrustedProxy(t *testing.T) {
	m := startServe(t, tempData(t), append([]string{"--trusted-proxies", "127.0.0.1", "--public-url", "http://wmsj.linxiang.example:8080/"}, proxyLimits...)...)
	t.Cleanup(func() { m.Close() })
	base := m.URL()
	proxy := from(t, "127.0.0.1")
	n := 0
	need := func(xff ...string) (int, int64) {
		n++
		return needVia(t, proxy, base, fmt.Sprintf("经代理的第 %d 条", n), xff...)
	}
	// Client A (203.0.113.10) uses up its bucket; client B (203.0.113.11) is not affected.
	for i := 0; i < 2; i++ {
		status, id := need("203.0.113.10")
		if status != 201 {
			t.Fatalf("client A's need %d: %d", i, status)
		}
		if a := auditAddr(t, m, id); a != "203.0.113.10" {
			t.Errorf("client A's need audited from %q", a)
		}
	}
	if status, _ := need("203.0.113.10"); status != 429 {
		t.Errorf("client A's third need: %d, want 429", status)
	}
	status, id := need("203.0.113.11")
	if status != 201 {
		t.Fatalf("client B after A's bucket ran out: %d, want 201", status)
	}
	if a := auditAddr(t, m, id); a != "203.0.113.11" {
		t.Errorf("client B's need audited from %q", a)
	}

	for _, c := range []struct {
		name   string
		xff    []string
		status int    // 201 or 429
		addr   string // the audited address when 201
	}{
		// A writes a fresh address to the left of what the proxy appended: still A, still limited.
		{"a spoofed left-most hop", []string{"198.51.100.99, 203.0.113.10"}, 429, ""},
		{"a spoofed hop in its own header line", []string{"198.51.100.98", "203.0.113.10"}, 429, ""},
		// The proxy's own address further right is skipped.
		{"a trusted hop to the right", []string{"198.51.100.20, 127.0.0.1"}, 201, "198.51.100.20"},
		// A client naming A's address to the left does not land in A's bucket.
		{"A's address to the left of C", []string{"203.0.113.10, 198.51.100.21"}, 201, "198.51.100.21"},
		{"spaces and IPv6", []string{" 2001:db8::7 "}, 201, "2001:db8::7"},
		{"a malformed hop to the left", []string{"not-an-address, 198.51.100.22"}, 201, "198.51.100.22"},
		// Nothing to go by: the proxy itself.
		{"no header", nil, 201, "127.0.0.1"},
	} {
		status, id := need(c.xff...)
		if status != c.status {
			t.Errorf("%s (X-Forwarded-For %q): %d, want %d", c.name, c.xff, status, c.status)
			continue
		}
		if status == 201 {
			if a := auditAddr(t, m, id); a != c.addr {
				t.Errorf("%s (X-Forwarded-For %q): audited from %q, want %q", c.name, c.xff, a, c.addr)
			}
		}
	}

	// A peer that is not the trusted proxy is itself, whatever header it sends.
	other := from(t, "127.0.0.151")
	status, id = needVia(t, other, base, "不是代理", "203.0.113.50")
	if status != 201 {
		t.Fatalf("an untrusted peer: %d", status)
	}
	if a := auditAddr(t, m, id); a != "127.0.0.151" {
		t.Errorf("an untrusted peer's need audited from %q, want 127.0.0.151", a)
	}

	// Sign-ins through the proxy carry the client's address.
	u, _ := userToken(t, m, "proxy-admin", civmap.RoleAdmin, "")
	setPassword(t, m, u.Login, "Proxy-admin-1")
	if a, s := signInAddr(t, m, from(t, "127.0.0.1"), u, "Proxy-admin-1", "198.51.100.77, 203.0.113.60"); a != "203.0.113.60" || s != "203.0.113.60" {
		t.Errorf("sign-in through the proxy: audited from %q, session from %q; want 203.0.113.60", a, s)
	}
	hostIsNotTrusted(t, m, "http://wmsj.linxiang.example:8080")
}

// hostIsNotTrusted: QR codes, TileJSON, the site JSON's links and a volunteer's sign-in URL
// carry the public URL, never a request's Host (curl -H 'Host: evil.example'), X-Forwarded-Host
// or Forwarded host, and an http public URL never becomes https for X-Forwarded-Proto: https.
func hostIsNotTrusted(t *testing.T, m *Serve, public string) {
	t.Helper()
	base := m.URL()
	_, asAdmin := userToken(t, m, "host-admin", civmap.RoleAdmin, "")
	evil := func(method, path string, header ...string) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, base+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = "evil.example"
		req.Header.Set("X-Forwarded-Host", "evil.example")
		req.Header.Set("X-Forwarded-Proto", "https")
		req.Header.Set("X-Forwarded-Scheme", "https")
		req.Header.Set("X-Forwarded-Port", "443")
		req.Header.Set("Forwarded", "for=203.0.113.5;host=evil.example;proto=https")
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, b := do(t, &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}, req)
		if bytes.Contains(b, []byte("evil.example")) || strings.Contains(fmt.Sprint(resp.Header), "evil.example") {
			t.Errorf("%s %s with Host evil.example: the response names evil.example", method, path)
		}
		return resp, b
	}

	// The QR code, decoded.
	resp, png := evil("GET", "/qr/430682.png")
	if resp.StatusCode != 200 {
		t.Fatalf("/qr/430682.png: %d", resp.StatusCode)
	}
	f := filepath.Join(t.TempDir(), "qr.png")
	if err := os.WriteFile(f, png, 0o600); err != nil {
		t.Fatal(err)
	}
	if got := decodeQR(t, f); got != public+"/s/430682" {
		t.Errorf("/qr/430682.png with Host evil.example reads %q, want %q", got, public+"/s/430682")
	}
	evil("GET", "/qr/430682.svg")
	evil("GET", "/qr/430682/poster.svg")

	// TileJSON.
	_, b := evil("GET", "/tiles/sites,needs.json")
	var tj struct{ Tiles []string }
	if err := json.Unmarshal(b, &tj); err != nil || len(tj.Tiles) != 1 || tj.Tiles[0] != public+"/tiles/sites,needs/{z}/{x}/{y}.mvt" {
		t.Errorf("TileJSON with Host evil.example: tiles %q (%v)", tj.Tiles, err)
	}

	// A site's links, alone and in the list.
	_, b = evil("GET", "/api/v1/sites/"+postA1)
	var site struct {
		Properties struct {
			PageURL   string `json:"page_url"`
			QRURL     string `json:"qr_url"`
			QRSVGURL  string `json:"qr_svg_url"`
			PosterURL string `json:"poster_url"`
		}
	}
	if err := json.Unmarshal(b, &site); err != nil {
		t.Fatal(err)
	}
	p := site.Properties
	if p.PageURL != public+"/s/"+postA1 || p.QRURL != public+"/qr/"+postA1+".png" || p.QRSVGURL != public+"/qr/"+postA1+".svg" ||
		p.PosterURL != public+"/qr/"+postA1+"/poster.svg" {
		t.Errorf("site %s's links with Host evil.example: %+v", postA1, p)
	}
	_, b = evil("GET", "/api/v1/sites?parent="+townA)
	var list struct {
		Features []struct {
			Properties struct {
				PageURL string `json:"page_url"`
			}
		}
	}
	json.Unmarshal(b, &list)
	if len(list.Features) == 0 {
		t.Errorf("no sites under %s", townA)
	}
	for _, x := range list.Features {
		if !strings.HasPrefix(x.Properties.PageURL, public+"/s/") {
			t.Errorf("a listed site's page URL with Host evil.example: %q", x.Properties.PageURL)
		}
	}

	// Pages: the map, a site page; a sign-in's redirect stays on this site.
	evil("GET", "/")
	evil("GET", "/s/"+postA1)
	evil("GET", "/me")

	// A volunteer's personal code.
	resp, b = send(t, "POST", base+"/api/v1/users", map[string]any{"login": "host-vol", "name": "志愿者", "role": "volunteer", "scope": postA1}, asAdmin...)
	var vol struct{ ID int64 }
	if err := json.Unmarshal(b, &vol); err != nil || resp.StatusCode != 201 {
		t.Fatalf("add a volunteer: %d %s", resp.StatusCode, b)
	}
	_, b = evil("POST", fmt.Sprintf("/api/v1/users/%d/code", vol.ID), asAdmin...)
	var code struct{ URL string }
	if err := json.Unmarshal(b, &code); err != nil || !strings.HasPrefix(code.URL, public+"/p/") {
		t.Errorf("a personal code issued with Host evil.example: %q (%v)", code.URL, err)
	}
}
