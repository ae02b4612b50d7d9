package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/tributary-dev/tributary/shared/datadir"
)

// PipelineSpec describes one run of the whole pipeline.
type PipelineSpec struct {
	Name    string
	Loaders int
	Env     []string // settings for every service, on top of the bench's
	Dataset *Dataset // files landed all at once; or
	// Waiting lands Dataset before the services start, and the clock
	// starts with them: a backlog left by an outage, the producer's
	// renames not competing with the drain.
	Waiting bool
	Offered *Offered // a generator landing files at a steady rate
	Variant variant  // whose watcher, loaders and nats-server
	// Inspect, if set, looks at the loaded database before it is dropped.
	Inspect func(context.Context, *pgxpool.Pool) error
	Target  *target // an existing database to load into; nil: a fresh one
}

// Offered is a steady load: Rate events per second as files of RowsPerFile
// rows, for Duration.
type Offered struct {
	Rate        int
	RowsPerFile int
	Duration    time.Duration
}

// PipelineRun is what a run measured.
type PipelineRun struct {
	Name        string        `json:"name"`
	Variant     string        `json:"variant"` // the working tree, or -compare's commit
	IDs         string        `json:"ids"`
	Loaders     int           `json:"loaders"`
	Env         []string      `json:"env"`
	Files       int           `json:"files"`
	RowsPerFile int           `json:"rows_per_file"`
	Rows        int64         `json:"rows"`
	Bytes       int64         `json:"bytes,omitempty"`
	Offered     int           `json:"offered_events_per_second,omitempty"`
	Messages    int           `json:"messages"`
	Seconds     float64       `json:"seconds"` // first landing to last commit
	RowsPerSec  float64       `json:"rows_per_second"`
	FilesPerSec float64       `json:"files_per_second"`
	Latency     Percentiles   `json:"landed_to_committed"`
	Services    []ServiceStat `json:"services"` // over each process's life
	CPU         CPUUse        `json:"cpu_seconds_while_loading"`
	Busy        busy          `json:"machine"`
	NATS        NATSInfo      `json:"nats"`
	Series      []Point       `json:"throughput_series"`
	latencies   []time.Duration
}

// cluster is the running processes of one pipeline run.
type cluster struct {
	nats      *proc
	watcher   *proc
	loaders   []*proc
	generator *proc // of a run at an offered rate
	addrs     map[*proc]string
	children  []*proc // in stop order
}

// procs lists the processes by the role their CPU is reported under.
func (c *cluster) procs() map[string][]*proc {
	procs := map[string][]*proc{roleNATS: {c.nats}, roleWatcher: {c.watcher}, roleLoaders: c.loaders}
	if c.generator != nil {
		procs[roleGenerator] = []*proc{c.generator}
	}
	return procs
}

func (c *cluster) stop() {
	for _, p := range c.children {
		p.stop(30 * time.Second)
	}
}

func (c *cluster) exited() error {
	for _, p := range c.children {
		select {
		case <-p.done:
			if p.name == "generator" && p.err == nil {
				continue // it lands its files and exits
			}
			return fmt.Errorf("%s exited during the run: %v (see %s)", p.name, p.err, p.log)
		default:
		}
	}
	return nil
}

// runPipeline starts NATS, a watcher and the loaders on a fresh database,
// lands the files, waits until the ledger has every row, stops everything
// and reads what it cost.
func (b *bench) runPipeline(ctx context.Context, spec PipelineSpec) (run PipelineRun, err error) {
	run = PipelineRun{Name: spec.Name, Variant: spec.Variant.Label, IDs: idsV7, Loaders: spec.Loaders,
		Env: append(append([]string{}, b.opts.Env...), spec.Env...)}
	if slices.Contains(run.Env, generatorV4) {
		run.IDs = idsV4
	}
	if spec.Dataset != nil {
		run.IDs = spec.Dataset.IDs
	}
	dir := filepath.Join(b.work, fmt.Sprintf("run-%02d", b.next()))
	data := datadir.Config{Dir: filepath.Join(dir, "data")}
	if err := data.Ensure(); err != nil {
		return run, err
	}
	defer func() {
		if spec.Dataset != nil {
			err = errors.Join(err, spec.Dataset.restore(data))
		}
		if err == nil && !b.opts.Keep {
			_ = os.RemoveAll(filepath.Join(dir, "data"))
			_ = os.RemoveAll(filepath.Join(dir, "nats", "store"))
		}
	}()
	dbURL, dropDB := "", func() {}
	if spec.Target != nil {
		dbURL = spec.Target.url
	} else if dbURL, dropDB, err = b.newDatabase(ctx, spec.Variant.migrate); err != nil {
		return run, err
	}
	defer dropDB()
	benchURL, err := asBench(dbURL)
	if err != nil {
		return run, err
	}
	pool, err := pgxpool.New(ctx, benchURL)
	if err != nil {
		return run, err
	}
	defer pool.Close()
	if spec.Target != nil {
		if err := spec.Target.reset(ctx, pool); err != nil {
			return run, err
		}
	}

	var start time.Time
	if spec.Waiting {
		if err := spec.Dataset.landWaiting(data); err != nil {
			return run, err
		}
		start = time.Now()
	}
	c, err := b.startCluster(ctx, dir, dbURL, data, spec, run.Env, &run.NATS)
	if c != nil {
		defer c.stop()
	}
	if err != nil {
		return run, err
	}
	if _, err := pool.Exec(ctx, "CHECKPOINT"); err != nil { // as before each COPY run
		return run, err
	}
	m, err := startMeter(ctx, pool, c.procs, b.opts.Contention)
	if err != nil {
		return run, err
	}
	// Profiles start before the files land: a backlog is mostly drained
	// while the bench is still landing it.
	profiles := b.profile(ctx, c, dir)
	var want int64
	switch {
	case spec.Dataset != nil:
		run.Files, run.RowsPerFile, want, run.Bytes = spec.Dataset.Files, spec.Dataset.RowsPerFile, spec.Dataset.Rows, spec.Dataset.Bytes
		if !spec.Waiting {
			if start, err = spec.Dataset.land(data); err != nil {
				return run, err
			}
		}
	case spec.Offered != nil:
		o := spec.Offered
		run.Offered = o.Rate
		run.Files, run.RowsPerFile = int(o.Duration.Seconds()*float64(o.Rate))/o.RowsPerFile, o.RowsPerFile
		want = int64(run.Files) * int64(o.RowsPerFile)
		start = time.Now()
		gen, err := startProc("generator", filepath.Join(b.opts.Bin, "generator"), nil, append(b.serviceEnv(dbURL, data, run.Env),
			"GENERATOR_RATE="+strconv.Itoa(o.Rate), "GENERATOR_ROWS_PER_FILE="+strconv.Itoa(o.RowsPerFile),
			"GENERATOR_FILES="+strconv.Itoa(run.Files)), filepath.Join(dir, "generator.log"))
		if err != nil {
			return run, err
		}
		c.children = append([]*proc{gen}, c.children...)
		c.generator = gen
		defer func() { run.Services = append(run.Services, gen.stat()) }()
	}
	if err := b.waitLoaded(ctx, pool, c, want); err != nil {
		return run, err
	}
	if run.CPU, run.Busy, err = m.stop(ctx); err != nil {
		return run, err
	}
	profiles()
	c.stop()
	for _, p := range c.children {
		if p.name != "generator" {
			run.Services = append(run.Services, p.stat())
		}
	}
	if err := readLedger(ctx, pool, start, &run); err != nil {
		return run, err
	}
	if run.Rows != want {
		return run, fmt.Errorf("%s: the ledger has %d rows, want %d", run.Name, run.Rows, want)
	}
	if spec.Target != nil {
		return run, spec.Target.check(ctx, pool, want)
	}
	if err := checkExactlyOnce(ctx, pool, want); err != nil {
		return run, err
	}
	if spec.Inspect != nil {
		return run, spec.Inspect(ctx, pool)
	}
	return run, nil
}

func (b *bench) startCluster(ctx context.Context, dir, dbURL string, data datadir.Config, spec PipelineSpec, env []string, info *NATSInfo) (*cluster, error) {
	c := &cluster{addrs: map[*proc]string{}}
	natsDir := filepath.Join(dir, "nats")
	if err := os.MkdirAll(natsDir, 0o755); err != nil {
		return nil, err
	}
	bin := spec.Variant.bin
	nats, url, ni, err := startNATS(ctx, bin, b.natsConf, natsDir, b.opts.MaxPayload)
	if err != nil {
		return nil, err
	}
	*info = ni
	c.nats = nats
	c.children = []*proc{nats}
	// The contracts as the variant shipped them, wherever the bench runs.
	src := spec.Variant.src
	if src == "" {
		src = b.root
	}
	base := append(b.serviceEnv(dbURL, data, env), "NATS_URL="+url, "CONTRACTS_DIR="+filepath.Join(src, "contracts"))
	if !spec.Variant.migrate {
		base = append(base, "LOADER_MIGRATE=true") // its default: said, as the bench relies on it
	}
	start := func(name, exe string, extra ...string) (*proc, error) {
		p, err := startProc(name, filepath.Join(bin, exe), nil, append(base, extra...), filepath.Join(dir, name+".log"))
		if err != nil {
			return nil, err
		}
		c.children = append([]*proc{p}, c.children...) // stopped before what it depends on
		addr, err := p.serviceAddr(ctx, 10*time.Second)
		if err != nil {
			return p, err
		}
		c.addrs[p] = addr
		return p, p.waitReady(ctx, "http://"+addr+"/readyz", 30*time.Second)
	}
	// The watcher creates the stream, which a loader needs to be ready.
	if c.watcher, err = start("watcher", "watcher", "WATCHER_ID=bench"); err != nil {
		return c, err
	}
	for i := 1; i <= spec.Loaders; i++ {
		name := "loader"
		if spec.Loaders > 1 {
			name = "loader-" + strconv.Itoa(i)
		}
		l, err := start(name, "loader")
		if err != nil {
			return c, err
		}
		c.loaders = append(c.loaders, l)
	}
	return c, nil
}

// serviceEnv is the environment every service of a run gets; later
// entries win, so the operator's -env settings come last.
func (b *bench) serviceEnv(dbURL string, data datadir.Config, extra []string) []string {
	env := []string{
		"DATABASE_URL=" + dbURL, "DATA_DIR=" + data.Dir, "HTTP_ADDR=127.0.0.1:0",
		"CONTRACTS_DIR=" + filepath.Join(b.root, "contracts"), // wherever the bench runs from
		"LOG_FORMAT=json", "LOG_LEVEL=info",
	}
	if b.opts.Profile > 0 {
		env = append(env, "HTTP_PPROF=true")
	}
	return append(env, extra...)
}

// waitLoaded polls the ledger (small: one row per message) until it
// accounts for want rows.
func (b *bench) waitLoaded(ctx context.Context, pool *pgxpool.Pool, c *cluster, want int64) error {
	deadline := time.Now().Add(b.opts.Timeout)
	for {
		var rows int64
		err := pool.QueryRow(ctx, "SELECT coalesce(sum(rows_loaded + rows_rejected), 0) FROM ingest_ledger").Scan(&rows)
		if err != nil {
			return fmt.Errorf("poll ledger: %w", err)
		}
		if rows >= want {
			return nil
		}
		if err := c.exited(); err != nil {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("only %d of %d rows loaded after %s (-timeout); logs in %s", rows, want, b.opts.Timeout, b.work)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
