package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// sharedDivisions finds ../shared/data/divisions from the module root or a parent of it
// (CIVMAP_SHARED_DIVISIONS overrides); "" when absent.
func sharedDivisions() string {
	if d := os.Getenv("CIVMAP_SHARED_DIVISIONS"); d != "" {
		return d
	}
	dir, err := filepath.Abs("../../../..") // the module root
	if err != nil {
		return ""
	}
	for range 4 {
		dir = filepath.Dir(dir)
		c := filepath.Join(dir, "shared", "data", "divisions")
		if _, err := os.Stat(filepath.Join(c, "villages.csv.gz")); err == nil {
			return c
		}
	}
	return ""
}

// TestRegenerate regenerates data/divisions/national.tsv.gz from the shared source CSVs and
// compares it with the committed bytes.
func TestRegenerate(t *testing.T) {
	src := sharedDivisions()
	if src == "" {
		t.Skip("shared/data/divisions not found beside the repository; set CIVMAP_SHARED_DIVISIONS")
	}
	got, err := Generate(src)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../../../../data/divisions/national.tsv.gz")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		gt, wt := gunzip(t, got), gunzip(t, want)
		if bytes.Equal(gt, wt) {
			t.Fatalf("same text, different gzip bytes (a compress/flate change?): regenerate with go run ./geo/gazetteer/internal/gendivisions")
		}
		t.Fatalf("regenerated data differs from the committed file (%d vs %d bytes of text): regenerate with go run ./geo/gazetteer/internal/gendivisions", len(gt), len(wt))
	}
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
