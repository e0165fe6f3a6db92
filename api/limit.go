package api

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"civmap"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/time/rate"
)

// Rate is a token bucket: at most N requests at once, refilled at N per Per.
type Rate struct {
	N   int
	Per time.Duration
}

// Default limits on anonymous need submissions (the accounts issue: "limited per client address
// and per site"): a client address may submit 5 needs, then one every 2 minutes; a site takes
// 30 needs, then one every 2 minutes, whoever sends them (so a flood from many addresses cannot
// bury a post's queue).
var (
	DefaultNeedLimitAddr = Rate{N: 5, Per: 10 * time.Minute}
	DefaultNeedLimitSite = Rate{N: 30, Per: time.Hour}
)

// String is the rate as ParseRate reads it, e.g. "5/10m0s".
func (r Rate) String() string { return fmt.Sprintf("%d/%s", r.N, r.Per) }

// ParseRate reads "N/duration" ("5/10m", "30/1h"): N ≥ 1 requests at once, refilled at N per
// duration. EINVALID naming field for anything else.
func ParseRate(field, s string) (Rate, error) {
	n, per, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Rate{}, civmap.FieldErrorf(field, "%q is not N/duration, e.g. 5/10m", s)
	}
	r := Rate{}
	var err error
	if r.N, err = strconv.Atoi(n); err != nil || r.N < 1 {
		return Rate{}, civmap.FieldErrorf(field, "%q: N must be a whole number ≥ 1", s)
	}
	if r.Per, err = time.ParseDuration(per); err != nil || r.Per <= 0 {
		return Rate{}, civmap.FieldErrorf(field, "%q: the duration must be positive, e.g. 10m or 1h", s)
	}
	return r, nil
}

// limiterCap bounds how many buckets a limiter keeps: the least recently used are forgotten
// (their client starts again with a full bucket), so a flood of addresses cannot grow memory.
const limiterCap = 1 << 16

// limiter is a token bucket per key (golang.org/x/time/rate), in a bounded LRU.
type limiter struct {
	rate    Rate
	now     func() time.Time
	mu      sync.Mutex
	buckets *lru.Cache[string, *rate.Limiter]
}

func newLimiter(r Rate, now func() time.Time) *limiter {
	c, _ := lru.New[string, *rate.Limiter](limiterCap) // the size is a positive constant
	return &limiter{rate: r, now: now, buckets: c}
}

// reserve takes one token from key's bucket: ok when there was one (cancel gives it back),
// otherwise how long until there will be one (nothing taken).
func (l *limiter) reserve(key string) (cancel func(), wait time.Duration) {
	l.mu.Lock()
	b, found := l.buckets.Get(key)
	if !found {
		b = rate.NewLimiter(rate.Every(l.rate.Per/time.Duration(l.rate.N)), l.rate.N)
		l.buckets.Add(key, b)
	}
	l.mu.Unlock()
	now := l.now()
	res := b.ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return nil, d
	}
	return func() { res.CancelAt(now) }, 0
}

// needLimits applies the anonymous-submission limits of one client address and one site: both
// must have a token; a refusal takes none from either.
type needLimits struct{ addr, site *limiter }

// allow takes a token from both buckets, or from neither: ETOOMANY with Retry then.
func (n *needLimits) allow(addr, site string) error {
	undo, wait := n.addr.reserve(addr)
	if undo != nil {
		var undoSite func()
		if undoSite, wait = n.site.reserve(site); undoSite == nil {
			undo()
		}
	}
	if wait <= 0 {
		return nil
	}
	secs := int(math.Ceil(wait.Seconds()))
	return &civmap.Error{Code: civmap.ETOOMANY, Retry: time.Duration(secs) * time.Second,
		Message: fmt.Sprintf("提交过于频繁，请 %s后再试", waitText(secs))}
}

func waitText(secs int) string {
	if secs < 60 {
		return strconv.Itoa(secs) + " 秒"
	}
	return strconv.Itoa((secs+59)/60) + " 分钟"
}

// dedupeKey identifies a need submission for civmap.Need.DedupeKey: a SHA-256 over who sent it
// (user or client address) and what it says, so the client's address itself is never stored.
func dedupeKey(actor civmap.Actor, req needRequest) string {
	h := sha256.New()
	place := ""
	if req.Place != nil {
		place = req.Place.Code
		if req.Place.Lon != nil && req.Place.Lat != nil {
			place = fmt.Sprintf("%.7f,%.7f", *req.Place.Lon, *req.Place.Lat)
		}
	}
	for _, part := range []string{"need/v1", actor.Name(), actor.Addr, string(req.Category), req.Description, place, req.Phone} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}
