package natsconn

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/tributary-dev/tributary/shared/telemetry"
	"go.uber.org/fx"
)

// ClientName names the connection as the server shows it (`nats server
// report connections`).
type ClientName string

// Module provides *nats.Conn and jetstream.JetStream from a Config and a
// ClientName, adds a "nats" readiness check, and drains the connection on
// stop so that in-flight publishes and acks are flushed.
var Module = fx.Module("nats",
	fx.Provide(provideConn, jetstream.New),
	fx.Invoke(func(h *telemetry.Health, nc *nats.Conn) {
		h.Add("nats", func(context.Context) error { return CheckServer(nc) })
	}),
)

func provideConn(lc fx.Lifecycle, c Config, name ClientName, log *slog.Logger) (*nats.Conn, error) {
	nc, err := Connect(c, string(name), log)
	if err != nil {
		return nil, err
	}
	lc.Append(fx.StopHook(func(ctx context.Context) error { return drain(ctx, nc) }))
	return nc, nil
}

func drain(ctx context.Context, nc *nats.Conn) error {
	if err := nc.Drain(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
		nc.Close()
		return nil
	}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !nc.IsClosed() {
		select {
		case <-ctx.Done():
			nc.Close()
			return nil
		case <-tick.C:
		}
	}
	return nil
}
