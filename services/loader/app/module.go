// Package app wires the loader with fx. It holds no logic of its own.
package app

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/tributary-dev/tributary/db"
	"github.com/tributary-dev/tributary/services/loader/internal/deadletter"
	"github.com/tributary-dev/tributary/services/loader/internal/fetch"
	"github.com/tributary-dev/tributary/services/loader/internal/loader"
	"github.com/tributary-dev/tributary/services/loader/internal/store"
	"github.com/tributary-dev/tributary/shared/fxapp"
	"github.com/tributary-dev/tributary/shared/logging"
	"github.com/tributary-dev/tributary/shared/natsconn"
	"github.com/tributary-dev/tributary/shared/postgres"
	"github.com/tributary-dev/tributary/shared/telemetry"
	"go.uber.org/fx"
)

// Module is the loader application for cfg.
func Module(cfg Config) fx.Option {
	return fx.Options(
		fx.Supply(cfg, cfg.NATS, cfg.Stream, cfg.Postgres, telemetry.Addr(cfg.HTTPAddr),
			natsconn.ClientName("loader"), postgres.AppName("tributary-loader")),
		fx.Supply(telemetry.Pprof(cfg.Pprof)),
		fx.Provide(func(c Config) *slog.Logger { return logging.New(c.Log, "loader", os.Stderr) }),
		fx.WithLogger(logging.FxLogger),
		telemetry.Module,
		natsconn.Module,
		postgres.Module,
		fx.Provide(newMetrics, newLoader),
		fx.Invoke(func(lc fx.Lifecycle, sd fx.Shutdowner, l *loader.Loader, h *telemetry.Health, reg prometheus.Registerer,
			js jetstream.JetStream, pool *pgxpool.Pool, c Config) {
			h.Add("consumer", l.Ready)
			registerConsumerGauges(reg, js, c.Stream.Stream, c.Stream.Consumer)
			registerPoolGauges(reg, pool)
			fxapp.Background(lc, sd, l.Run)
		}),
	)
}

func newLoader(c Config, js jetstream.JetStream, nc *nats.Conn, pool *pgxpool.Pool, m *metrics, log *slog.Logger) *loader.Loader {
	var migrate func(context.Context) error
	if c.Migrate {
		migrate = func(ctx context.Context) error { return db.Migrate(ctx, pool, log) }
	}
	return loader.New(loader.Config{
		Workers: c.Workers,
		Limits: fetch.Limits{
			Messages: c.BatchMessages, Rows: c.BatchRows, Bytes: c.BatchBytes, Linger: c.BatchWait, Poll: 5 * time.Second,
		},
		MaxDeliver: c.Stream.MaxDeliver,
		AckWait:    c.Stream.AckWait,
		MaxBackoff: c.MaxBackoff,
	}, c.Stream, loader.Deps{
		JetStream:   js,
		CheckNATS:   func() error { return natsconn.CheckServer(nc) },
		Migrate:     migrate,
		Store:       store.New(pool),
		DeadLetters: deadletter.New(js, c.Stream, time.Now),
		Observer:    m,
		Log:         log,
		Now:         time.Now,
	})
}
