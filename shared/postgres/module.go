package postgres

import (
	"context"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/tributary-dev/tributary/shared/telemetry"
	"go.uber.org/fx"
)

// AppName is the application_name sessions carry (seen in pg_stat_activity).
type AppName string

// Module provides *pgxpool.Pool from a Config and an AppName, adds a
// "postgres" readiness check, and closes the pool on stop.
var Module = fx.Module("postgres",
	fx.Provide(func(lc fx.Lifecycle, c Config, name AppName) (*pgxpool.Pool, error) {
		pool, err := Open(context.Background(), c, string(name))
		if err != nil {
			return nil, err
		}
		lc.Append(fx.StopHook(pool.Close))
		return pool, nil
	}),
	fx.Invoke(func(h *telemetry.Health, pool *pgxpool.Pool) {
		h.Add("postgres", pool.Ping)
	}),
)
