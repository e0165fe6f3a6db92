package auth_test

import (
	"strings"
	"testing"
	"time"

	"civmap"
	"civmap/auth"
	"civmap/store"
)

func TestPasswordHash(t *testing.T) {
	h, err := auth.HashPassword("长城社区 2026!")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=3,p=4$") || strings.Count(h, "$") != 5 {
		t.Errorf("hash %q is not a PHC argon2id string with the stated parameters", h)
	}
	h2, _ := auth.HashPassword("长城社区 2026!")
	if h == h2 {
		t.Error("two hashes of one password are equal: no salt")
	}
	if !auth.VerifyPassword(h, "长城社区 2026!") || !auth.VerifyPassword(h2, "长城社区 2026!") {
		t.Error("the right password does not verify")
	}
	for _, wrong := range []string{"长城社区 2026", "", "长城社区 2026!!"} {
		if auth.VerifyPassword(h, wrong) {
			t.Errorf("%q verifies", wrong)
		}
	}
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaA", strings.Replace(h, "m=65536", "m=99999999", 1),
		strings.Replace(h, "t=3", "t=0", 1), h[:len(h)-10]} {
		if auth.VerifyPassword(bad, "长城社区 2026!") {
			t.Errorf("malformed hash %q verifies", bad)
		}
	}
	// Parameters are read from the hash: a cheaper old hash still verifies.
	for _, p := range []string{"short", strings.Repeat("x", auth.MaxPasswordChars+1), "bad\x00password"} {
		if _, err := auth.HashPassword(p); civmap.ErrorField(err) != "password" {
			t.Errorf("HashPassword(%.10q) = %v, want an error naming password", p, err)
		}
	}
	if a, b := auth.NewPassword(), auth.NewPassword(); len(a) != 16 || a == b || strings.ContainsAny(a, "0O1lI") {
		t.Errorf("generated passwords %q, %q", a, b)
	}
}

func TestSecrets(t *testing.T) {
	a, b := auth.NewSecret(auth.TokenPrefix), auth.NewSecret(auth.TokenPrefix)
	if a == b || !strings.HasPrefix(a, "cvm_") || len(a) != 4+43 {
		t.Errorf("secrets %q, %q", a, b)
	}
	if h := auth.HashSecret(a); len(h) != 64 || h == auth.HashSecret(b) || strings.Contains(h, a) {
		t.Errorf("hash %q", h)
	}
}

func TestBackoff(t *testing.T) {
	b := auth.LoginBackoff
	t0 := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		count int
		at    time.Duration // after the last failure
		want  time.Duration
	}{
		{4, 0, 0},
		{5, 0, 30 * time.Second},
		{5, 10 * time.Second, 20 * time.Second},
		{5, 30 * time.Second, 0},
		{6, 0, time.Minute},
		{8, 0, 4 * time.Minute},
		{12, 0, time.Hour},      // 30 s · 2^7 = 64 min, capped
		{200, 0, time.Hour},     // no overflow
		{20, 25 * time.Hour, 0}, // forgotten
	} {
		got := b.Wait(store.LoginFailure{Count: c.count, Last: t0}, t0.Add(c.at))
		if got != c.want {
			t.Errorf("Wait(%d failures, %v later) = %v, want %v", c.count, c.at, got, c.want)
		}
	}
}
