// Package dispatch holds the rules around the workflow that are not the state machine itself:
// residents' receipts, the candidate search for an order, and the timers that escalate waiting
// orders and erase personal text after its retention period.
package dispatch

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"strconv"
	"strings"
	"time"

	"civmap/auth"
)

// ReceiptBytes is a receipt's entropy: 80 bits (the dispatch issue asks for at least 64), so a
// receipt cannot be guessed, while 16 characters stay easy to read out over the phone.
const ReceiptBytes = 10

// crockford is Douglas Crockford's base-32 alphabet: digits and letters without I, L, O and U,
// so a receipt read aloud or copied by hand has no look-alikes.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// ReceiptSecret names the store secret receipts are derived with (store.Secrets).
const ReceiptSecret = "receipts"

// NewReceipt returns the receipt code of a need submission: 16 Crockford base-32 characters.
// With a dedupe key (civmap.Need.DedupeKey) it is an HMAC-SHA256 under secret of the key and the
// need's creation time (microseconds) — so a repeated submission, answered with the first
// one's need, gets the first one's receipt again (recomputed from that need's CreatedAt), while
// the same text sent again after the de-duplication window is a new need with a new receipt —
// and random otherwise. Only its hash is stored (ReceiptHash).
func NewReceipt(secret []byte, dedupeKey string, createdAt time.Time) string {
	var b []byte
	if dedupeKey != "" {
		m := hmac.New(sha256.New, secret)
		m.Write([]byte("receipt\x00" + dedupeKey + "\x00" + strconv.FormatInt(createdAt.UnixMicro(), 10)))
		b = m.Sum(nil)[:ReceiptBytes]
	} else {
		b = make([]byte, ReceiptBytes)
		rand.Read(b)
	}
	return encode32(b)
}

func encode32(b []byte) string {
	var sb strings.Builder
	var acc uint32
	bits := 0
	for _, x := range b {
		acc = acc<<8 | uint32(x)
		bits += 8
		for bits >= 5 {
			bits -= 5
			sb.WriteByte(crockford[(acc>>bits)&31])
		}
	}
	if bits > 0 {
		sb.WriteByte(crockford[(acc<<(5-bits))&31])
	}
	return sb.String()
}

// FormatReceipt shows a receipt in groups of four: "ABCD-EFGH-JKMN-PQRS".
func FormatReceipt(code string) string {
	var parts []string
	for i := 0; i < len(code); i += 4 {
		parts = append(parts, code[i:min(i+4, len(code))])
	}
	return strings.Join(parts, "-")
}

// NormalizeReceipt reads a receipt as a person may type it — lower case, with dashes or spaces,
// O for 0 and I or L for 1 — and returns its canonical form, or "" when it cannot be one.
func NormalizeReceipt(s string) string {
	var sb strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch {
		case r == '-' || r == ' ':
			continue
		case r == 'O':
			r = '0'
		case r == 'I' || r == 'L':
			r = '1'
		}
		if !strings.ContainsRune(crockford, r) {
			return ""
		}
		sb.WriteRune(r)
	}
	if sb.Len() != 16 {
		return ""
	}
	return sb.String()
}

// ReceiptHash is how stores keep a receipt (auth.HashSecret of its canonical form).
func ReceiptHash(code string) string { return auth.HashSecret(code) }
