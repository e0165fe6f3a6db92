package auth

import (
	"net/netip"
	"strings"
	"time"

	"civmap/store"
)

// Backoff is the lock after repeated failed sign-ins against one key: once a key has Threshold
// failures, each failure locks it for Base·2^(failures−Threshold), at most Max, counted from
// that failure; a key's count restarts after Forget without failures. While locked, every
// attempt — even with the right password — is refused without being checked.
type Backoff struct {
	Threshold int
	Base, Max time.Duration
	Forget    time.Duration
}

// Default back-offs (the accounts issue: "exponential back-off after 5 failures"). Per login
// name: 5 failures, then 30 s, 1 min, 2 min … up to 1 h, remembered for a day. Per client
// address: 10, since a village office shares one address among its staff; forgotten after
// an hour. An attacker thus gets about one guess an hour per name once locked out, and a
// locked-out user waits at most an hour.
var (
	LoginBackoff = Backoff{Threshold: 5, Base: 30 * time.Second, Max: time.Hour, Forget: 24 * time.Hour}
	AddrBackoff  = Backoff{Threshold: 10, Base: 30 * time.Second, Max: time.Hour, Forget: time.Hour}
)

// Wait returns how long key state f stays locked at now; 0 when it is not locked.
func (b Backoff) Wait(f store.LoginFailure, now time.Time) time.Duration {
	if f.Count < b.Threshold || now.Sub(f.Last) >= b.Forget {
		return 0
	}
	d := b.Max
	if n := f.Count - b.Threshold; n < 32 {
		if x := b.Base << n; x > 0 && x < b.Max {
			d = x
		}
	}
	if until := f.Last.Add(d); now.Before(until) {
		return until.Sub(now)
	}
	return 0
}

// loginKey and addrKey are the throttle keys of a login name and a client address. An IPv6
// address counts by its /64 prefix (one subscriber's whole allocation); an IPv4 address by
// itself.
func loginKey(login string) string { return "login:" + login }

func addrKey(addr string) string {
	ip, err := netip.ParseAddr(strings.TrimSpace(addr))
	if err != nil {
		return "addr:" + addr
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return "addr:" + p.String()
	}
	return "addr:" + ip.String()
}
