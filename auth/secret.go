package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// SecretBytes is the entropy of every secret auth hands out (session cookies, API tokens,
// personal codes): 256 random bits, so a secret cannot be guessed and a fast hash (SHA-256) is
// enough to store it.
const SecretBytes = 32

// TokenPrefix starts every API token, so that a token pasted somewhere it should not be is
// recognisable (and a secret scanner can find it).
const TokenPrefix = "cvm_"

// NewSecret returns prefix followed by SecretBytes random bytes in unpadded URL-safe base64
// (43 characters), safe in URLs, cookies and headers.
func NewSecret(prefix string) string {
	b := make([]byte, SecretBytes)
	rand.Read(b)
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// HashSecret is how stores keep a secret: the SHA-256 of its text, in hex.
func HashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// wellFormed reports whether s looks like a secret auth made with prefix: the prefix and 43
// URL-safe base64 characters. Anything else is refused before a store lookup.
func wellFormed(prefix, s string) bool {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok || len(rest) != 43 {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(rest)
	return err == nil
}
