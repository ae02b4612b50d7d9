package cluster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// PGSocketDir is where the machine's PostgreSQL listens on a Unix socket.
// Services in a namespace of their own reach PostgreSQL there: a socket
// file is not bound to a network namespace, so no forwarder is needed and
// the namespaces need no route to the host.
const PGSocketDir = "/var/run/postgresql"

// startNATSCluster runs three clustered nats-servers (as in
// deployments/nats/cluster, without auth), each in namespace nats-N of
// net, and waits until JetStream has a meta leader.
func startNATSCluster(bin, dir string, net *Net, opts NATSOptions) ([]*NATS, string, error) {
	var routes, urls []string
	for i := range 3 {
		addr, err := net.Add(fmt.Sprintf("nats-%d", i+1))
		if err != nil {
			return nil, "", err
		}
		routes = append(routes, "nats-route://"+addr+":6222")
		urls = append(urls, "nats://"+addr+":4222")
	}
	sync := ""
	if opts.SyncAlways {
		sync = "sync_interval: always"
	}
	var nodes []*NATS
	for i := range 3 {
		name := fmt.Sprintf("nats-%d", i+1)
		nodeDir := filepath.Join(dir, name)
		if err := os.MkdirAll(nodeDir, 0o755); err != nil {
			return nil, "", err
		}
		conf := fmt.Sprintf(`server_name: %s
listen: 0.0.0.0:4222
max_payload: 1MB
jetstream {
  store_dir: %q
  max_file_store: 4GB
  %s
}
cluster {
  name: tributary
  listen: 0.0.0.0:6222
  routes: [%s]
}
`, name, filepath.Join(nodeDir, "store"), sync, strings.Join(routes, ", "))
		confFile := filepath.Join(nodeDir, "nats.conf")
		if err := os.WriteFile(confFile, []byte(conf), 0o644); err != nil {
			return nil, "", err
		}
		path, args := net.Command(name, filepath.Join(bin, "nats-server"), "-c", confFile)
		n := &NATS{Proc: NewProc(name, path, args, nil, filepath.Join(nodeDir, "nats.log")), URL: urls[i], dialer: net.Dialer()}
		if err := n.Proc.Start(); err != nil {
			return nodes, "", err
		}
		nodes = append(nodes, n)
	}
	url := strings.Join(urls, ",")
	return nodes, url, waitJetStream(url, net.Dialer(), 30*time.Second)
}

// waitJetStream waits until JetStream at url answers (in a cluster: has a
// meta leader).
func waitJetStream(url string, dialer nats.CustomDialer, wait time.Duration) error {
	opts := []nats.Option{nats.RetryOnFailedConnect(true), nats.MaxReconnects(-1), nats.ReconnectWait(50 * time.Millisecond)}
	if dialer != nil {
		opts = append(opts, nats.SetCustomDialer(dialer))
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(wait)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := js.AccountInfo(ctx)
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("JetStream at %s not ready after %s: %w", url, wait, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// startPartitionable creates c's Net and its NATS cluster. The Net is
// removed after every process is stopped, even when the test fails.
func (c *Cluster) startPartitionable(dir string, opts NATSOptions) {
	net, err := NewNet()
	if err != nil {
		c.T.Fatalf("network namespaces for the partition tests: %v", err)
	}
	c.Net = net
	c.T.Cleanup(net.Close)
	c.T.Cleanup(c.stopAll) // registered after the Net and the database: runs before either goes
	nodes, url, err := startNATSCluster(c.Bin, dir, net, opts)
	for _, n := range nodes {
		c.procs = append(c.procs, n.Proc)
	}
	if err != nil {
		c.T.Fatal(err)
	}
	c.Nodes, c.NATS, c.NATSURL = nodes, nodes[0], url
}
