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

// Pprof, when true, adds net/http/pprof to the endpoints. A service that
// does not supply it serves no profiles.
type Pprof bool

// Module provides the registry and Health, and serves them on Addr.
var Module = fx.Module("telemetry",
	fx.Provide(
		NewRegistry,
		NewHealth,
		func(r *prometheus.Registry) prometheus.Registerer { return r },
	),
	fx.Invoke(serve),
)

type serveParams struct {
	fx.In
	Addr   Addr
	Pprof  Pprof `optional:"true"`
	Reg    *prometheus.Registry
	Health *Health
	Log    *slog.Logger
}

func serve(lc fx.Lifecycle, p serveParams) error {
	if p.Addr == "" || p.Addr == Off {
		return nil
	}
	srv, err := Listen(string(p.Addr), p.Reg, p.Health, p.Log)
	if err != nil {
		return err
	}
	if p.Pprof {
		srv.EnablePprof()
	}
	lc.Append(fx.Hook{
		OnStart: func(context.Context) error { srv.Start(); return nil },
		OnStop:  srv.Stop,
	})
	return nil
}
