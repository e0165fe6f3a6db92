package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestRegenerate checks that the committed evaluation set is what the generator writes.
func TestRegenerate(t *testing.T) {
	out := filepath.Join(t.TempDir(), "eval.tsv")
	if err := run(out); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../../testdata/eval_generated.tsv")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("testdata/eval_generated.tsv is stale: run go generate ./geo/gazetteer")
	}
}
