// Package cluster runs the pipeline as separate OS processes for fault
// tests: a nats-server child with a persistent store, the watcher, any
// number of loaders and the generator, each from its real binary and
// configured by environment like an operator would, plus a TCP proxy in
// front of PostgreSQL and a fresh database per test.
package cluster

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/tributary-dev/tributary/db"
	"github.com/tributary-dev/tributary/shared/datadir"
	"github.com/tributary-dev/tributary/shared/ingest"
	"github.com/tributary-dev/tributary/shared/testkit/pgtest"
	"github.com/tributary-dev/tributary/tests/faults/pgproxy"
	"github.com/tributary-dev/tributary/tests/harness"
)

// Build compiles the services, ctl and nats-server into dir. It needs the
// workspace (go.work), which every command of the repository uses.
func Build(dir string) error {
	root, err := harness.WorkspaceRoot()
	if err != nil {
		return err
	}
	cmd := exec.Command("go", "build", "-o", dir+string(os.PathSeparator),
		"./services/generator", "./services/watcher", "./services/loader", "./services/ctl",
		"github.com/nats-io/nats-server/v2")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %w\n%s", err, out)
	}
	return nil
}

// Options shape a cluster.
type Options struct {
	NATS NATSOptions
	Vars map[string]string // environment of every service, on top of the defaults
	// DataRoot, when set, holds the data directory and the generator's
	// staging directory instead of the test's temporary directory: a small
	// filesystem of their own, so that the feeder's renames stay renames.
	DataRoot string
	// Partitions runs a 3-node NATS cluster instead of one server, each
	// node and each service in a network namespace of its own (see Net),
	// so that the test can cut their links. It needs root.
	Partitions bool
}

// Cluster is one isolated pipeline.
type Cluster struct {
	T        testing.TB
	Bin      string
	Dir      string
	Data     datadir.Config // the pipeline's data directory
	Stage    datadir.Config // the generator's own, fed into Data by the test
	DBName   string
	DBURL    string // direct; services reach PostgreSQL through Proxy
	Pool     *pgxpool.Pool
	Proxy    *pgproxy.Proxy
	NATS     *NATS               // the server, or with Partitions the first node
	Nodes    []*NATS             // with Partitions: the three nodes
	Net      *Net                // with Partitions
	NATSURL  string              // what clients are given
	JS       jetstream.JetStream // the test's own client
	Settings ingest.Settings

	vars  map[string]string
	procs []*Proc
}

// New starts NATS, the proxy and a migrated database. Services are
// started by the test.
func New(t testing.TB, bin string, opts Options) *Cluster {
	t.Helper()
	dir := t.TempDir()
	dataRoot := dir
	if opts.DataRoot != "" {
		dataRoot = opts.DataRoot
	}
	c := &Cluster{T: t, Bin: bin, Dir: dir,
		Data: datadir.Config{Dir: filepath.Join(dataRoot, "data")}, Stage: datadir.Config{Dir: filepath.Join(dataRoot, "stage")}}
	for _, d := range []datadir.Config{c.Data, c.Stage} {
		if err := d.Ensure(); err != nil {
			t.Fatal(err)
		}
	}
	c.DBURL = pgtest.NewDatabase(t)
	u, err := url.Parse(c.DBURL)
	if err != nil {
		t.Fatal(err)
	}
	c.DBName = u.Path[1:]
	if c.Pool, err = pgxpool.New(context.Background(), c.DBURL); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Pool.Close)
	if err := db.Migrate(context.Background(), c.Pool, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	if c.Proxy, err = pgproxy.New(u.Host); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Proxy.Close)
	proxied := *u
	proxied.Host = c.Proxy.Addr()

	natsDir := filepath.Join(dir, "nats")
	if err := os.MkdirAll(natsDir, 0o755); err != nil {
		t.Fatal(err)
	}
	clientOpts := []nats.Option{nats.MaxReconnects(-1), nats.ReconnectWait(100 * time.Millisecond)}
	if opts.Partitions {
		c.startPartitionable(natsDir, opts.NATS)
		// A cut leaves a connection open but dead, found only by pings: the
		// test's own client must not sit on a cut node for two minutes.
		clientOpts = append(clientOpts, nats.SetCustomDialer(c.Net.Dialer()), nats.PingInterval(time.Second), nats.MaxPingsOutstanding(2))
		proxied = *u // the services reach PostgreSQL on its socket, not through the proxy
		proxied.Host = ""
		proxied.RawQuery = "host=" + PGSocketDir
	} else {
		if c.NATS, err = startNATS(bin, natsDir, opts.NATS); err != nil {
			t.Fatal(err)
		}
		c.procs = append(c.procs, c.NATS.Proc)
		c.NATSURL = c.NATS.URL
		t.Cleanup(c.stopAll) // registered after the database: runs before it is dropped
	}
	nc, err := nats.Connect(c.NATSURL, clientOpts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	if c.JS, err = jetstream.New(nc); err != nil {
		t.Fatal(err)
	}

	c.vars = map[string]string{
		"NATS_URL":           c.NATSURL,
		"DATABASE_URL":       proxied.String(),
		"DATA_DIR":           c.Data.Dir,
		"CONTRACTS_DIR":      harness.RepoFile("contracts"), // the processes run in the test's package directory
		"HTTP_ADDR":          "127.0.0.1:0",                 // an empty value means the default port
		"LOG_FORMAT":         "text",
		"LOG_LEVEL":          "info",
		"WATCHER_ID":         "w1",
		"WATCHER_SETTLE":     "200ms",
		"WATCHER_RESCAN":     "500ms",
		"CONSUMER_ACK_WAIT":  "3s",
		"LOADER_MAX_BACKOFF": "1s",
	}
	maps.Copy(c.vars, opts.Vars)
	c.Settings = ingest.Settings{Stream: "INGEST", SubjectPrefix: "ingest", Consumer: "loader", DefaultContract: "user_activity"}
	return c
}

// SetVar sets a variable of every service started from now on.
func (c *Cluster) SetVar(name, value string) { c.vars[name] = value }

func (c *Cluster) env(extra map[string]string) []string {
	vars := maps.Clone(c.vars)
	maps.Copy(vars, extra)
	out := make([]string, 0, len(vars))
	for k, v := range vars {
		out = append(out, k+"="+v)
	}
	return out
}

// Service describes a service process with c's environment plus extra; it
// is stopped when the test ends.
func (c *Cluster) Service(binary, name string, extra map[string]string) *Proc {
	path, args := filepath.Join(c.Bin, binary), []string(nil)
	if c.Net != nil {
		if _, err := c.Net.Add(name); err != nil {
			c.T.Fatal(err)
		}
		path, args = c.Net.Command(name, path)
	}
	p := NewProc(name, path, args, c.env(extra), filepath.Join(c.Dir, name+".log"))
	c.procs = append(c.procs, p)
	return p
}

// Reconfigure gives p, from its next start, c's environment plus extra
// (as Service does): a restart with other settings that keeps p's log and
// start count. p must not be running.
func (c *Cluster) Reconfigure(p *Proc, extra map[string]string) error {
	return p.setEnv(c.env(extra))
}

// Start starts p or fails the test.
func (c *Cluster) Start(p *Proc) *Proc {
	c.T.Helper()
	if err := p.Start(); err != nil {
		c.T.Fatal(err)
	}
	return p
}

// Watcher starts the watcher.
func (c *Cluster) Watcher(extra map[string]string) *Proc {
	return c.Start(c.Service("watcher", "watcher", extra))
}

// Loaders starts n loaders on the one durable consumer.
func (c *Cluster) Loaders(n int, extra map[string]string) []*Proc {
	var out []*Proc
	for i := range n {
		out = append(out, c.Start(c.Service("loader", "loader-"+strconv.Itoa(i+1), extra)))
	}
	return out
}

// Generator describes (without starting) a generator writing into Stage.
func (c *Cluster) Generator(extra map[string]string) *Proc {
	vars := map[string]string{"DATA_DIR": c.Stage.Dir}
	maps.Copy(vars, extra)
	return c.Service("generator", "generator", vars)
}

// Died returns the first service that exited without being asked to.
func (c *Cluster) Died() error {
	for _, p := range c.procs {
		if err := p.Unexpected(); err != nil {
			return fmt.Errorf("%w (log: %s)", err, p.LogFile())
		}
	}
	return nil
}

func (c *Cluster) stopAll() {
	for i := len(c.procs) - 1; i >= 0; i-- { // services first, NATS last
		c.procs[i].Stop(10 * time.Second)
	}
}

// Procs lists every process of the cluster, NATS first.
func (c *Cluster) Procs() []*Proc { return c.procs }
