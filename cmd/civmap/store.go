package main

import (
	"context"
	"os"

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
