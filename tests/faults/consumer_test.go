package faults

import (
	"context"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/tributary-dev/tributary/tests/faults/cluster"
)

func consumerInfo(ctx context.Context, c *cluster.Cluster) (*jetstream.ConsumerInfo, error) {
	cons, err := c.JS.Consumer(ctx, c.Settings.Stream, c.Settings.Consumer)
	if err != nil {
		return nil, err
	}
	return cons.Info(ctx)
}
