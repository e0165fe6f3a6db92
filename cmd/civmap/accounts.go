package main

import (
	"context"
	"flag"
	"os/user"

	"civmap"
	"civmap/auth"
	"civmap/store/embedded"
)

// accountStore is what the account commands (user, token, audit) need: accounts, the audit
// log, and sites to check scopes against.
type accountStore interface {
	auth.Store
	Site(ctx context.Context, code string) (civmap.Site, error)
	SiteChain(ctx context.Context, code string) ([]string, error)
	Close() error
}

// storeFlags are the flags every account command takes to find the store.
type storeFlags struct{ dbURL, data string }

func (f *storeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.dbURL, "database-url", databaseURL(), "PostgreSQL URL: the PostGIS store (env DATABASE_URL); empty: the embedded store at --data")
	fs.StringVar(&f.data, "data", envOr("CIVMAP_DATA", embedded.DefaultPath), "embedded store file, as `civmap serve` uses it (env CIVMAP_DATA)")
}

// openAccounts opens the store for an account command. On the embedded store it works beside a
// running `civmap serve`: when the server holds the data file, the command shares it
// (embedded.OpenShared — accounts and the audit log are not cached in the server's memory);
// otherwise it opens it as serve does, loading Linxiang's network first if missing.
func openAccounts(ctx context.Context, f storeFlags) (accountStore, error) {
	st, _, _, err := openNetwork(ctx, f.dbURL, f.data)
	if err == nil {
		return st, nil
	}
	if f.dbURL == "" && civmap.ErrorCode(err) == civmap.ECONFLICT {
		sh, err := embedded.OpenShared(ctx, f.data)
		if err != nil {
			return nil, err
		}
		return sh, nil
	}
	return nil, err
}

// commandActor is who the audit log records for a command: the command and the OS user
// running it.
func commandActor(cmd string) civmap.Actor {
	name := "?"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	return civmap.Actor{System: "civmap " + cmd + " (" + name + ")"}
}
