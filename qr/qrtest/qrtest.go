// Package qrtest holds test helpers for civmap's QR code and poster packages: an in-process QR
// decoder (gozxing, a Go port of ZXing), a wrapper around the zbarimg command (zbar-tools), and
// Linxiang's 176 sites positioned by the placeholder layout without the gazetteer.
package qrtest

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"os/exec"

	"civmap"
	"civmap/data"
	"civmap/geo/placement"
	"civmap/qr"
	"civmap/seed"
)

// Decode is qr.Decode (gozxing), for tests that read like the zbarimg ones.
func Decode(img image.Image) (qr.Decoded, error) { return qr.Decode(img) }

// HaveZBar reports whether the zbarimg command is installed.
func HaveZBar() bool {
	_, err := exec.LookPath("zbarimg")
	return err == nil
}

// ZBar decodes the QR codes in image files with zbarimg and returns, per file, the payloads
// found. Files without a code are absent. With binary set, zbar returns the exact bytes of the
// byte-mode segments (-Sbinary); otherwise its text, after its own charset guess (zbar reads
// short UTF-8 Chinese text without an ECI header as Shift_JIS, one reason the service keeps
// URLs ASCII). One zbarimg process runs per file, two at a time: zbar's --xml output cannot be
// used for many files at once because it base64-encodes non-ASCII data with sign-extended
// bytes (zbar 0.23.92).
func ZBar(binary bool, files ...string) (map[string][]byte, error) {
	type result struct {
		file string
		data []byte
		err  error
	}
	jobs := make(chan string)
	results := make(chan result)
	for w := 0; w < 2; w++ {
		go func() {
			for f := range jobs {
				args := []string{"--raw", "-q", "-Sdisable", "-Sqrcode.enable"}
				if binary {
					args = append(args, "-Sbinary")
				}
				cmd := exec.Command("zbarimg", append(args, f)...)
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				out, err := cmd.Output()
				var ee *exec.ExitError
				switch {
				case err == nil:
					if !binary {
						out = bytes.TrimSuffix(out, []byte("\n"))
					}
					results <- result{file: f, data: out}
				case errors.As(err, &ee) && ee.ExitCode() == 4: // no symbol found
					results <- result{file: f}
				default:
					results <- result{file: f, err: fmt.Errorf("zbarimg %s: %v: %s", f, err, stderr.String())}
				}
			}
		}()
	}
	go func() {
		for _, f := range files {
			jobs <- f
		}
		close(jobs)
	}()
	out := map[string][]byte{}
	var firstErr error
	for range files {
		r := <-results
		if r.err != nil && firstErr == nil {
			firstErr = r.err
		}
		if r.data != nil {
			out[r.file] = r.data
		}
	}
	return out, firstErr
}

// LinxiangSites returns Linxiang's 176 sites (seed.LinxiangSites) positioned at the placeholder
// layout of geo/placement (coord_source synthetic), resolving each address by the division list
// rather than the gazetteer's geocoder.
func LinxiangSites() ([]civmap.Site, error) {
	divs, err := data.LinxiangDivisions()
	if err != nil {
		return nil, err
	}
	layout, err := placement.Linxiang()
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, d := range divs {
		names[d.Code] = d.Name
	}
	byAddress := map[string]string{}
	for _, d := range divs {
		switch d.Level {
		case "county":
			byAddress[seed.Address("", "")] = d.Code
		case "town":
			byAddress[seed.Address(d.Name, "")] = d.Code
		default:
			byAddress[seed.Address(names[d.ParentCode], d.Name)] = d.Code
		}
	}
	precision := map[int]civmap.Precision{6: civmap.PrecisionCounty, 9: civmap.PrecisionTown, 12: civmap.PrecisionVillage}
	return seed.LinxiangSites(func(address string) (string, civmap.Location, error) {
		code, ok := byAddress[address]
		if !ok {
			return "", civmap.Location{}, fmt.Errorf("no division has address %q", address)
		}
		p, ok := layout.Points[code]
		if !ok {
			return "", civmap.Location{}, fmt.Errorf("division %s has no placeholder point", code)
		}
		return code, civmap.Location{Point: p, Source: civmap.CoordSynthetic, Precision: precision[len(code)]}, nil
	})
}
