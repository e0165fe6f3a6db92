package notify

import (
	"errors"
	"testing"
	"time"
)

func TestSignAndVerify(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	body := []byte(`{"id":"need/1/event/1/site:430682"}`)
	const ts = 1714552200 // 2024-05-01T08:30:00Z
	// Computed independently: python3 -c 'import hmac,hashlib; print(hmac.new(
	//   b"0123456789abcdef0123456789abcdef", b"1714552200." + body, hashlib.sha256).hexdigest())'
	const want = "sha256=e6e9d1704dc56a6c2c8796add0aadf331700f18f67062213a9982fda58575474"
	if got := Sign(secret, ts, body); got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
	now := time.Unix(ts, 0).Add(90 * time.Second)
	if err := Verify(secret, want, "1714552200", body, now, 0); err != nil {
		t.Errorf("Verify of a good request: %v", err)
	}
	for name, c := range map[string]struct {
		secret        []byte
		header, stamp string
		body          string
		now           time.Time
		skew          time.Duration
	}{
		"other body":       {secret, want, "1714552200", `{"id":"need/2/event/1/site:430682"}`, now, 0},
		"other secret":     {[]byte("another secret, 32 bytes long..."), want, "1714552200", string(body), now, 0},
		"other timestamp":  {secret, want, "1714552201", string(body), now, 0},
		"stale":            {secret, want, "1714552200", string(body), time.Unix(ts, 0).Add(6 * time.Minute), 0},
		"stale, own skew":  {secret, want, "1714552200", string(body), now, time.Minute},
		"from the future":  {secret, want, "1714552200", string(body), time.Unix(ts, 0).Add(-6 * time.Minute), 0},
		"no prefix":        {secret, want[len("sha256="):], "1714552200", string(body), now, 0},
		"not hex":          {secret, "sha256=zz", "1714552200", string(body), now, 0},
		"empty":            {secret, "", "", string(body), now, 0},
		"bad timestamp":    {secret, want, "2024-05-01T08:30:00Z", string(body), now, 0},
		"truncated digest": {secret, want[:len(want)-2], "1714552200", string(body), now, 0},
	} {
		err := Verify(c.secret, c.header, c.stamp, []byte(c.body), c.now, c.skew)
		if !errors.Is(err, ErrSignature) {
			t.Errorf("%s: Verify = %v, want ErrSignature", name, err)
		}
	}
}
