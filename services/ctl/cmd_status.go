package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/tributary-dev/tributary/services/ctl/internal/status"
	"github.com/tributary-dev/tributary/shared/natsconn"
	"github.com/tributary-dev/tributary/shared/postgres"
	"github.com/tributary-dev/tributary/shared/secrets"
	"golang.org/x/term"
)

func runStatus(ctx context.Context, args []string, stdout io.Writer, _ *slog.Logger) error {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	natsURL := fs.String("nats", "", "NATS URL (default: $NATS_URL, else nats://127.0.0.1:4322 as `task up` runs it)")
	services := []status.Service{{Name: "generator"}, {Name: "watcher"}, {Name: "loader"}}
	for i, def := range []string{"127.0.0.1:9101", "127.0.0.1:9102", "127.0.0.1:9103"} {
		fs.StringVar(&services[i].Addr, services[i].Name, def, "address of the "+services[i].Name+"'s /readyz (its HTTP_ADDR)")
	}
	timeout := fs.Duration("timeout", 2*time.Second, "how long each part may take to answer")
	watch := fs.Duration("watch", 0, "refresh at this interval until interrupted (0: print once)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	env, err := loadOperatorEnv(secrets.Reader, map[string]string{"NATS_URL": *natsURL})
	if err != nil {
		return err
	}

	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	nc, err := natsconn.Connect(env.NATS, "ctl-status", quiet) // keeps trying in the background
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	waitConnected(ctx, nc, *timeout)
	client := &http.Client{Timeout: *timeout}
	clear := *watch > 0 && isTerminal(stdout)
	for {
		src := status.Sources{
			Data: env.Data, Settings: env.Stream, Services: services, HTTP: client, Now: time.Now,
		}
		if nc.IsConnected() {
			src.JetStream = js
		} else {
			src.NATSErr = fmt.Errorf("NATS unreachable at %s", natsconn.RedactURLs(env.NATS.URL))
			if last := nc.LastError(); last != nil {
				src.NATSErr = fmt.Errorf("%w: %v", src.NATSErr, last)
			}
		}
		snap := gatherWithDB(ctx, src, env.Postgres, *timeout)
		if clear {
			fmt.Fprint(stdout, "\033[H\033[2J")
		}
		if err := status.Render(stdout, snap, env.Stream, env.Data.Dir); err != nil {
			return err
		}
		if *watch <= 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(*watch):
		}
		if !clear {
			fmt.Fprintln(stdout)
		}
	}
}

// gatherWithDB connects to PostgreSQL for one snapshot: a status that runs
// for hours holds no idle session.
func gatherWithDB(ctx context.Context, src status.Sources, pg postgres.Config, timeout time.Duration) *status.Snapshot {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	pc, err := pg.PoolConfig("tributary-ctl-status")
	if err == nil {
		var conn *pgx.Conn
		if conn, err = pgx.ConnectConfig(ctx, pc.ConnConfig); err == nil {
			defer conn.Close(context.Background())
			src.Database = conn
		}
	}
	if err != nil {
		src.DatabaseErr = fmt.Errorf("PostgreSQL unreachable at %s: %w", postgres.Redact(pg.URL), err)
	}
	return status.Gather(ctx, src)
}

func waitConnected(ctx context.Context, nc *nats.Conn, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for !nc.IsConnected() && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
