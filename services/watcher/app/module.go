// Package app wires the watcher with fx. It holds no logic of its own.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/tributary-dev/tributary/services/watcher/internal/contractdir"
	"github.com/tributary-dev/tributary/services/watcher/internal/publish"
	"github.com/tributary-dev/tributary/services/watcher/internal/watcher"
	"github.com/tributary-dev/tributary/shared/fxapp"
	"github.com/tributary-dev/tributary/shared/ingest"
	"github.com/tributary-dev/tributary/shared/logging"
	"github.com/tributary-dev/tributary/shared/natsconn"
	"github.com/tributary-dev/tributary/shared/telemetry"
	"go.uber.org/fx"
)

// Module is the watcher application for cfg.
func Module(cfg Config) fx.Option {
	return fx.Options(
		fx.Supply(cfg, cfg.NATS.ForService("watcher"), cfg.Stream, telemetry.Addr(cfg.HTTPAddr), natsconn.ClientName("watcher-"+cfg.ID)),
		fx.Supply(telemetry.Pprof(cfg.Pprof)),
		fx.Provide(func(c Config) *slog.Logger { return logging.New(c.Log, "watcher", os.Stderr) }),
		fx.WithLogger(logging.FxLogger),
		telemetry.Module,
		natsconn.Module,
		fx.Provide(newMetrics, newContracts, newPublisher, newWatcher),
		fx.Invoke(func(lc fx.Lifecycle, sd fx.Shutdowner, w *watcher.Watcher, cs *contractdir.Dir, h *telemetry.Health, reg prometheus.Registerer, js jetstream.JetStream, c Config, log *slog.Logger) {
			h.Add("stream", streamReady(js, c.Stream.Stream))
			registerBacklogGauges(reg, c.Data)
			fxapp.Background(lc, sd, cs.Run)
			fxapp.Background(lc, sd, logFailure(log, w.Run))
		}),
	)
}

// logFailure logs why loop stopped by itself: fxapp.Background turns a
// failure into an exit code only, and a watcher refusing to start (its
// WATCHER_ID in use) must say why.
func logFailure(log *slog.Logger, loop fxapp.Loop) fxapp.Loop {
	return func(ctx context.Context) error {
		err := loop(ctx)
		if err != nil && ctx.Err() == nil {
			log.Error("watcher stopped", logging.Err(err))
		}
		return err
	}
}

// streamReady checks that the stream the watcher publishes to exists (the
// watcher creates it on start) and answers.
func streamReady(js jetstream.JetStream, name string) telemetry.Check {
	return func(ctx context.Context) error {
		if _, err := js.Stream(ctx, name); err != nil {
			return fmt.Errorf("stream %s: %w", name, err)
		}
		return nil
	}
}

func newPublisher(js jetstream.JetStream, s ingest.Settings, m *metrics, log *slog.Logger) *publish.Publisher {
	return publish.New(js, s, log, m)
}

// newContracts loads the declarations at start: a directory that cannot be
// read stops the watcher there, before it claims any file.
func newContracts(c Config, m *metrics, log *slog.Logger) (*contractdir.Dir, error) {
	return contractdir.Open(c.ContractsDir, c.Rescan, log, m)
}

func newWatcher(c Config, cs *contractdir.Dir, pub *publish.Publisher, m *metrics, log *slog.Logger) *watcher.Watcher {
	return watcher.New(watcher.Config{
		ID: c.ID, Workers: c.Workers, Settle: c.Settle, Rescan: c.Rescan,
		MaxFileBytes: c.MaxFileBytes, MaxDecodedBytes: c.MaxDecodedBytes, MaxPartBytes: c.MaxMessageBytes, BundleFiles: c.BundleFiles,
	}, c.Data, cs, pub, m, log, time.Now)
}
