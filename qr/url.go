package qr

import (
	"net/url"
	"strings"
)

// SiteURL is the URL a site's QR code encodes: base (scheme://host[/prefix], trailing slashes
// dropped) + "/s/" + code. Every byte outside printable ASCII, in the base or the code, is
// percent-encoded (RFC 3986 §2.1), so the URL is short ASCII that byte mode carries 1:1 and any
// decoder reads the same way; the code is also path-escaped. Linxiang's URLs with a base like
// "https://wmsj.linxiang.example.cn" are 44 bytes: version 4 at level Q.
func SiteURL(base, code string) string {
	return asciiOnly(strings.TrimRight(base, "/")) + "/s/" + url.PathEscape(code)
}

// asciiOnly percent-encodes every byte of s that is not printable ASCII.
func asciiOnly(s string) string {
	var b strings.Builder
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= 0x20 || c >= 0x7f {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
