// Package harness runs the pipeline inside a test: an in-process
// nats-server with JetStream, a fresh PostgreSQL database, a data
// directory, and the three services started from their real fx modules and
// configured through the same environment variables an operator uses.
package harness

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/tributary-dev/tributary/db"
	"github.com/tributary-dev/tributary/shared/datadir"
	"github.com/tributary-dev/tributary/shared/secrets"
	"github.com/tributary-dev/tributary/shared/testkit/natstest"
	"github.com/tributary-dev/tributary/shared/testkit/pgtest"
	"go.uber.org/fx"
)

// Env is one isolated pipeline environment.
type Env struct {
	T           testing.TB
	NATS        *server.Server
	DatabaseURL string
	Data        datadir.Config
	Pool        *pgxpool.Pool
	// Vars are the environment variables every service gets; tests may
	// add to them before starting services.
	Vars map[string]string
	// ServiceVars are added to Vars for one service ("watcher", "loader").
	ServiceVars map[string]map[string]string
	// Creds are the identities of a NewSecure environment.
	Creds *secrets.Set
	// Logs, when set, receives every service's log at debug level (JSON).
	Logs io.Writer
}

// New prepares servers, database (migrated) and data directory.
func New(t testing.TB) *Env {
	t.Helper()
	return NewOn(t, natstest.RunServer(t))
}

// NewOn is New with a NATS server of the test's choosing.
func NewOn(t testing.TB, ns *server.Server) *Env {
	t.Helper()
	e := NewAt(t, ns.ClientURL())
	e.NATS = ns
	return e
}

// NewAt is New with NATS servers the test runs itself, at natsURL (comma
// separated). Env.NATS is nil.
func NewAt(t testing.TB, natsURL string) *Env {
	t.Helper()
	dbURL := pgtest.NewDatabase(t)
	e := &Env{
		T:           t,
		DatabaseURL: dbURL,
		Data:        datadir.Config{Dir: filepath.Join(t.TempDir(), "data")},
	}
	if err := e.Data.Ensure(); err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.New(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if err := db.Migrate(context.Background(), pool, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	e.Pool = pool
	e.Vars = map[string]string{
		"NATS_URL":                natsURL,
		"DATABASE_URL":            dbURL,
		"DATA_DIR":                e.Data.Dir,
		"CONTRACTS_DIR":           RepoFile("contracts"), // wherever the test runs; RepoFile follows a re-run as another user to its copy
		"HTTP_ADDR":               "127.0.0.1:0",         // "" would mean the default port: never bind 9101-9103 in tests
		"LOG_FORMAT":              "text",
		"LOG_LEVEL":               "warn",
		"WATCHER_ID":              "w1",
		"WATCHER_SETTLE":          "200ms",
		"WATCHER_RESCAN":          "200ms",
		"CONSUMER_ACK_WAIT":       "5s",
		"STREAM_DUPLICATE_WINDOW": "1m",
	}
	return e
}

// With returns e's variables merged with extra.
func (e *Env) With(extra map[string]string) map[string]string {
	vars := maps.Clone(e.Vars)
	maps.Copy(vars, extra)
	return vars
}

// Start starts an fx application and stops it when the test ends.
func (e *Env) Start(opt fx.Option) *fx.App {
	e.T.Helper()
	if e.Logs != nil {
		capture := slog.New(slog.NewJSONHandler(e.Logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		opt = fx.Options(opt, fx.Decorate(func(*slog.Logger) *slog.Logger { return capture }))
	}
	app := fx.New(opt, fx.NopLogger)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := app.Start(ctx); err != nil {
		e.T.Fatalf("start: %v", err)
	}
	e.T.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := app.Stop(ctx); err != nil {
			e.T.Errorf("stop: %v", err)
		}
	})
	return app
}

// Land writes content into the input directory atomically.
func (e *Env) Land(name string, content []byte) {
	e.T.Helper()
	tmp := filepath.Join(e.Data.Path(datadir.Temp), name+".tmp")
	if err := os.WriteFile(tmp, content, 0o644); err != nil {
		e.T.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(e.Data.Path(datadir.Input), name)); err != nil {
		e.T.Fatal(err)
	}
}

// Count runs a query returning one integer.
func (e *Env) Count(sql string, args ...any) int {
	e.T.Helper()
	var n int
	if err := e.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		e.T.Fatalf("%s: %v", sql, err)
	}
	return n
}

// Eventually polls cond until it holds or timeout passes.
func (e *Env) Eventually(timeout time.Duration, what string, cond func() bool) {
	e.T.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			e.T.Fatalf("after %v: %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Files lists the names in a data sub-directory.
func (e *Env) Files(sub string) []string {
	e.T.Helper()
	entries, err := os.ReadDir(e.Data.Path(sub))
	if err != nil {
		e.T.Fatal(err)
	}
	names := make([]string, 0, len(entries))
	for _, en := range entries {
		names = append(names, en.Name())
	}
	return names
}

// Rows is a shorthand for the row count of user_activity.
func (e *Env) Rows() int { return e.Count("SELECT count(*) FROM user_activity") }

// Describe summarises the tables for failure messages.
func (e *Env) Describe() string {
	return fmt.Sprintf("user_activity=%d rejects=%d rejected_files=%d ledger=%d",
		e.Rows(), e.Count("SELECT count(*) FROM user_activity_rejects"),
		e.Count("SELECT count(*) FROM rejected_files"), e.Count("SELECT count(*) FROM ingest_ledger"))
}
