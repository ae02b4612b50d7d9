package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/tributary-dev/tributary/services/ctl/internal/reconcile"
	"github.com/tributary-dev/tributary/shared/natsconn"
	"github.com/tributary-dev/tributary/shared/postgres"
	"github.com/tributary-dev/tributary/shared/secrets"
)

func runReconcile(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	fs := flag.NewFlagSet("reconcile", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: ctl reconcile [-json]\n\nCompares the archive with the ledger and lists every file published but not loaded.\nRead-only; exits 1 when a file is missing or dead-lettered. Reads DATA_DIR, DATABASE_URL, NATS_URL.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := loadOperatorEnv(secrets.Reader, nil)
	if err != nil {
		return err
	}
	pc, err := cfg.Postgres.PoolConfig("tributary-reconcile")
	if err != nil {
		return err
	}
	pc.MaxConns = 1
	pc.ConnConfig.RuntimeParams["default_transaction_read_only"] = "on" // the database refuses any write
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return err
	}
	defer pool.Close()
	nc, err := natsconn.Connect(cfg.NATS, "ctl-reconcile", slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer nc.Close()
	for deadline := time.Now().Add(5 * time.Second); !nc.IsConnected(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			return fmt.Errorf("cannot reach NATS at %s", cfg.NATS.URL)
		}
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	log.Debug("reconciling", "data_dir", cfg.Data.Dir, "database", postgres.Redact(cfg.Postgres.URL))
	names, err := contractNames(cfg.Contracts)
	if err != nil {
		return err
	}
	report, err := reconcile.Run(ctx, reconcile.Sources{Dirs: cfg.Data, DB: pool, Streams: reconcile.JetStream{JS: js}, Settings: cfg.Stream, Contracts: names})
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(report); err != nil {
			return err
		}
	} else {
		report.Print(stdout)
	}
	if n := report.Problems(); n > 0 {
		return fmt.Errorf("reconcile: %d problem(s)", n)
	}
	return nil
}
