package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeQRCodesScan decodes the PNG QR code of every one of the 176 sites with zbarimg (Debian
// zbar-tools) and checks each gives its site page URL.
func TestServeQRCodesScan(t *testing.T) {
	zbar, err := exec.LookPath("zbarimg")
	if err != nil {
		t.Fatal("zbarimg not found: install Debian's zbar-tools (.ci/run does)")
	}
	const public = "https://wmsj.linxiang.example"
	m := startServe(t, tempData(t), "--public-url", public+"/")
	defer m.Close()
	_, b := get(t, m.URL()+"/api/v1/sites")
	dir := t.TempDir()
	var files, want []string
	for _, f := range decodeFC(t, b).Features {
		code := f.Properties["code"].(string)
		resp, png := get(t, m.URL()+"/qr/"+code+".png?size=300")
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" {
			t.Fatalf("QR of %s: %d %s", code, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		file := filepath.Join(dir, code+".png")
		if err := os.WriteFile(file, png, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, file)
		want = append(want, "QR-Code:"+public+"/s/"+code)
	}
	if len(files) != 176 {
		t.Fatalf("%d sites, want 176", len(files))
	}
	var out bytes.Buffer
	cmd := exec.Command(zbar, append([]string{"--quiet", "-Sdisable", "-Sqrcode.enable"}, files...)...)
	cmd.Stdout = &out
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("zbarimg: %v", err)
	}
	got := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(got) != len(want) {
		t.Fatalf("zbarimg decoded %d codes, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%s decodes to %q, want %q", filepath.Base(files[i]), got[i], want[i])
		}
	}

	// The SVG form is served too, and a size too small for the code is a 400 naming the minimum.
	if resp, svg := get(t, m.URL()+"/qr/430682.svg"); resp.StatusCode != 200 || !bytes.HasPrefix(svg, []byte("<svg")) {
		t.Errorf("SVG QR: %d %.40s", resp.StatusCode, svg)
	}
	resp, body := get(t, m.URL()+"/qr/430682.png?size=20")
	if resp.StatusCode != 400 || !strings.Contains(string(body), `"field":"size"`) || !strings.Contains(string(body), "minimum") {
		t.Errorf("tiny QR: %d %s", resp.StatusCode, body)
	}
	if resp, _ := get(t, m.URL()+"/qr/999.png"); resp.StatusCode != 404 {
		t.Errorf("QR of an unknown site: %d, want 404", resp.StatusCode)
	}
}
