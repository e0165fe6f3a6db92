package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"civmap/qr/qrtest"
	"civmap/seed"
)

// `civmap qr posters --out all.pdf` writes 176 pages; each page, rendered by pdftoppm, scans with
// zbarimg to its site's URL, and pdftotext finds each site's name on its page.
func TestQRPostersCommand(t *testing.T) {
	for _, tool := range []string{"pdftoppm", "pdftotext", "zbarimg"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: install Debian's poppler-utils and zbar-tools (.ci/run does)", tool)
		}
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "all.pdf")
	const public = "https://wmsj.linxiang.example"
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"qr", "posters", "--out", out, "--public-url", public, "--data", filepath.Join(dir, "civmap.db")}, nil, &stdout, &stderr)
	if err != nil {
		t.Fatalf("qr posters: %v\n%s", err, stderr.String())
	}
	t.Log(strings.TrimSpace(stdout.String()))
	info, err := exec.Command("pdfinfo", out).Output()
	if err != nil || !regexp.MustCompile(`(?m)^Pages:\s+176$`).Match(info) || !strings.Contains(string(info), "(A4)") {
		t.Fatalf("pdfinfo: %v\n%s", err, info)
	}
	locate, err := seed.LinxiangLocator()
	if err != nil {
		t.Fatal(err)
	}
	sites, err := seed.LinxiangSites(locate)
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(sites, func(i, j int) bool { return sites[i].Code < sites[j].Code }) // the store's order
	if o, err := exec.Command("pdftoppm", "-r", "40", "-gray", "-png", out, filepath.Join(dir, "p")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v %s", err, o)
	}
	var pngs []string
	for i := range sites {
		pngs = append(pngs, filepath.Join(dir, "p-"+pad3(i+1)+".png"))
	}
	got, err := qrtest.ZBar(false, pngs...)
	if err != nil {
		t.Fatal(err)
	}
	text, err := exec.Command("pdftotext", "-enc", "UTF-8", out, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	pages := strings.Split(string(text), "\f")
	for i, s := range sites {
		if want := public + "/s/" + s.Code; string(got[pngs[i]]) != want {
			t.Errorf("page %d: zbarimg read %q, want %q", i+1, got[pngs[i]], want)
		}
		if !strings.Contains(pages[i], s.Name) {
			t.Errorf("page %d: pdftotext does not find %q", i+1, s.Name)
		}
	}

	// One town, one level.
	stdout.Reset()
	townPDF := filepath.Join(dir, "town.pdf")
	if err := run(context.Background(), []string{"qr", "posters", "--town", "430682001", "--level", "post", "--out", townPDF, "--public-url", public, "--data", filepath.Join(dir, "civmap.db")}, nil, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), "wrote ") {
		t.Errorf("stdout %q", stdout.String())
	}
	if err := run(context.Background(), []string{"qr", "posters", "--level", "village", "--out", townPDF, "--public-url", public}, nil, &stdout, &stderr); err == nil || !strings.Contains(err.Error(), "--level") {
		t.Errorf("--level village: %v", err)
	}
}

// With the font path pointed at an empty directory the command fails, naming the Debian package
// to install, and writes no PDF.
func TestQRPostersNoFont(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "all.pdf")
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"qr", "posters", "--font", t.TempDir(), "--out", out, "--public-url", "https://x.example", "--data", filepath.Join(dir, "civmap.db")}, nil, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "apt-get install fonts-droid-fallback") {
		t.Fatalf("no font: %v", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a PDF was written without a font")
	}
	t.Log(err)
}

func pad3(n int) string {
	s := "00" + strings.TrimSpace(strings.Repeat(" ", 0)) + itoa3(n)
	return s[len(s)-3:]
}

func itoa3(n int) string {
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}
