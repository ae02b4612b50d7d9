package telemetry

import (
	"context"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/fx"
)

// Addr is the listen address of the endpoints; "off" (or empty) disables
// them. An empty environment variable means "use the default" to the config
// library, hence the explicit word.
type Addr string

// Off disables the endpoints.
const Off = "off"

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
	if addr == "" || addr == Off {
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
