package auth

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"civmap"
	"civmap/store"
)

// Store is what the Service needs from a store.
type Store interface {
	store.Accounts
	store.Throttle
	store.Audit
}

// Session lifetimes (defaults of Service). A staff session signed in with a password ends after
// 2 hours without a request and 12 hours after sign-in (a working day; OWASP Session
// Management: idle 15–30 min for high-value, 2–8 h for low-risk applications). A volunteer's
// phone signed in by personal code stays signed in for 90 days of inactivity and a year in all:
// rural volunteers should not have to rescan for every service.
const (
	DefaultPasswordIdle   = 2 * time.Hour
	DefaultPasswordMaxAge = 12 * time.Hour
	DefaultDeviceIdle     = 90 * 24 * time.Hour
	DefaultDeviceMaxAge   = 365 * 24 * time.Hour
)

// touchEvery is how stale LastSeenAt/LastUsedAt may get before a request updates it: at most
// one write a minute per session or token.
const touchEvery = time.Minute

// Service signs users in and out and authenticates requests. Its zero lifetimes and back-offs
// take the defaults.
type Service struct {
	Store                        Store
	Now                          func() time.Time // default time.Now
	PasswordIdle, PasswordMaxAge time.Duration
	DeviceIdle, DeviceMaxAge     time.Duration
	Login, Addr                  Backoff
}

// Credential is a signed-in session and its secret (for the cookie; never stored or logged).
type Credential struct {
	Secret  string
	Session civmap.Session
	User    civmap.User
}

var errBadLogin = &civmap.Error{Code: civmap.EUNAUTHORIZED, Message: "登录名或密码错误"}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// NormalizeLogin is how login names are compared: trimmed and lower-case.
func NormalizeLogin(login string) string { return strings.ToLower(strings.TrimSpace(login)) }

// SignIn checks a login name and password sent from client address addr and, when they match
// an enabled user with a password, starts a password session. Errors:
//   - ETOOMANY with Retry while the login name or the address is locked by the back-off
//     (checked first: during a lock even the right password is refused, unchecked);
//   - EUNAUTHORIZED "登录名或密码错误" for an unknown name, a wrong password, a disabled user
//     or one without a password — the same error after the same work in every case (an
//     unknown name is checked against a dummy hash), so a response never tells whether a
//     name exists.
//
// A failure counts against both keys and is audited (civmap.AuditFailed; the attempted name
// is not recorded, since people type passwords into the name field).
func (s *Service) SignIn(ctx context.Context, login, password, addr, userAgent string) (Credential, error) {
	login = NormalizeLogin(login)
	now := s.now()
	keys := []string{loginKey(login), addrKey(addr)}
	backoffs := []Backoff{or(s.Login, LoginBackoff), or(s.Addr, AddrBackoff)}
	state, err := s.Store.LoginFailures(ctx, keys)
	if err != nil {
		return Credential{}, err
	}
	if wait := maxWait(backoffs, state, now); wait > 0 {
		return Credential{}, tooMany(wait)
	}
	u, err := s.Store.UserByLogin(ctx, login)
	found := err == nil
	if err != nil && civmap.ErrorCode(err) != civmap.ENOTFOUND {
		return Credential{}, err
	}
	hash := u.PasswordHash
	if !found || hash == "" {
		hash = dummyHash()
	}
	ok := VerifyPassword(hash, password) && found && u.PasswordHash != "" && !u.Disabled
	if !ok {
		if _, err := s.Store.AddLoginFailure(ctx, keys, now, max(backoffs[0].Forget, backoffs[1].Forget)); err != nil {
			return Credential{}, err
		}
		rec := civmap.AuditRecord{At: now, ActorLogin: "anonymous", Addr: addr, Action: civmap.AuditFailed,
			Kind: civmap.KindSession, Note: "unknown login"}
		if found {
			rec.Kind, rec.RecordID, rec.Note = civmap.KindUser, strconv.FormatInt(u.ID, 10), "wrong password, no password or disabled"
		}
		if err := s.Store.AppendAudit(ctx, rec); err != nil {
			return Credential{}, err
		}
		return Credential{}, errBadLogin
	}
	if err := s.Store.ClearLoginFailures(ctx, keys[:1]); err != nil {
		return Credential{}, err
	}
	return s.start(ctx, u, civmap.SessionPassword, addr, userAgent, or(s.PasswordIdle, DefaultPasswordIdle),
		or(s.PasswordMaxAge, DefaultPasswordMaxAge))
}

func maxWait(bs []Backoff, state []store.LoginFailure, now time.Time) time.Duration {
	var w time.Duration
	for i, f := range state {
		w = max(w, bs[i].Wait(f, now))
	}
	return w
}

func tooMany(wait time.Duration) error {
	wait = wait.Round(time.Second) + time.Second
	return &civmap.Error{Code: civmap.ETOOMANY, Retry: wait,
		Message: "登录失败次数过多，请 " + humanDuration(wait) + "后再试"}
}

// humanDuration is a wait in Chinese: "45 秒", "3 分钟", "1 小时".
func humanDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return strconv.Itoa(int(d.Seconds())) + " 秒"
	case d < time.Hour:
		return strconv.Itoa(int((d+time.Minute-1)/time.Minute)) + " 分钟"
	}
	return strconv.Itoa(int((d+time.Hour-1)/time.Hour)) + " 小时"
}

// start creates a session for u, audited as u signing in.
func (s *Service) start(ctx context.Context, u civmap.User, kind civmap.SessionKind, addr, userAgent string, idle, maxAge time.Duration) (Credential, error) {
	now := s.now()
	secret := NewSecret("")
	ctx = civmap.WithActor(ctx, civmap.Actor{UserID: u.ID, Login: u.Login, Role: u.Role, Addr: addr})
	sess, err := s.Store.CreateSession(ctx, civmap.Session{
		UserID: u.ID, Kind: kind, TokenHash: HashSecret(secret), CreatedAt: now, LastSeenAt: now,
		ExpiresAt: now.Add(maxAge), Idle: idle, Addr: addr, UserAgent: truncate(userAgent, 200),
	})
	if err != nil {
		return Credential{}, err
	}
	return Credential{Secret: secret, Session: sess, User: u}, nil
}

func truncate(s string, n int) string {
	s = strings.ToValidUTF8(s, "")
	for len(s) > n {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}

// SignInWithCode signs a phone in as the volunteer whose personal code it scanned: a device
// session. EUNAUTHORIZED "该志愿者码无效或已作废" for a malformed, unknown or replaced code, or a
// disabled user.
func (s *Service) SignInWithCode(ctx context.Context, code, addr, userAgent string) (Credential, error) {
	bad := &civmap.Error{Code: civmap.EUNAUTHORIZED, Message: "该志愿者码无效或已作废，请联系所在实践站重新领取"}
	if !wellFormed("", code) {
		return Credential{}, bad
	}
	u, err := s.Store.UserByCode(ctx, HashSecret(code))
	if civmap.ErrorCode(err) == civmap.ENOTFOUND || (err == nil && u.Disabled) {
		return Credential{}, bad
	} else if err != nil {
		return Credential{}, err
	}
	return s.start(ctx, u, civmap.SessionDevice, addr, userAgent, or(s.DeviceIdle, DefaultDeviceIdle),
		or(s.DeviceMaxAge, DefaultDeviceMaxAge))
}

// CodeUser returns the user a personal code signs in, without signing in (the landing page
// shows whose code it is). The same errors as SignInWithCode.
func (s *Service) CodeUser(ctx context.Context, code string) (civmap.User, error) {
	bad := &civmap.Error{Code: civmap.EUNAUTHORIZED, Message: "该志愿者码无效或已作废，请联系所在实践站重新领取"}
	if !wellFormed("", code) {
		return civmap.User{}, bad
	}
	u, err := s.Store.UserByCode(ctx, HashSecret(code))
	if civmap.ErrorCode(err) == civmap.ENOTFOUND || (err == nil && u.Disabled) {
		return civmap.User{}, bad
	}
	return u, err
}

var errSession = &civmap.Error{Code: civmap.EUNAUTHORIZED, Message: "登录已过期，请重新登录"}

// Authenticate returns the user and session a session cookie's secret belongs to. EUNAUTHORIZED
// when the secret is malformed or unknown, the session expired, idled out or was revoked, or
// the user is disabled.
func (s *Service) Authenticate(ctx context.Context, secret string) (civmap.User, civmap.Session, error) {
	if !wellFormed("", secret) {
		return civmap.User{}, civmap.Session{}, errSession
	}
	sess, u, err := s.Store.SessionByHash(ctx, HashSecret(secret))
	if civmap.ErrorCode(err) == civmap.ENOTFOUND {
		return civmap.User{}, civmap.Session{}, errSession
	} else if err != nil {
		return civmap.User{}, civmap.Session{}, err
	}
	now := s.now()
	if !sess.Active(now) || u.Disabled {
		return civmap.User{}, civmap.Session{}, errSession
	}
	if now.Sub(sess.LastSeenAt) >= touchEvery {
		if err := s.Store.TouchSession(ctx, sess.ID, now); err != nil {
			return civmap.User{}, civmap.Session{}, err
		}
		sess.LastSeenAt = now
	}
	return u, sess, nil
}

var errToken = &civmap.Error{Code: civmap.EUNAUTHORIZED, Message: "API 令牌无效或已撤销"}

// AuthenticateToken returns the user and token an API token's secret belongs to. EUNAUTHORIZED
// when it is malformed, unknown or revoked, or the user is disabled.
func (s *Service) AuthenticateToken(ctx context.Context, secret string) (civmap.User, civmap.APIToken, error) {
	if !wellFormed(TokenPrefix, secret) {
		return civmap.User{}, civmap.APIToken{}, errToken
	}
	tok, u, err := s.Store.TokenByHash(ctx, HashSecret(secret))
	if civmap.ErrorCode(err) == civmap.ENOTFOUND {
		return civmap.User{}, civmap.APIToken{}, errToken
	} else if err != nil {
		return civmap.User{}, civmap.APIToken{}, err
	}
	if !tok.RevokedAt.IsZero() || u.Disabled {
		return civmap.User{}, civmap.APIToken{}, errToken
	}
	if now := s.now(); now.Sub(tok.LastUsedAt) >= touchEvery {
		if err := s.Store.TouchToken(ctx, tok.ID, now); err != nil {
			return civmap.User{}, civmap.APIToken{}, err
		}
		tok.LastUsedAt = now
	}
	return u, tok, nil
}

// IssueCode gives a volunteer a new personal code, replacing (and so revoking) the old one and
// signing out the phones signed in with it. It returns the code's secret, to be shown once as
// a URL and QR code. The caller has authorized the actor (IssueCode). EINVALID when the user is
// not a volunteer; ENOTFOUND.
func (s *Service) IssueCode(ctx context.Context, userID int64) (string, civmap.User, error) {
	u, err := s.Store.User(ctx, userID)
	if err != nil {
		return "", civmap.User{}, err
	}
	if u.Role != civmap.RoleVolunteer {
		return "", civmap.User{}, civmap.FieldErrorf("role", "志愿者码只发给志愿者账号，%s 是%s", u.Login, u.Role.Title())
	}
	secret := NewSecret("")
	u, err = s.Store.IssueCode(ctx, userID, HashSecret(secret))
	if err != nil {
		return "", civmap.User{}, err
	}
	return secret, u, nil
}

// CreateToken creates an API token for user userID on behalf of admin createdBy and returns its
// secret (shown once) and record. EINVALID as civmap.APIToken.Validate; ENOTFOUND.
func (s *Service) CreateToken(ctx context.Context, userID int64, name string, createdBy int64) (string, civmap.APIToken, error) {
	secret := NewSecret(TokenPrefix)
	tok := civmap.APIToken{UserID: userID, Name: strings.TrimSpace(name), Hash: HashSecret(secret),
		Prefix: secret[:len(TokenPrefix)+6], CreatedBy: createdBy, CreatedAt: s.now()}
	if err := tok.Validate(); err != nil {
		return "", civmap.APIToken{}, err
	}
	tok, err := s.Store.CreateToken(ctx, tok)
	if err != nil {
		return "", civmap.APIToken{}, err
	}
	return secret, tok, nil
}
