package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"civmap/store/postgis/pgtest"
)

// TestServePostGIS runs `civmap serve --database-url … --demo` as the embedded default runs:
// Linxiang's 176 sites, the demo data, tiles and the API; a restart adds nothing twice.
func TestServePostGIS(t *testing.T) {
	url := pgtest.NewDatabase(t)
	m := startServe(t, tempData(t), "--database-url", url, "--demo")
	resp, body := get(t, m.URL()+"/api/v1/sites")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("sites: %d %s", resp.StatusCode, body)
	}
	var fc struct{ Features []json.RawMessage }
	if err := json.Unmarshal(body, &fc); err != nil || len(fc.Features) != 176 {
		t.Fatalf("sites: %d features, %v", len(fc.Features), err)
	}
	resp, body = get(t, m.URL()+"/tiles/boundary,clusters,venues,sites,activities,needs/10/834/424.mvt")
	if resp.StatusCode != http.StatusOK || len(body) == 0 {
		t.Errorf("tile: %d, %d bytes", resp.StatusCode, len(body))
	}
	_, acts := get(t, m.URL()+"/api/v1/activities")
	m.Close()

	m = startServe(t, tempData(t), "--database-url", url, "--demo")
	defer m.Close()
	if _, again := get(t, m.URL()+"/api/v1/activities"); !bytes.Equal(again, acts) {
		t.Error("restarting with --demo changed the activities")
	}
}

// TestImportCommand runs `civmap import` on both stores: a dry run, an import and a re-import.
func TestImportCommand(t *testing.T) {
	file := filepath.Join("..", "..", "importer", "testdata", "sites_gbk.csv")
	for _, c := range []struct{ name, flag, value string }{
		{"embedded", "--data", ""},
		{"postgis", "--database-url", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			value := filepath.Join(t.TempDir(), "civmap.db")
			if c.name == "postgis" {
				value = pgtest.NewDatabase(t)
			}
			// The store starts with Linxiang's sites, as serve leaves it.
			m := startServe(t, tempData(t), c.flag, value)
			if c.name == "embedded" {
				m.Close()
				m = startServe(t, value)
			}
			m.Close()
			ctx := context.Background()
			var out bytes.Buffer
			if err := run(ctx, []string{"import", c.flag, value, "--dry-run", file}, nil, &out, io.Discard); err != nil {
				t.Fatalf("dry run: %v\n%s", err, out.String())
			}
			if !strings.Contains(out.String(), "试运行") {
				t.Errorf("dry-run report: %s", out.String())
			}
			out.Reset()
			if err := run(ctx, []string{"import", c.flag, value, file}, nil, &out, io.Discard); err != nil {
				t.Fatalf("import: %v\n%s", err, out.String())
			}
			if !strings.Contains(out.String(), "inserted 2, updated 2, unchanged 1") {
				t.Errorf("import report:\n%s", out.String())
			}
			out.Reset()
			if err := run(ctx, []string{"import", c.flag, value, file}, nil, &out, io.Discard); err != nil {
				t.Fatalf("re-import: %v", err)
			}
			if !strings.Contains(out.String(), "inserted 0, updated 0, unchanged 5") {
				t.Errorf("re-import report:\n%s", out.String())
			}
			out.Reset()
			err := run(ctx, []string{"import", c.flag, value, filepath.Join("..", "..", "importer", "testdata", "bad.csv")}, nil, &out, io.Discard)
			if err == nil || !strings.Contains(out.String(), "第 3 行") {
				t.Errorf("bad file: %v\n%s", err, out.String())
			}

			// Teams (--kind) and volunteers (detected from the header).
			testdata := filepath.Join("..", "..", "importer", "testdata")
			if err := run(ctx, []string{"user", "add", c.flag, value, "--login", "leader-zhang", "--role", "team_leader",
				"--scope", "430682001001", "--name", "张队长"}, strings.NewReader("pw-"+c.name+"-0123456789\n"), io.Discard, io.Discard); err != nil {
				t.Fatal(err)
			}
			out.Reset()
			if err := run(ctx, []string{"import", c.flag, value, "--kind", "teams", filepath.Join(testdata, "teams.csv")}, nil, &out, io.Discard); err != nil ||
				!strings.Contains(out.String(), "inserted 3, updated 0, unchanged 0") {
				t.Fatalf("teams: %v\n%s", err, out.String())
			}
			volunteers := filepath.Join(testdata, "volunteers_gbk.csv")
			out.Reset()
			err = run(ctx, []string{"import", c.flag, value, volunteers}, nil, &out, io.Discard)
			if err == nil || !strings.Contains(out.String(), "类型：志愿者") || !strings.Contains(out.String(), "已丢弃列“身份证号”") ||
				!strings.Contains(out.String(), "拒绝 第 5 行") || strings.Contains(out.String(), "430682199001011234") {
				t.Errorf("volunteers without --partial: %v\n%s", err, out.String())
			}
			for _, want := range []string{"inserted 3, updated 0, unchanged 0", "inserted 0, updated 0, unchanged 3"} {
				out.Reset()
				if err := run(ctx, []string{"import", c.flag, value, "--partial", volunteers}, nil, &out, io.Discard); err != nil ||
					!strings.Contains(out.String(), want) {
					t.Errorf("volunteers --partial: %v; want %q\n%s", err, want, out.String())
				}
			}
		})
	}
}
