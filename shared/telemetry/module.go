package telemetry

import (
	"context"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/fx"
)

// Addr is the listen address of the endpoints; empty disables them.
type Addr string

// Module provides the registry and Health, and serves them on Addr.
var Module = fx.Module("telemetry",
	fx.Provide(
		NewRegistry,
		NewHealth,
		func(r *prometheus.Registry) prometheus.Registerer { return r },
	),
	fx.Invoke(serve),
)

func serve(lc fx.Lifecycle, addr Addr, reg *prometheus.Registry, health *Health, log *slog.Logger) error {
	if addr == "" {
		return nil
	}
	srv, err := Listen(string(addr), reg, health, log)
	if err != nil {
		return err
	}
	lc.Append(fx.Hook{
		OnStart: func(context.Context) error { srv.Start(); return nil },
		OnStop:  srv.Stop,
	})
	return nil
}
