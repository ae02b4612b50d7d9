// Command ctl is the operator's tool for the pipeline: run it locally,
// migrate the schema, and (see -h) look inside.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// command is one sub-command.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error
}

var commands = map[string]command{
	"up":          {"run NATS, the schema and the three services locally; Ctrl-C stops them", runUp},
	"migrate":     {"apply the schema migrations to DATABASE_URL", runMigrate},
	"status":      {"print where the pipeline stands: backlog, stream, consumer lag, rows, rejects, readiness", runStatus},
	"report":      {"print revenue, activity and conversion for a time range and chart revenue into results/", runReport},
	"credentials": {"make a deployment's NATS nkeys and database password files (once) and print the NATS server's environment", runCredentials},
	"db-login":    {"let a PostgreSQL role log in with the password in a file (sent as a SCRAM verifier)", runDBLogin},
	"reconcile":   {"list every archived file that is not loaded, and why (read-only)", runReconcile},
	"contracts":   {"list the contracts: table, files, header, key, consumer, and whether each fits its table (read-only)", runContracts},
	"redrive":     {"put fixed rejected files, or dead letters, back through the pipeline", runRedrive},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "ctl:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return errors.New("no command given")
		}
		return nil
	}
	cmd, ok := commands[args[0]]
	if !ok {
		usage(stderr)
		return fmt.Errorf("unknown command %q", args[0])
	}
	log := slog.New(slog.NewTextHandler(stderr, nil)).With("service", "ctl")
	return cmd.run(ctx, args[1:], stdout, log)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "ctl: operate the tributary pipeline\n\nUsage: ctl <command> [flags]  (ctl <command> -h for its flags)\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
}

// envOr returns the environment variable or a default.
func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
