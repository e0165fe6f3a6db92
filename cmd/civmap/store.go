package main

import (
	"context"
	"fmt"
	"os"

	"civmap/seed"

	"civmap/store"
	"civmap/store/embedded"
	"civmap/store/postgis"
)

// EnvDatabaseURL names the environment variable that selects the PostGIS store.
const EnvDatabaseURL = "DATABASE_URL"

// databaseURL is the --database-url default: $DATABASE_URL, or "" for the embedded store.
func databaseURL() string { return os.Getenv(EnvDatabaseURL) }

// openStore opens the store the flags select: PostGIS when databaseURL is set (applying pending
// migrations), otherwise the embedded store in the data file at dataPath. The returned name
// ("postgis" or "embedded") is for logs.
func openStore(ctx context.Context, databaseURL, dataPath string) (store.Store, string, error) {
	if databaseURL != "" {
		st, err := postgis.Open(ctx, postgis.Config{URL: databaseURL})
		if err != nil {
			return nil, "", err
		}
		return st, "postgis", nil
	}
	st, err := embedded.Open(ctx, dataPath)
	if err != nil {
		return nil, "", err
	}
	return st, "embedded", nil
}

// openNetwork opens the selected store (openStore) and loads Linxiang's practice network into it
// where missing (seed.LoadLinxiang, insert-only: imported or corrected sites are never
// overwritten), so every command sees the same network whichever it runs first. It returns how
// many records it inserted.
func openNetwork(ctx context.Context, databaseURL, dataPath string) (store.Store, string, int, error) {
	st, kind, err := openStore(ctx, databaseURL, dataPath)
	if err != nil {
		return nil, "", 0, err
	}
	locate, err := seed.LinxiangLocator()
	if err != nil {
		st.Close()
		return nil, "", 0, err
	}
	n, err := seed.LoadLinxiang(ctx, st, locate)
	if err != nil {
		st.Close()
		return nil, "", 0, fmt.Errorf("load Linxiang sites: %w", err)
	}
	return st, kind, n, nil
}
