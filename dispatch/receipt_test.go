package dispatch_test

import (
	"strings"
	"testing"
	"time"

	"civmap/dispatch"
)

func TestReceipt(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 123456000, time.UTC)
	a, b := dispatch.NewReceipt(secret, "key-1", t0), dispatch.NewReceipt(secret, "key-1", t0)
	c := dispatch.NewReceipt(secret, "key-2", t0)
	later := dispatch.NewReceipt(secret, "key-1", t0.Add(11*time.Minute))
	r1, r2 := dispatch.NewReceipt(secret, "", t0), dispatch.NewReceipt(secret, "", t0)
	if a != b || a == c || a == later || r1 == r2 || len(a) != 16 || len(r1) != 16 {
		t.Errorf("receipts %s %s %s %s %s %s", a, b, c, later, r1, r2)
	}
	if dispatch.NewReceipt([]byte("other"), "key-1", t0) == a {
		t.Error("the secret does not change the receipt")
	}
	f := dispatch.FormatReceipt(a)
	if len(f) != 19 || strings.Count(f, "-") != 3 {
		t.Errorf("formatted %q", f)
	}
	for _, typed := range []string{f, strings.ToLower(f), strings.ReplaceAll(f, "-", " "), a} {
		if got := dispatch.NormalizeReceipt(typed); got != a {
			t.Errorf("NormalizeReceipt(%q) = %q, want %q", typed, got, a)
		}
	}
	if dispatch.NormalizeReceipt("0O1IL") != "" || dispatch.NormalizeReceipt("OOOO-IIII-LLLL-1111") != "0000111111111111" {
		t.Error("look-alikes")
	}
	for _, bad := range []string{"", "short", a + "X", "UUUU-UUUU-UUUU-UUUU", "<script>"} {
		if dispatch.NormalizeReceipt(bad) != "" {
			t.Errorf("NormalizeReceipt(%q) accepted", bad)
		}
	}
	if dispatch.ReceiptHash(a) == a || len(dispatch.ReceiptHash(a)) != 64 {
		t.Error("hash")
	}
}
