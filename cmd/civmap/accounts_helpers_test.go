package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"civmap"
	"civmap/auth"
)

// userToken adds a user with role and scope to m's store and returns it with an API token
// ("Authorization", "Bearer …" as header arguments for get and send).
func userToken(t *testing.T, m *Serve, login string, role civmap.Role, scope string) (civmap.User, []string) {
	t.Helper()
	ctx := civmap.WithActor(context.Background(), civmap.Actor{System: "test"})
	u, err := m.store.CreateUser(ctx, civmap.User{Login: login, Name: "测试" + login, Role: role, Scope: scope})
	if err != nil {
		t.Fatalf("add user %s: %v", login, err)
	}
	secret, _, err := (&auth.Service{Store: m.store}).CreateToken(ctx, u.ID, "test", 0)
	if err != nil {
		t.Fatal(err)
	}
	return u, []string{"Authorization", "Bearer " + secret}
}

// send makes a request with a JSON body (nil: none) and header pairs, returning the response
// and its body.
func send(t *testing.T, method, url string, body any, header ...string) (*http.Response, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, out
}

// jar is a cookie jar that can say what session cookie it holds.
type jar struct {
	*cookiejar.Jar
	t *testing.T
}

func newJar(t *testing.T) *jar {
	j, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &jar{j, t}
}

// value is the session cookie's value for base ("" when none).
func (j *jar) value(base string) string {
	u, err := url.Parse(base)
	if err != nil {
		j.t.Fatal(err)
	}
	for _, c := range j.Cookies(u) {
		if strings.HasSuffix(c.Name, "civmap_session") {
			return c.Value
		}
	}
	return ""
}

// cookieHeader is a Cookie header carrying session secret for m.
func cookieHeader(m *Serve, secret string) string { return "civmap_session=" + secret }

// setPassword gives the user with login a password, through the store.
func setPassword(t *testing.T, m *Serve, login, password string) {
	t.Helper()
	ctx := civmap.WithActor(context.Background(), civmap.Actor{System: "test"})
	u, err := m.store.UserByLogin(ctx, login)
	if err != nil {
		t.Fatal(err)
	}
	if u.PasswordHash, err = auth.HashPassword(password); err != nil {
		t.Fatal(err)
	}
	if _, err := m.store.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
}
