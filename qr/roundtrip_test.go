package qr_test

import (
	"bytes"
	"image"
	"image/png"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"civmap"
	"civmap/qr"
	"civmap/qr/qrtest"

	"github.com/makiuchi-d/gozxing/qrcode/decoder"
)

var levels = []qr.Level{qr.L, qr.M, qr.Q, qr.H}

// roundTrip encodes payload at level, renders it with px pixels per module and decodes it with
// gozxing; it fails the test unless the exact bytes come back at the same level.
func roundTrip(t testing.TB, payload string, level qr.Level, px int) *qr.Code {
	t.Helper()
	c, err := qr.Encode(payload, level)
	if err != nil {
		t.Fatalf("Encode(%d bytes, %s): %v", len(payload), level, err)
	}
	img, err := c.Image(px)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrtest.Decode(img)
	if err != nil {
		t.Fatalf("gozxing cannot decode %d bytes at %s (version %d): %v", len(payload), level, c.Version, err)
	}
	if !bytes.Equal(res.Payload, []byte(payload)) {
		t.Fatalf("%d bytes at %s (version %d): decoded %q, want %q", len(payload), level, c.Version, res.Payload, payload)
	}
	if res.Text != payload {
		t.Fatalf("%d bytes at %s: decoded text %q, want %q", len(payload), level, res.Text, payload)
	}
	if res.Level != level.String() {
		t.Fatalf("decoded level %s, want %s", res.Level, level)
	}
	return c
}

// randomUTF8 returns a valid UTF-8 string of exactly n bytes mixing ASCII, Chinese (3 bytes)
// and 4-byte characters.
func randomUTF8(r *rand.Rand, n int) string {
	var b strings.Builder
	for b.Len() < n {
		left := n - b.Len()
		switch k := r.IntN(10); {
		case k < 3 && left >= 3:
			b.WriteRune(rune(0x4E00 + r.IntN(0x9FA5-0x4E00)))
		case k == 3 && left >= 4:
			b.WriteRune(rune(0x1F300 + r.IntN(0x2FF)))
		case k == 4 && left >= 2:
			b.WriteRune(rune(0xA0 + r.IntN(0x600)))
		default:
			b.WriteByte(byte(0x20 + r.IntN(0x5F)))
		}
	}
	return b.String()
}

func TestDataCodewordsMatchZXing(t *testing.T) {
	zl := []decoder.ErrorCorrectionLevel{decoder.ErrorCorrectionLevel_L, decoder.ErrorCorrectionLevel_M,
		decoder.ErrorCorrectionLevel_Q, decoder.ErrorCorrectionLevel_H}
	for v := 1; v <= 40; v++ {
		ver, err := decoder.Version_GetVersionForNumber(v)
		if err != nil {
			t.Fatal(err)
		}
		for i, l := range levels {
			n := 0
			for _, b := range ver.GetECBlocksForLevel(zl[i]).GetECBlocks() {
				n += b.GetCount() * b.GetDataCodewords()
			}
			cc := 8
			if v >= 10 {
				cc = 16
			}
			if want := (8*n - 4 - cc) / 8; qr.ByteCapacity(v, l) != want {
				t.Errorf("ByteCapacity(%d, %s) = %d, ZXing's tables give %d", v, l, qr.ByteCapacity(v, l), want)
			}
		}
	}
	if got := qr.ByteCapacity(40, qr.H); got != qr.MaxPayload {
		t.Errorf("ByteCapacity(40, H) = %d, want MaxPayload %d", got, qr.MaxPayload)
	}
	if got := qr.ByteCapacity(1, qr.L); got != 17 {
		t.Errorf("ByteCapacity(1, L) = %d, want 17 (ISO/IEC 18004 Table 7)", got)
	}
}

// Every one of the 176 site URLs decodes back exactly at every level, with gozxing and zbarimg.
func TestSiteURLsRoundTrip(t *testing.T) {
	sites, err := qrtest.LinxiangSites()
	if err != nil {
		t.Fatal(err)
	}
	if len(sites) != 176 {
		t.Fatalf("%d sites, want 176", len(sites))
	}
	dir := t.TempDir()
	want := map[string]string{}
	for _, s := range sites {
		u := qr.SiteURL("https://wmsj.linxiang.example.cn", s.Code)
		for _, l := range levels {
			c := roundTrip(t, u, l, 3)
			if l == qr.Q && c.Version > 5 {
				t.Errorf("%s at Q is version %d; a 47-byte site URL should stay at version ≤ 5", u, c.Version)
			}
			if l == qr.Q || l == qr.H {
				f := filepath.Join(dir, s.Code+"-"+l.String()+".png")
				writePNG(t, c, 3, f)
				want[f] = u
			}
		}
	}
	checkZBar(t, want, true)
}

func writePNG(t testing.TB, c *qr.Code, px int, file string) {
	t.Helper()
	var buf bytes.Buffer
	if err := c.WritePNG(&buf, px); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// checkZBar decodes each file with zbarimg, in text mode when text is set and always in binary
// mode, and checks it gives the wanted payload.
func checkZBar(t *testing.T, want map[string]string, text bool) {
	t.Helper()
	if !qrtest.HaveZBar() {
		if os.Getenv("CI") != "" {
			t.Fatal("zbarimg is not installed (apt-get install zbar-tools)")
		}
		t.Skip("zbarimg is not installed (apt-get install zbar-tools)")
	}
	var files []string
	for f := range want {
		files = append(files, f)
	}
	modes := []bool{true}
	if text {
		modes = append(modes, false)
	}
	for _, binary := range modes {
		got, err := qrtest.ZBar(binary, files...)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if string(got[f]) != want[f] {
				t.Errorf("zbarimg (binary %v) %s: got %q, want %q", binary, filepath.Base(f), got[f], want[f])
			}
		}
	}
}

// URLs with Chinese query text are encoded as UTF-8 bytes and come back exactly; SiteURL
// percent-encodes so that the site URLs themselves stay ASCII.
func TestChineseRoundTrip(t *testing.T) {
	dir := t.TempDir()
	want := map[string]string{}
	for i, p := range []string{
		"https://wmsj.linxiang.example.cn/s/430682103201?from=海报&town=桃林镇",
		"https://wmsj.linxiang.example.cn/search?q=新时代文明实践站 我要点单",
		"扫码查看活动 · 我要点单",
		"长",
	} {
		for _, l := range levels {
			c := roundTrip(t, p, l, 3)
			f := filepath.Join(dir, l.String()+string(rune('a'+i))+".png")
			writePNG(t, c, 3, f)
			want[f] = p
		}
	}
	checkZBar(t, want, false)
	if u := qr.SiteURL("https://例子.example.cn/", "站 1"); u != "https://%E4%BE%8B%E5%AD%90.example.cn/s/%E7%AB%99%201" {
		t.Errorf("SiteURL = %q, want every non-ASCII byte percent-encoded", u)
	}
}

// Payloads from 1 byte to MaxPayload, at every level: all lengths up to 160, every version's
// exact capacity and capacity+1 (where the version changes), and a spread above.
func TestPayloadLengthsRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 2026))
	lengths := map[int]bool{qr.MaxPayload: true}
	for n := 1; n <= 160; n++ {
		lengths[n] = true
	}
	for n := 161; n <= qr.MaxPayload; n += 199 {
		lengths[n] = true
	}
	for v := 1; v <= 40; v++ {
		for _, l := range levels {
			for _, c := range []int{qr.ByteCapacity(v, l), qr.ByteCapacity(v, l) + 1} {
				if c <= qr.MaxPayload {
					lengths[c] = true
				}
			}
		}
	}
	if testing.Short() {
		lengths = map[int]bool{1: true, 17: true, 18: true, 1273: true}
	}
	bumped, total := 0, 0
	defer func() { t.Logf("%d of %d codes needed a larger version than the minimum to decode", bumped, total) }()
	for _, n := range slices.Sorted(maps.Keys(lengths)) {
		for _, l := range levels {
			p := randomUTF8(r, n)
			if r.IntN(3) == 0 {
				p = strings.Repeat("a", n) // ASCII only
			}
			px := 2 + n%3 // versions below 20 decode at every scale; above, at 2 px per module
			if n > qr.ByteCapacity(19, l) {
				px = 2
			}
			c := roundTrip(t, p, l, px)
			v, _ := qr.MinVersion(n, l)
			if c.Version < v || c.Version > v+3 || qr.ByteCapacity(c.Version, l) < n {
				t.Errorf("%d bytes at %s: version %d, want %d (the smallest that holds it) to %d", n, l, c.Version, v, v+3)
			}
			if c.Version > v {
				bumped++
			}
			total++
		}
	}
}

func TestEncodeErrors(t *testing.T) {
	for _, tc := range []struct {
		payload string
		level   qr.Level
		code    string
	}{
		{"", qr.Q, civmap.EINVALID},
		{strings.Repeat("x", qr.MaxPayload+1), qr.L, civmap.ETOOLARGE},
		{"\xff\xfe", qr.Q, civmap.EINVALID},
		{"ok", qr.Level(7), civmap.EINVALID},
	} {
		_, err := qr.Encode(tc.payload, tc.level)
		if civmap.ErrorCode(err) != tc.code {
			t.Errorf("Encode(%d bytes, %d): error %v, want code %s", len(tc.payload), tc.level, err, tc.code)
		}
	}
}

// The PNG size rule: a whole number of pixels per module, the image no larger than asked,
// and a size below the minimum rejected with an EINVALID error naming "size" and the minimum.
func TestModulePx(t *testing.T) {
	c, err := qr.Encode("https://wmsj.linxiang.example.cn/s/430682103201", qr.Q)
	if err != nil {
		t.Fatal(err)
	}
	w := c.Width()
	for size := 1; size <= qr.MaxImagePx+1; size++ {
		px, err := c.ModulePx(size)
		switch {
		case size < c.MinImagePx():
			if civmap.ErrorCode(err) != civmap.EINVALID || civmap.ErrorField(err) != "size" ||
				!strings.Contains(civmap.ErrorMessage(err), itoa(c.MinImagePx())) {
				t.Fatalf("ModulePx(%d) = %d, %v; want EINVALID naming size and the minimum %d", size, px, err, c.MinImagePx())
			}
		case size > qr.MaxImagePx:
			if civmap.ErrorField(err) != "size" {
				t.Fatalf("ModulePx(%d): %v, want an error naming size", size, err)
			}
		default:
			if err != nil || px != size/w || px < qr.MinModulePx || px*w > size || (px+1)*w <= size {
				t.Fatalf("ModulePx(%d) = %d, %v; want %d", size, px, err, size/w)
			}
		}
	}
	// The image has exactly Width·px pixels a side and decodes at the minimum size.
	px, _ := c.ModulePx(c.MinImagePx())
	img, _ := c.Image(px)
	if b := img.Bounds(); b.Dx() != c.MinImagePx() || b.Dy() != c.MinImagePx() {
		t.Fatalf("image is %v, want %d px a side", b, c.MinImagePx())
	}
	if _, err := qrtest.Decode(img); err != nil {
		t.Errorf("the minimum-size PNG does not decode: %v", err)
	}
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}

// A PNG round trip through the encoder: the file decodes as a PNG of the promised size.
func TestWritePNG(t *testing.T) {
	c, err := qr.Encode("https://wmsj.linxiang.example.cn/s/430682", qr.Q)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := c.WritePNG(&buf, 5); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds() != image.Rect(0, 0, 5*c.Width(), 5*c.Width()) {
		t.Errorf("bounds %v", img.Bounds())
	}
	if !utf8.ValidString(c.Payload) {
		t.Error("payload")
	}
}
