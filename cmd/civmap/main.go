// Command civmap is the map and QR-code service of a county's civilization-practice network.
//
//	civmap serve   [flags]          run the HTTP service (map, tiles, API, QR codes, site pages)
//	civmap import  [flags] FILE     import sites and venues (GeoJSON, CSV, XLSX), volunteers or teams (CSV, XLSX)
//	civmap migrate [flags]          apply the PostGIS store's schema migrations
//	civmap geocode [flags] [FILE]   geocode Chinese addresses to division codes and points
//	civmap qr posters [flags]       print the sites' QR posters as an A4 PDF
//	civmap user COMMAND [flags]     add, list, disable users; issue volunteers' personal codes
//	civmap token COMMAND [flags]    create, list, revoke API tokens
//	civmap audit [flags]            read the audit log
//	civmap version                  print the version
//
// Run `civmap COMMAND -h` for a command's flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"civmap"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// defaultPublicURL is where `civmap serve` listens by default: the base URL of codes made by
// commands when no --public-url is given (with a warning).
const defaultPublicURL = "http://127.0.0.1:8080"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	} else if err != nil {
		fmt.Fprintln(os.Stderr, "civmap:", errorText(err))
		os.Exit(1)
	}
}

// errorText is what the command line shows for err: an application error's message (with its
// field), anything else as it is.
func errorText(err error) string {
	if civmap.ErrorCode(err) == civmap.EINTERNAL {
		return err.Error()
	}
	if f := civmap.ErrorField(err); f != "" {
		return f + ": " + civmap.ErrorMessage(err)
	}
	return civmap.ErrorMessage(err)
}

const usage = `usage: civmap COMMAND [flags]

commands:
  serve     run the HTTP service: map, vector tiles, JSON API, QR codes, site pages
  import    import sites and venues (CSV, XLSX, GeoJSON), volunteers or teams (--kind; CSV, XLSX)
  migrate   apply the PostGIS store's schema migrations (--database-url)
  geocode   geocode Chinese addresses (one per line, or a CSV column) to division codes and points
  qr        qr posters: print every site's QR poster (A4, one page per site) as a PDF
  user      add, list, disable, enable users, set passwords, issue volunteers' personal codes
  token     create, list, revoke API tokens for scripts
  audit     read the audit log
  version   print the version

Run 'civmap COMMAND -h' for the flags of a command.
`

// run dispatches a command line; it is main without the process exit, for tests.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	cmd, rest := args[0], args[1:]
	// Writes made by a command are audited as the command and the OS user running it.
	ctx = civmap.WithActor(ctx, commandActor(cmd))
	switch cmd {
	case "serve":
		m := NewServe(stdout, stderr)
		if err := m.ParseFlags(rest); err != nil {
			return err
		}
		if err := m.Run(ctx); err != nil {
			return errors.Join(err, m.Close())
		}
		<-ctx.Done()
		return m.Close()
	case "import":
		return runImport(ctx, args[1:], stdout, stderr)
	case "migrate":
		return runMigrate(ctx, args[1:], stdout, stderr)
	case "geocode":
		return runGeocode(ctx, rest, stdin, stdout, stderr)
	case "qr":
		return runQR(ctx, rest, stdout, stderr)
	case "user":
		return runUser(ctx, rest, stdin, stdout, stderr)
	case "token":
		return runToken(ctx, rest, stdout, stderr)
	case "audit":
		return runAudit(ctx, rest, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "civmap", version)
		return nil
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}
