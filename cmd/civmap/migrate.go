package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"civmap/store/postgis"
)

// runMigrate is `civmap migrate`: apply the PostGIS store's pending schema migrations (serve also
// does this when it starts). The embedded store migrates its data file whenever it opens it.
func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbURL := fs.String("database-url", databaseURL(), "PostgreSQL URL of the PostGIS store (env DATABASE_URL)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("migrate: unexpected argument %q", fs.Arg(0))
	}
	if *dbURL == "" {
		return fmt.Errorf("migrate: no --database-url (or DATABASE_URL); the embedded store migrates itself when it opens")
	}
	st, err := postgis.Open(ctx, postgis.Config{URL: *dbURL, NoMigrate: true})
	if err != nil {
		return err
	}
	defer st.Close()
	applied, err := st.Migrate(ctx)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintln(stdout, "migrate: the schema is up to date")
	}
	for _, v := range applied {
		fmt.Fprintf(stdout, "migrate: applied migration %05d\n", v)
	}
	return nil
}
