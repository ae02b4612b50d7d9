// Package app wires the loader with fx. It holds no logic of its own.
package app

import (
	"context"
	"fmt"
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
	"github.com/tributary-dev/tributary/services/loader/internal/partition"
	"github.com/tributary-dev/tributary/services/loader/internal/retention"
	"github.com/tributary-dev/tributary/services/loader/internal/store"
	"github.com/tributary-dev/tributary/services/loader/internal/supervise"
	"github.com/tributary-dev/tributary/shared/datadir"
	"github.com/tributary-dev/tributary/shared/fxapp"
	"github.com/tributary-dev/tributary/shared/ingest"
	"github.com/tributary-dev/tributary/shared/logging"
	"github.com/tributary-dev/tributary/shared/natsconn"
	"github.com/tributary-dev/tributary/shared/postgres"
	"github.com/tributary-dev/tributary/shared/schema"
	"github.com/tributary-dev/tributary/shared/telemetry"
	"go.uber.org/fx"
)

// Module is the loader application for cfg.
func Module(cfg Config) fx.Option {
	return fx.Options(
		fx.Supply(cfg, cfg.NATS.ForService("loader"), cfg.Stream, cfg.Postgres, telemetry.Addr(cfg.HTTPAddr),
			natsconn.ClientName("loader"), postgres.AppName("tributary-loader")),
		fx.Supply(telemetry.Pprof(cfg.Pprof)),
		fx.Provide(func(c Config) *slog.Logger { return logging.New(c.Log, "loader", os.Stderr) }),
		fx.WithLogger(logging.FxLogger),
		telemetry.Module,
		natsconn.Module,
		postgres.Module,
		fx.Provide(newMetrics, newSupervisor, newCleaner, newPartitions),
		fx.Invoke(func(lc fx.Lifecycle, sd fx.Shutdowner, l *supervise.Supervisor, rc *retention.Cleaner, pm *partition.Maintainer, h *telemetry.Health,
			reg prometheus.Registerer, js jetstream.JetStream, pool *pgxpool.Pool, c Config) {
			h.Add("stream", func(ctx context.Context) error {
				if _, err := js.Stream(ctx, c.Stream.Stream); err != nil {
					return fmt.Errorf("stream %s: %w", c.Stream.Stream, err)
				}
				return nil
			})
			h.Add("consumer", l.Ready)
			registerJetStreamGauges(reg, js, c.Stream)
			registerPoolGauges(reg, pool)
			fxapp.Background(lc, sd, l.Run)
			fxapp.Background(lc, sd, rc.Run)
			fxapp.Background(lc, sd, pm.Run)
		}),
	)
}

func newSupervisor(c Config, js jetstream.JetStream, nc *nats.Conn, pool *pgxpool.Pool, m *metrics, log *slog.Logger) *supervise.Supervisor {
	var migrate func(context.Context) error
	if c.Migrate {
		migrate = func(ctx context.Context) error { return db.Migrate(ctx, pool, log) }
	}
	budget, dlq := deadletter.NewBudget(pool), deadletter.New(js, c.Stream, time.Now)
	return supervise.New(supervise.Config{Dir: c.ContractsDir, Every: c.ContractsPoll}, supervise.Deps{
		Migrate:  migrate,
		Catalog:  pool,
		Observer: m,
		Log:      log,
		// Each contract loads on connections of its own, one per worker:
		// a slow COPY of one contract never waits for, or starves, another's.
		NewRunner: func(t *schema.Table) (supervise.Runner, error) {
			pg := c.Postgres
			pg.MaxConns = int32(c.Workers)
			own, err := postgres.Open(context.Background(), pg, "tributary-loader")
			if err != nil {
				return nil, err
			}
			l := newLoader(c, js, nc, store.New(own, t), budget, dlq, m.forContract(t.Contract), log.With("contract", t.Contract), c.Stream.ContractTopology(t.Contract))
			return &ownPool{Loader: l, pool: own}, nil
		},
	})
}

// ownPool is a contract's loader with its connections, closed when it stops.
type ownPool struct {
	*loader.Loader
	pool *pgxpool.Pool
}

func (o *ownPool) Run(ctx context.Context) error {
	defer o.pool.Close()
	return o.Loader.Run(ctx)
}

func newLoader(c Config, js jetstream.JetStream, nc *nats.Conn, st *store.Store, budget *deadletter.Budget, dlq *deadletter.Queue,
	m *contractMetrics, log *slog.Logger, topo ingest.Contract) *loader.Loader {
	return loader.New(loader.Config{
		Workers: c.Workers,
		Limits: fetch.Limits{
			Messages: c.BatchMessages, Rows: c.BatchRows, Bytes: c.BatchBytes, Linger: c.BatchWait, Poll: 5 * time.Second,
		},
		MaxDeliver: c.Stream.MaxDeliver,
		AckWait:    c.Stream.AckWait,
		MaxBackoff: c.MaxBackoff,
		// One AckWait of trying to store a dead letter, then the message
		// is handed back (NakWithDelay MaxBackoff) and the worker goes on.
		DeadLetterWait: c.Stream.AckWait,
		Contract:       topo,
	}, c.Stream, loader.Deps{
		JetStream:   js,
		CheckNATS:   func() error { return natsconn.CheckServer(nc) },
		Store:       st,
		DeadLetters: dlq,
		Budget:      budget,
		Observer:    m,
		Log:         log,
		Now:         time.Now,
	})
}

func newCleaner(c Config, js jetstream.JetStream, pool *pgxpool.Pool, sup *supervise.Supervisor, log *slog.Logger) *retention.Cleaner {
	// The ledger is pruned below the lowest ack floor of the contracts'
	// consumers: the messages of every contract share the stream's
	// sequence numbers.
	ackFloor := func(ctx context.Context) (uint64, error) {
		stream, err := js.Stream(ctx, c.Stream.Stream)
		if err != nil {
			return 0, err
		}
		floor, found := uint64(0), false
		consumers := stream.ListConsumers(ctx)
		for info := range consumers.Info() {
			if !found || info.AckFloor.Stream < floor {
				floor, found = info.AckFloor.Stream, true
			}
		}
		if err := consumers.Err(); err != nil {
			return 0, err
		}
		if !found {
			return 0, fmt.Errorf("stream %s has no consumer yet", c.Stream.Stream)
		}
		return floor, nil
	}
	return retention.New(c.Retention, pool, ackFloor, c.Data.Path(datadir.Archive), log, time.Now).WithContracts(sup.Names)
}

func newPartitions(c Config, pool *pgxpool.Pool, m *metrics, log *slog.Logger) *partition.Maintainer {
	return partition.New(c.Partitions, pool, m.partitions, log)
}
