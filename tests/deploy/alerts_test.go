package deploy

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	loaderapp "github.com/tributary-dev/tributary/services/loader/app"
	"github.com/tributary-dev/tributary/shared/config"
	"github.com/tributary-dev/tributary/shared/contract"
	"github.com/tributary-dev/tributary/shared/testkit/natstest"
	"github.com/tributary-dev/tributary/tests/deploy/natsexporter"
	"github.com/tributary-dev/tributary/tests/harness"
	"go.uber.org/fx"
)

// TestAlertsOnARunningPipeline runs a real Prometheus (PROMETHEUS, built by
// go tool task deploy:alerts) against the three services and the NATS
// exporter, with the shipped rules sped up 60 times (fastRules): stopping
// the loader fires TributaryServiceDown, a stalled loader
// TributaryLoaderFallingBehind, a poison file TributaryDeadLetters; each
// resolves once its cause is gone. Then every Prometheus query of the
// dashboard must return data.
func TestAlertsOnARunningPipeline(t *testing.T) {
	if os.Getenv("ALERTS_E2E") == "" {
		t.Skip("SKIPPED: the end-to-end alert test builds Prometheus (~10 min); run it with: go tool task deploy:alerts")
	}
	bin := os.Getenv("PROMETHEUS")
	if bin == "" {
		t.Fatal("ALERTS_E2E is set but PROMETHEUS names no prometheus binary")
	}
	opts := natstest.Options(t)
	opts.HTTPHost, opts.HTTPPort = "127.0.0.1", -1
	env := harness.NewOn(t, natstest.Start(t, opts))
	env.Vars["CONSUMER_MAX_DELIVER"] = "2"
	env.Vars["LOADER_MAX_BACKOFF"] = "500ms"
	addrs := map[string]string{"generator": freeAddr(t), "watcher": freeAddr(t), "loader": freeAddr(t)}
	addrs["nats-exporter"] = serveExporter(t, "http://"+env.NATS.MonitorAddr().String())

	env.Watcher(map[string]string{"HTTP_ADDR": addrs["watcher"]})
	ld := startLoader(t, env, addrs["loader"])
	// Small files, steadily: a backlog builds within seconds when the loader stalls.
	env.StartGenerator(0, 10, map[string]string{"HTTP_ADDR": addrs["generator"], "GENERATOR_RATE": "50"})
	prom := startPrometheus(t, bin, addrs)
	env.Eventually(30*time.Second, "every target up and rows loaded", func() bool {
		return prom.query(`up == 1`) == len(addrs) && prom.query(`tributary_loader_rows_loaded_total > 0`) == 1
	})
	for _, name := range []string{"TributaryServiceDown", "TributaryLoaderFallingBehind", "TributaryDeadLetters"} {
		if a := prom.firing(name); len(a) > 0 {
			t.Fatalf("%s fires on a healthy pipeline: %v", name, a)
		}
	}
	timing := func(name string, fired, resolved time.Duration) {
		t.Logf("alert %-30s cause -> firing %6s   fix -> resolved %6s", name, fmtDur(fired), fmtDur(resolved))
	}

	// The loader stops answering scrapes, then comes back.
	ld.stop()
	cause := time.Now()
	fired := prom.waitAlert("TributaryServiceDown", true, cause, time.Minute)
	if a := prom.firing("TributaryServiceDown"); len(a) != 1 || a[0].Labels["service"] != "loader" {
		t.Fatalf("TributaryServiceDown fires for %v, want the loader alone", a)
	}
	ld = startLoader(t, env, addrs["loader"])
	fix := time.Now()
	timing("TributaryServiceDown", fired, prom.waitAlert("TributaryServiceDown", false, fix, time.Minute))

	// The loader runs but cannot commit (a lock on the ledger), files keep coming.
	ctx := context.Background()
	lock, err := env.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Rollback(ctx) //nolint:errcheck // already rolled back on the normal path
	if _, err := lock.Exec(ctx, "LOCK TABLE ingest_ledger IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	cause = time.Now()
	fired = prom.waitAlert("TributaryLoaderFallingBehind", true, cause, 2*time.Minute)
	if err := lock.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	fix = time.Now()
	timing("TributaryLoaderFallingBehind", fired, prom.waitAlert("TributaryLoaderFallingBehind", false, fix, 2*time.Minute))

	// A file PostgreSQL refuses as a whole is dead-lettered after
	// CONSUMER_MAX_DELIVER failed attempts.
	if a := prom.firing("TributaryDeadLetters"); len(a) > 0 {
		t.Fatalf("TributaryDeadLetters fires before the poison file: %v", a)
	}
	if _, err := env.Pool.Exec(ctx, "ALTER TABLE ingest_ledger ADD CONSTRAINT poison CHECK (file_name <> 'poison.csv')"); err != nil {
		t.Fatal(err)
	}
	env.Land("poison.csv", []byte(contract.HeaderLine+"\npoison-1,2026-11-26 10:00:00,view,1,1.00,1,s\n"))
	cause = time.Now()
	fired = prom.waitAlert("TributaryDeadLetters", true, cause, 2*time.Minute)
	if _, err := env.Pool.Exec(ctx, "ALTER TABLE ingest_ledger DROP CONSTRAINT poison"); err != nil {
		t.Fatal(err)
	}
	fix = time.Now()
	timing("TributaryDeadLetters", fired, prom.waitAlert("TributaryDeadLetters", false, fix, 2*time.Minute))

	// A rejected file, so that the rejects-by-reason query has a series.
	env.Land("bad-header.csv", []byte("id,when\n1,2\n"))
	env.Eventually(30*time.Second, "the rejected file counted by Prometheus", func() bool {
		return prom.query(`tributary_watcher_files_rejected_total > 0`) > 0
	})

	for _, m := range []string{`jetstream_server_max_storage`, `jetstream_server_total_message_bytes`,
		`jetstream_stream_total_bytes{stream_name="INGEST"}`, `jetstream_stream_total_messages{stream_name="INGEST_DLQ"}`} {
		if n := prom.query(m); n == 0 {
			t.Errorf("Prometheus scraped no %s from the NATS exporter", m)
		} else {
			t.Logf("scraped from the NATS exporter: %s = %s", m, prom.value(m))
		}
	}
	checked := 0
	for _, expr := range dashboardTargets(t) {
		if expr == "" {
			continue // a PostgreSQL panel
		}
		checked++
		q := strings.ReplaceAll(expr, "$__rate_interval", "30s")
		if n := prom.query(q); n == 0 {
			t.Errorf("dashboard query returns no data: %s", q)
		}
	}
	t.Logf("%d dashboard queries return data from Prometheus", checked)
}

// stoppableLoader is a loader the test stops and starts again on the same address.
type stoppableLoader struct {
	app *fx.App
}

func startLoader(t *testing.T, env *harness.Env, addr string) *stoppableLoader {
	t.Helper()
	cfg, err := config.FromMap[loaderapp.Config](env.With(map[string]string{"HTTP_ADDR": addr}))
	if err != nil {
		t.Fatal(err)
	}
	l := &stoppableLoader{app: fx.New(loaderapp.Module(cfg), fx.NopLogger)}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := l.app.Start(ctx); err != nil {
		t.Fatalf("start loader: %v", err)
	}
	t.Cleanup(l.stop)
	return l
}

// stop stops the loader once; later calls do nothing.
func (l *stoppableLoader) stop() {
	if l.app == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	_ = l.app.Stop(ctx)
	l.app = nil
}

// serveExporter serves the NATS exporter's metrics in the test process.
func serveExporter(t *testing.T, monitorURL string) string {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(natsexporter.New(monitorURL, slog.New(slog.NewTextHandler(io.Discard, nil))))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("nats exporter: %v", err)
		}
	}()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}
