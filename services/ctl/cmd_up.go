package main

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/tributary-dev/tributary/db"
	"github.com/tributary-dev/tributary/services/ctl/internal/up"
	"github.com/tributary-dev/tributary/shared/postgres"
)

const defaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/tributary?sslmode=disable"

func runUp(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	fs := flag.NewFlagSet("up", flag.ContinueOnError)
	c := up.Config{StopTimeout: 15 * time.Second}
	fs.StringVar(&c.BinDir, "bin", "bin", "directory of the built binaries (nats-server, generator, watcher, loader)")
	fs.StringVar(&c.NATSConfig, "nats-config", "deployments/nats/nats.conf", "nats-server configuration file")
	fs.IntVar(&c.NATSPort, "nats-port", 4322, "NATS client port (not 4222, which an old system server may hold)")
	fs.IntVar(&c.NATSMonitor, "nats-monitor", 8322, "NATS monitoring port")
	fs.StringVar(&c.LoaderRole, "loader-role", db.LoaderRole, "PostgreSQL role the loader runs as (password generated under $DATA_DIR/secrets); '' runs it as DATABASE_URL's")
	if err := fs.Parse(args); err != nil {
		return err
	}
	dataDir, err := filepath.Abs(envOr("DATA_DIR", "data"))
	if err != nil {
		return err
	}
	c.DataDir = dataDir
	c.DatabaseURL = envOr("DATABASE_URL", defaultDatabaseURL)
	return up.Run(ctx, c, stdout, log)
}

func runMigrate(ctx context.Context, args []string, _ io.Writer, log *slog.Logger) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	if err := fs.Parse(args); err != nil {
		return err
	}
	c := operatorDatabase()
	pool, err := postgres.Open(ctx, c, "tributary-ctl")
	if err != nil {
		return err
	}
	defer pool.Close()
	log.Info("migrating", "database", postgres.Redact(c.URL))
	return db.Migrate(ctx, pool, log)
}
