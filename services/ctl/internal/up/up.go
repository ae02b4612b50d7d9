// Package up runs the whole pipeline on one machine for development: a
// nats-server with JetStream, the schema, and the three services as child
// processes with their output prefixed. Ctrl-C stops the services first
// (each finishes or hands back its in-flight work), then NATS.
package up

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/tributary-dev/tributary/db"
	"github.com/tributary-dev/tributary/shared/postgres"
)

// Config locates binaries, data and servers.
type Config struct {
	BinDir      string // holds nats-server, generator, watcher, loader
	DataDir     string
	NATSConfig  string // nats-server configuration file
	NATSPort    int
	NATSMonitor int
	DatabaseURL string
	LoaderRole  string // PostgreSQL role the loader runs as; "" keeps DatabaseURL's
	StopTimeout time.Duration
}

// Run starts everything and blocks until ctx ends or a process dies.
func Run(ctx context.Context, c Config, out io.Writer, log *slog.Logger) error {
	if err := preparePostgres(ctx, c.DatabaseURL, log); err != nil {
		return err
	}
	creds, err := prepareCredentials(ctx, c, log)
	if err != nil {
		return err
	}
	mux := newPrefixer(out)
	natsURL := fmt.Sprintf("nats://127.0.0.1:%d", c.NATSPort)
	nats := &child{name: "nats", path: filepath.Join(c.BinDir, "nats-server"), args: []string{
		"-c", c.NATSConfig, "-a", "127.0.0.1", "-p", fmt.Sprint(c.NATSPort), "-m", fmt.Sprint(c.NATSMonitor),
		"-sd", filepath.Join(c.DataDir, "nats"),
	}}
	if err := nats.start(mux, creds.nats); err != nil {
		return err
	}
	defer nats.stop(c.StopTimeout)
	if err := waitHTTP(ctx, nats.done, fmt.Sprintf("http://127.0.0.1:%d/healthz?js-enabled-only=true", c.NATSMonitor), 20*time.Second); err != nil {
		return fmt.Errorf("nats-server did not become ready: %w", err)
	}
	env := []string{"NATS_URL=" + natsURL, "DATA_DIR=" + c.DataDir}
	if mux.color && os.Getenv("LOG_FORMAT") == "" {
		env = append(env, "LOG_FORMAT=text") // the children write to a pipe, but a person reads it
	}
	services := []*child{
		{name: "loader", path: filepath.Join(c.BinDir, "loader"), env: concat(env, creds.loader, []string{"LOADER_MIGRATE=false"})},
		{name: "watcher", path: filepath.Join(c.BinDir, "watcher"), env: concat(env, creds.watcher)},
		{name: "generator", path: filepath.Join(c.BinDir, "generator"), env: env},
	}
	for _, s := range services {
		if err := s.start(mux, s.env); err != nil {
			stopAll(services, c.StopTimeout)
			return err
		}
	}
	log.Info("pipeline running; Ctrl-C stops it", "nats", natsURL, "data_dir", c.DataDir, "database", postgres.Redact(c.DatabaseURL))

	exited := make(chan *child, len(services)+1)
	for _, s := range append(services, nats) {
		go func() { s.wait(); exited <- s }()
	}
	select {
	case <-ctx.Done():
		log.Info("stopping services")
	case s := <-exited:
		if s.name != "generator" || s.err != nil {
			err = fmt.Errorf("%s exited: %v", s.name, s.exitErr())
		} else {
			log.Info("generator finished its files; the others keep running until Ctrl-C")
			<-ctx.Done()
		}
	}
	stopAll(services, c.StopTimeout)
	return err
}

func preparePostgres(ctx context.Context, url string, log *slog.Logger) error {
	created, err := db.CreateDatabase(ctx, url)
	if err != nil {
		return fmt.Errorf(`PostgreSQL is not usable at %s: %w

Start a local server (on Debian: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start)
or point DATABASE_URL at one, e.g. DATABASE_URL=postgres://user@host:5432/tributary go tool task up`, postgres.Redact(url), err)
	}
	if created {
		log.Info("database created", "database", postgres.Redact(url))
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", postgres.Redact(url), err)
	}
	defer pool.Close()
	return db.Migrate(ctx, pool, log)
}

func concat(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

func stopAll(children []*child, timeout time.Duration) {
	var wg sync.WaitGroup
	for _, c := range children {
		wg.Go(func() { c.stop(timeout) })
	}
	wg.Wait()
}

// waitHTTP polls url until it answers 200, the process behind it exits
// (exited closes), ctx ends or timeout passes.
func waitHTTP(ctx context.Context, exited <-chan struct{}, url string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = errors.New(resp.Status)
		}
		last = err
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-exited:
			return errors.New("the process exited; see its output above")
		case <-time.After(100 * time.Millisecond):
		}
	}
	return last
}

// child is one supervised process.
type child struct {
	name, path string
	args, env  []string
	cmd        *exec.Cmd
	done       chan struct{}
	err        error
}

func (c *child) start(mux *prefixer, env []string) error {
	c.cmd = exec.Command(c.path, c.args...)
	c.cmd.Env = append(inheritedEnv(), env...)
	c.cmd.Stdout = mux.writer(c.name)
	c.cmd.Stderr = mux.writer(c.name)
	c.cmd.SysProcAttr = procAttr()
	c.done = make(chan struct{})
	if err := c.cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w (did `go tool task build` run?)", c.name, err)
	}
	go func() { c.err = c.cmd.Wait(); close(c.done) }()
	return nil
}

func (c *child) wait() { <-c.done }

func (c *child) exitErr() error {
	if c.err == nil {
		return errors.New("exit status 0")
	}
	return c.err
}

// stop asks the process to stop (SIGTERM) and kills it after timeout.
func (c *child) stop(timeout time.Duration) {
	if c.cmd == nil || c.cmd.Process == nil {
		return
	}
	select {
	case <-c.done:
		return
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(timeout):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
}
