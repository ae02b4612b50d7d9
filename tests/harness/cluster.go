package harness

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/tributary-dev/tributary/shared/secrets"
	"github.com/tributary-dev/tributary/shared/testkit/natstest"
)

// StartCluster runs the shipped 3-node cluster configuration
// (deployments/nats/cluster/nats-N.conf: auth, JetStream, sync always) in
// process, on random loopback ports, and waits until JetStream has a meta
// leader. tweaks, if any, change each node's options before it starts.
func StartCluster(t testing.TB, creds *secrets.Set, tweaks ...func(*server.Options)) []*server.Server {
	t.Helper()
	// A JetStream cluster needs its routes configured before it starts, so
	// the route ports are picked first (free a moment ago: a small race
	// with other processes, not with these servers).
	ports := freePorts(t, 3)
	routes := make([]*url.URL, 3)
	for i, port := range ports {
		routes[i] = &url.URL{Scheme: "nats-route", Host: fmt.Sprintf("127.0.0.1:%d", port)}
	}
	var servers []*server.Server
	for i := range 3 {
		opts := ShippedNATSOptions(t, fmt.Sprintf("deployments/nats/cluster/nats-%d.conf", i+1), creds)
		opts.Cluster.Host, opts.Cluster.Port = "127.0.0.1", ports[i]
		opts.Routes = routes
		for _, tweak := range tweaks {
			tweak(opts)
		}
		servers = append(servers, natstest.Start(t, opts))
	}
	nc := Admin(t, creds, servers...)
	js, _ := jetstream.New(nc)
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := js.AccountInfo(ctx)
		cancel()
		if err == nil {
			return servers
		}
		if time.Now().After(deadline) {
			t.Fatalf("the cluster has no JetStream meta leader after 20s: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// ClientURLs is NATS_URL for clients of servers.
func ClientURLs(servers ...*server.Server) string {
	urls := make([]string, len(servers))
	for i, s := range servers {
		urls[i] = s.ClientURL()
	}
	return strings.Join(urls, ",")
}

// Admin connects to servers as the admin identity, for inspection.
func Admin(t testing.TB, creds *secrets.Set, servers ...*server.Server) *nats.Conn {
	t.Helper()
	auth, err := nats.NkeyOptionFromSeed(creds.NATS[secrets.Admin].SeedFile)
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(ClientURLs(servers...), auth, nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}
