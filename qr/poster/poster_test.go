package poster_test

import (
	"bytes"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"civmap"
	"civmap/qr"
	"civmap/qr/poster"
	"civmap/qr/qrtest"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
)

const base = "https://wmsj.linxiang.example.cn"

// needTool skips the test (fails it on CI) when a command is not installed.
func needTool(t *testing.T, name, pkg string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed (apt-get install %s)", name, pkg)
		}
		t.Skipf("%s is not installed (apt-get install %s)", name, pkg)
	}
}

func loadFont(t testing.TB) *poster.Font {
	t.Helper()
	f, err := poster.LoadFont(os.Getenv("CIVMAP_FONT"))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

var all struct {
	once  sync.Once
	pdf   []byte
	sites []poster.Site
	err   error
}

// allPostersPDF renders the 176 posters once per test binary.
func allPostersPDF(t *testing.T) ([]byte, []poster.Site) {
	t.Helper()
	all.once.Do(func() {
		sites, err := qrtest.LinxiangSites()
		if err != nil {
			all.err = err
			return
		}
		all.sites = poster.FromSites(sites, base)
		f, err := poster.LoadFont(os.Getenv("CIVMAP_FONT"))
		if err != nil {
			all.err = err
			return
		}
		pages, err := poster.LayoutAll(f, all.sites, poster.Options{Level: qr.Q})
		if err != nil {
			all.err = err
			return
		}
		var buf bytes.Buffer
		all.err = poster.WritePDF(&buf, f, pages)
		all.pdf = buf.Bytes()
	})
	if all.err != nil {
		t.Fatal(all.err)
	}
	return all.pdf, all.sites
}

// The 176-page PDF: every page renders (pdftoppm), its code decodes to the site's URL with
// zbarimg and with gozxing, and its text holds the site's name, parent and code (pdftotext).
func TestAllPostersScanAndRead(t *testing.T) {
	needTool(t, "pdftoppm", "poppler-utils")
	needTool(t, "pdftotext", "poppler-utils")
	needTool(t, "zbarimg", "zbar-tools")
	pdf, sites := allPostersPDF(t)
	if len(sites) != 176 {
		t.Fatalf("%d sites, want 176", len(sites))
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "all.pdf")
	if err := os.WriteFile(file, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := api.ValidateFile(file, model.NewDefaultConfiguration()); err != nil {
		t.Fatalf("pdfcpu: the PDF is not valid: %v", err)
	}
	if n, err := api.PageCountFile(file); err != nil || n != 176 {
		t.Fatalf("%d pages (%v), want 176", n, err)
	}
	// 40 dpi: a 120 mm code of 45 modules has 4.2 px per module, which zbar reads reliably.
	out, err := exec.Command("pdftoppm", "-r", "40", "-gray", "-png", file, filepath.Join(dir, "p")).CombinedOutput()
	if err != nil {
		t.Fatalf("pdftoppm: %v: %s", err, out)
	}
	pngs, _ := filepath.Glob(filepath.Join(dir, "p-*.png"))
	if len(pngs) != 176 {
		t.Fatalf("pdftoppm made %d pages, want 176", len(pngs))
	}
	pageOf := func(f string) int {
		n, _ := strconv.Atoi(strings.TrimSuffix(filepath.Base(f)[2:], ".png"))
		return n
	}
	got, err := qrtest.ZBar(false, pngs...)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range pngs {
		want := sites[pageOf(f)-1].URL
		if string(got[f]) != want {
			t.Errorf("page %d: zbarimg read %q, want %q", pageOf(f), got[f], want)
		}
		b, _ := os.ReadFile(f)
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if d, err := qr.Decode(img); err != nil || d.Text != want {
			t.Errorf("page %d: gozxing read %q, %v; want %q", pageOf(f), d.Text, err, want)
		}
	}
	text, err := exec.Command("pdftotext", "-enc", "UTF-8", file, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	pages := strings.Split(string(text), "\f")
	for i, s := range sites {
		p := pages[i]
		for _, want := range []string{s.Level.Title(), s.Name, s.URL, poster.CallToAction, "阵地编码：" + s.Code} {
			if !strings.Contains(p, want) {
				t.Errorf("page %d (%s): pdftotext has no %q in %q", i+1, s.Code, want, p)
			}
		}
		if s.Parent != "" && !strings.Contains(p, "所属："+s.Parent) {
			t.Errorf("page %d: no parent %q", i+1, s.Parent)
		}
	}
}

var (
	rgRe   = regexp.MustCompile(`^([\d.]+) ([\d.]+) ([\d.]+) rg$`)
	rectRe = regexp.MustCompile(`^([\d.-]+) ([\d.-]+) ([\d.-]+) ([\d.-]+) re f$`)
)

// The printed size, computed from the PDF's own drawing operators: on every page the code's
// dark modules (black filled rectangles) span a square whose width plus the 4-module quiet zone
// on each side is at least 6 cm, and the white square under the code holds that quiet zone.
func TestPrintedSizeFromPDF(t *testing.T) {
	pdf, sites := allPostersPDF(t)
	ctx, err := api.ReadContext(bytes.NewReader(pdf), model.NewDefaultConfiguration())
	if err != nil {
		t.Fatal(err)
	}
	if err := ctx.EnsurePageCount(); err != nil {
		t.Fatal(err)
	}
	const ptPerMM = 72 / 25.4
	for pageNr := 1; pageNr <= len(sites); pageNr++ {
		d, _, _, err := ctx.PageDict(pageNr, false)
		if err != nil {
			t.Fatal(err)
		}
		content, err := ctx.PageContent(d, pageNr)
		if err != nil {
			t.Fatal(err)
		}
		var fill string
		var dark [][4]float64
		var white [][4]float64
		for _, line := range strings.Split(string(content), "\n") {
			line = strings.TrimSpace(line)
			if m := rgRe.FindStringSubmatch(line); m != nil {
				fill = m[1] + " " + m[2] + " " + m[3]
				continue
			}
			if m := rectRe.FindStringSubmatch(line); m != nil {
				var r [4]float64
				for i := range r {
					r[i], _ = strconv.ParseFloat(m[i+1], 64)
				}
				switch fill {
				case "0.000 0.000 0.000", "0 0 0":
					dark = append(dark, r)
				case "1.000 1.000 1.000", "1 1 1":
					white = append(white, r)
				}
			}
		}
		if len(dark) < 50 {
			t.Fatalf("page %d: %d dark rectangles; fill operators are not what the test expects: %.400s", pageNr, len(dark), content)
		}
		// "x y w h re" is the rectangle from (x, y) to (x+w, y+h) in PDF space (ISO 32000-1
		// §8.5.2.1); normalise negative extents.
		norm := func(r [4]float64) [4]float64 { // minX, minY, maxX, maxY
			return [4]float64{min(r[0], r[0]+r[2]), min(r[1], r[1]+r[3]), max(r[0], r[0]+r[2]), max(r[1], r[1]+r[3])}
		}
		minX, minY, maxX, maxY := 1e9, 1e9, -1e9, -1e9
		module := dark[0][3]
		for _, r := range dark {
			b := norm(r)
			minX, maxX = min(minX, b[0]), max(maxX, b[2])
			minY, maxY = min(minY, b[1]), max(maxY, b[3])
			if d := r[3] - module; d > 0.011 || d < -0.011 { // all modules one height
				t.Fatalf("page %d: modules of height %g and %g pt", pageNr, module, r[3])
			}
		}
		symbol := maxX - minX
		if d := (maxY - minY) - symbol; d > 0.05 || d < -0.05 {
			t.Fatalf("page %d: dark modules span %.2f × %.2f pt, not a square", pageNr, symbol, maxY-minY)
		}
		// Operands are rounded to 0.01 pt, so the module count is within a few hundredths.
		modules := symbol / module
		n := int(modules + 0.5)
		if (n-17)%4 != 0 || n < 21 || modules-float64(n) > 0.05 || float64(n)-modules > 0.05 {
			t.Fatalf("page %d: the symbol is %.3f modules wide, not a QR version", pageNr, modules)
		}
		module = symbol / float64(n)
		withQuiet := symbol + 2*qr.QuietZone*module
		if withQuiet < poster.MinQRMM*ptPerMM {
			t.Errorf("page %d: the code with its quiet zone is %.1f mm wide, under %g mm", pageNr, withQuiet/ptPerMM, poster.MinQRMM)
		}
		ok := false
		for _, r := range white {
			w := norm(r)
			if w[0] <= minX-4*module+0.05 && w[2] >= maxX+4*module-0.05 && w[1] <= minY-4*module+0.05 && w[3] >= maxY+4*module-0.05 {
				ok = true
			}
		}
		if !ok {
			t.Errorf("page %d: no white square holds the 4-module quiet zone: %v", pageNr, white)
		}
		if pageNr == 1 {
			t.Logf("page 1: code %.1f mm wide with its quiet zone (%.0f modules of %.2f mm)", withQuiet/ptPerMM, modules+8, module/ptPerMM)
		}
	}
}

// The font is embedded as a subset: the whole PDF is a fraction of the font file's size.
func TestFontIsSubset(t *testing.T) {
	pdf, _ := allPostersPDF(t)
	f := loadFont(t)
	if len(pdf) > len(f.Data)/4 {
		t.Errorf("the 176-page PDF is %d bytes, the font %d: the font does not look subset", len(pdf), len(f.Data))
	}
	if !bytes.Contains(pdf, []byte("/FontFile2")) {
		t.Error("no embedded TrueType font program (/FontFile2)")
	}
	t.Logf("176 pages: %d bytes; font file %s: %d bytes", len(pdf), f.Path, len(f.Data))
}

// Every character of every site's poster text is in the font.
func TestGlyphCoverage(t *testing.T) {
	f := loadFont(t)
	sites, err := qrtest.LinxiangSites()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range poster.FromSites(sites, base) {
		text := s.Name + s.Parent + s.Level.Title() + poster.CallToAction + "所属：阵地编码：" + s.URL
		if m := f.Missing(text); len(m) > 0 {
			t.Errorf("%s %s: the font has no glyph for %q", s.Code, s.Name, string(m))
		}
	}
	// A name with a character no font has fails clearly, naming the character and a package.
	_, err = poster.Layout(f, poster.Site{Code: "1", Name: "测试\U000F0001站", Level: civmap.LevelPost, URL: base + "/s/1"}, poster.Options{Level: qr.Q})
	if civmap.ErrorCode(err) != civmap.EUNAVAILABLE || !strings.Contains(civmap.ErrorMessage(err), "\U000F0001") || !strings.Contains(civmap.ErrorMessage(err), poster.FontPackage) {
		t.Errorf("a missing glyph: %v", err)
	}
}

// No font: an empty directory as the font path gives EUNAVAILABLE naming a Debian package.
func TestNoFont(t *testing.T) {
	for _, path := range []string{t.TempDir(), filepath.Join(t.TempDir(), "missing.ttf")} {
		_, err := poster.LoadFont(path)
		if civmap.ErrorCode(err) != civmap.EUNAVAILABLE || !strings.Contains(civmap.ErrorMessage(err), "apt-get install fonts-droid-fallback") {
			t.Errorf("LoadFont(%s): %v, want EUNAVAILABLE naming fonts-droid-fallback", path, err)
		}
	}
	// A file that is not a font is an input error.
	bad := filepath.Join(t.TempDir(), "bad.ttf")
	os.WriteFile(bad, []byte("not a font at all"), 0o644)
	if _, err := poster.LoadFont(bad); civmap.ErrorField(err) != "font" {
		t.Errorf("LoadFont(not a font): %v", err)
	}
}

// A poster with a centre logo: level H, the logo drawn as an image, the code still scans.
func TestLogoPosterScans(t *testing.T) {
	needTool(t, "pdftoppm", "poppler-utils")
	needTool(t, "zbarimg", "zbar-tools")
	f := loadFont(t)
	logo, err := qr.ReadLogo(bytes.NewReader(logoPNG(t)))
	if err != nil {
		t.Fatal(err)
	}
	s := poster.Site{Code: "430682103201", Name: "桃林镇新时代文明实践站", Level: civmap.LevelPost, Parent: "桃林镇新时代文明实践所", URL: base + "/s/430682103201"}
	p, err := poster.Layout(f, s, poster.Options{Level: qr.H, Logo: logo})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := poster.WritePDF(&buf, f, []*poster.Page{p}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "logo.pdf")
	os.WriteFile(file, buf.Bytes(), 0o644)
	if out, err := exec.Command("pdftoppm", "-r", "60", "-png", file, filepath.Join(dir, "p")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v: %s", err, out)
	}
	pngs, _ := filepath.Glob(filepath.Join(dir, "p-*.png"))
	got, err := qrtest.ZBar(false, pngs...)
	if err != nil || len(pngs) != 1 || string(got[pngs[0]]) != s.URL {
		t.Fatalf("zbarimg read %q (%v), want %q", got, err, s.URL)
	}
	b, _ := os.ReadFile(pngs[0])
	img, _ := png.Decode(bytes.NewReader(b))
	if d, err := qr.Decode(img); err != nil || d.Text != s.URL || d.Level != "H" {
		t.Fatalf("gozxing read %+v, %v", d, err)
	}
}

func logoPNG(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	img := qrtestLogo()
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// The SVG poster holds the same texts and the code as a path in millimetre units.
func TestSVGPoster(t *testing.T) {
	f := loadFont(t)
	s := poster.Site{Code: "430682001", Name: "长安街道新时代文明实践所", Level: civmap.LevelStation, Parent: "临湘市新时代文明实践中心", URL: base + "/s/430682001"}
	p, err := poster.Layout(f, s, poster.Options{Level: qr.Q})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := poster.WriteSVG(&buf, p); err != nil {
		t.Fatal(err)
	}
	svg := buf.String()
	for _, want := range []string{`width="210mm" height="297mm"`, s.Name, "所属：" + s.Parent, poster.CallToAction, s.URL, `<path fill="#000" d="M`,
		fmt.Sprintf(`translate(%g %g) scale(%g)`, p.QRBox.X, p.QRBox.Y, p.Module)} {
		if !strings.Contains(svg, want) {
			t.Errorf("SVG has no %q", want)
		}
	}
}
