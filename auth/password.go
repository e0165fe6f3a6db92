package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"civmap"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters for new password hashes: RFC 9106 §4, the second recommended option
// (t=3 passes, p=4 lanes, m=64 MiB, 128-bit salt, 256-bit tag), the one for machines where 2 GiB
// per hash is too much. About 0.1–0.2 s per hash on one core of a 2-core server.
const (
	argonTime    = 3
	argonMemory  = 64 * 1024 // KiB
	argonThreads = 4
	argonSaltLen = 16
	argonKeyLen  = 32
)

// MinPasswordChars and MaxPasswordChars bound a password's length, in characters (NIST SP
// 800-63B §5.1.1.2: at least 8, allow at least 64).
const (
	MinPasswordChars = 8
	MaxPasswordChars = 256
)

// hashSlots bounds how many argon2id hashes run at once (each holds 64 MiB), so a burst of
// sign-ins cannot exhaust memory: further ones wait their turn.
var hashSlots = make(chan struct{}, 2)

// CheckPassword returns an EINVALID error naming "password" unless p has MinPasswordChars to
// MaxPasswordChars characters of valid UTF-8.
func CheckPassword(p string) error {
	n := len([]rune(p))
	switch {
	case !utf8.ValidString(p) || strings.ContainsRune(p, 0):
		return civmap.FieldErrorf("password", "密码含有无效字符")
	case n < MinPasswordChars:
		return civmap.FieldErrorf("password", "密码至少 %d 个字符", MinPasswordChars)
	case n > MaxPasswordChars:
		return civmap.FieldErrorf("password", "密码至多 %d 个字符", MaxPasswordChars)
	}
	return nil
}

// HashPassword returns the argon2id hash of password in PHC string form,
// "$argon2id$v=19$m=65536,t=3,p=4$<salt>$<hash>" (unpadded standard base64), with a fresh
// random salt. EINVALID when CheckPassword refuses the password.
func HashPassword(password string) (string, error) {
	if err := CheckPassword(password); err != nil {
		return "", err
	}
	salt := make([]byte, argonSaltLen)
	rand.Read(salt)
	hashSlots <- struct{}{}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	<-hashSlots
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword reports whether password matches the PHC string hash, with the parameters
// recorded in it (so hashes made with older parameters keep working). A malformed hash, or
// parameters beyond sane bounds, never matches.
func VerifyPassword(hash, password string) bool {
	var p struct {
		v       int
		m, t    uint32
		threads uint8
	}
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	if _, err := fmt.Sscanf(parts[2], "v=%d", &p.v); err != nil || p.v != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.m, &p.t, &p.threads); err != nil ||
		p.m < 8 || p.m > 1<<20 || p.t < 1 || p.t > 16 || p.threads < 1 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) < 16 || len(want) > 64 {
		return false
	}
	hashSlots <- struct{}{}
	got := argon2.IDKey([]byte(password), salt, p.t, p.m, p.threads, uint32(len(want)))
	<-hashSlots
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is verified against when a login name is unknown, so that answering "wrong
// password" and "no such user" takes the same work.
var dummyHash = sync.OnceValue(func() string {
	h, err := HashPassword("civmap-no-such-user")
	if err != nil {
		panic(err) // the constant password is valid
	}
	return h
})

// NewPassword returns a generated password for a new staff account, printed or shown once:
// 16 characters from an alphabet without look-alikes (no 0/O, 1/l/I), about 90 bits.
func NewPassword() string {
	const alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	out := make([]byte, 0, 16)
	var b [1]byte
	for len(out) < 16 {
		rand.Read(b[:])
		if int(b[0]) < 256/len(alphabet)*len(alphabet) { // no modulo bias
			out = append(out, alphabet[int(b[0])%len(alphabet)])
		}
	}
	return string(out)
}
