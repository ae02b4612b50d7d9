// Command bench measures the pipeline against a bare COPY of the same files
// into the same PostgreSQL, in one run, and prints one table: throughput of
// each and their ratio, landed-to-committed latency, and what every service
// cost (start-up time, peak RSS, CPU seconds), with the runs other work on
// the machine contended marked. A sweep over file sizes, a small-file
// backlog and a before/after against another commit (-compare) are runs
// of their own. Results go to results/ as JSON and SVG charts. Run it with
// `go tool task bench`; -h lists the sizes and settings.
//
// The services run as they ship: built binaries, child processes, a
// nats-server with the shipped durability setting, a fresh database per
// run, and files with random UUIDv4 ids unless -ids says otherwise.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/tributary-dev/tributary/tests/harness"
)

// workingTree labels the runs of the code being measured; -compare's
// build is labelled by its commit.
const workingTree = "working tree"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if _, err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		if errors.Is(err, errHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// bench holds what every run shares.
type bench struct {
	opts     Options
	root     string // the workspace
	work     string // this invocation's directory under results/
	natsConf string // the shipped nats-server configuration
	log      *slog.Logger
	quiet    *slog.Logger
	runs     int
	sets     map[string]*Dataset // datasets generated so far, by directory
	variants []variant           // the working tree's build, then -compare's
}

func (b *bench) next() int { b.runs++; return b.runs }

// run executes the bench and returns the report it printed and saved.
func run(ctx context.Context, args []string, out io.Writer) (*Report, error) {
	opts, err := parseOptions(args)
	if err != nil {
		return nil, err
	}
	root, err := harness.WorkspaceRoot()
	if err != nil {
		return nil, err
	}
	b := &bench{opts: opts, root: root, natsConf: filepath.Join(root, "deployments", "nats", "nats.conf"),
		sets:  map[string]*Dataset{},
		log:   slog.New(slog.NewTextHandler(os.Stderr, nil)),
		quiet: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if !filepath.IsAbs(b.opts.Results) {
		b.opts.Results = filepath.Join(root, b.opts.Results)
	}
	if !filepath.IsAbs(b.opts.Bin) {
		b.opts.Bin = filepath.Join(root, b.opts.Bin)
	}
	started := time.Now().UTC()
	b.work = filepath.Join(b.opts.Results, "run-"+started.Format("20060102T150405Z"))
	if err := os.MkdirAll(b.work, 0o755); err != nil {
		return nil, err
	}
	defer os.RemoveAll(filepath.Join(b.work, "datasets"))
	if b.opts.Build {
		if err := b.build(ctx); err != nil {
			return nil, err
		}
	}
	if opts.PostgresConf != "" {
		inst, err := startPostgres(ctx, filepath.Join(b.work, "postgres"), opts.PostgresConf)
		if err != nil {
			return nil, fmt.Errorf("private PostgreSQL: %w", err)
		}
		defer func() { _ = inst.stop(b.opts.Keep) }()
		b.opts.Database = inst.adminURL
		b.log.Info("private PostgreSQL started", "url", inst.adminURL, "conf", opts.PostgresConf, "dir", inst.dir)
	}
	b.variants = []variant{{Label: workingTree, bin: b.opts.Bin, migrate: true}}
	if opts.Compare != "" {
		v, remove, err := b.buildRef(ctx, opts.Compare)
		if err != nil {
			return nil, err
		}
		defer remove()
		b.variants = append(b.variants, v)
	}
	r := &Report{Started: started, Options: opts}
	if r.Machine, err = b.machine(ctx); err != nil {
		return nil, err
	}
	if err := b.execute(ctx, r); err != nil {
		return r, err
	}
	r.Machine.NATS = r.natsInfo()
	r.summarize()
	r.print(out)
	return r, b.save(r)
}

// execute runs what -runs asks for, for each kind of -ids, in an order
// that reuses datasets. The latency run's generator writes its files live,
// with its own v7 ids: it runs once.
func (b *bench) execute(ctx context.Context, r *Report) error {
	o := b.opts
	has := func(name string) bool { return slices.Contains(o.Runs, name) }
	set := func(kind string, rows int64, perFile int, ids string, copies, pipelines bool) error {
		ds, err := b.dataset(ctx, rows, perFile, ids)
		if err != nil {
			return err
		}
		s, err := b.runSet(ctx, kind, ds, copies, pipelines)
		if err != nil {
			return err
		}
		r.Sets = append(r.Sets, s)
		return nil
	}
	if has(runGrowth) {
		if err := b.growth(ctx, r); err != nil {
			return err
		}
	}
	for _, ids := range o.IDs {
		if has("copy") || has("pipeline") {
			if err := set(setMain, o.Rows, o.RowsPerFile, ids, has("copy"), has("pipeline")); err != nil {
				return err
			}
		}
		if has("backlog") {
			rows := int64(o.BacklogFiles) * int64(o.BacklogRowsPerFile)
			if err := set(setBacklog, rows, o.BacklogRowsPerFile, ids, true, true); err != nil {
				return err
			}
			if err := set(setWaiting, rows, o.BacklogRowsPerFile, ids, false, true); err != nil {
				return err
			}
		}
		if has("sweep") {
			for _, perFile := range o.SweepRowsPerFile {
				if err := set(setSweep, o.SweepRows, perFile, ids, true, true); err != nil {
					return err
				}
			}
		}
		if err := b.others(ctx, r, ids); err != nil {
			return err
		}
	}
	if has("latency") {
		// The working tree's, then -compare's: latency before and after,
		// with the first kind of -ids (v4: the live generator's rewritten).
		var env []string
		if o.IDs[0] == idsV4 {
			env = []string{generatorV4}
		}
		for i, v := range b.variants {
			p, err := b.pipeline(ctx, PipelineSpec{Name: fmt.Sprintf("latency, %d events/s", o.LatencyRate) + v.suffix(), Loaders: o.Loaders, Variant: v, Env: env,
				Offered: &Offered{Rate: o.LatencyRate, RowsPerFile: o.LatencyRowsPerFile, Duration: o.LatencyDuration}})
			if err != nil {
				return err
			}
			if i == 0 {
				r.Latency = &p
			} else {
				r.LatencyCompare = &p
			}
		}
	}
	return nil
}

// others runs the memory and scale runs (the working tree's build only).
func (b *bench) others(ctx context.Context, r *Report, ids string) error {
	o := b.opts
	current := b.variants[0]
	if slices.Contains(o.Runs, "memory") {
		for _, perFile := range o.MemoryRowsPerFile {
			ds, err := b.dataset(ctx, max(1, o.MemoryBytes/bytesPerRow), perFile, ids)
			if err != nil {
				return err
			}
			p, err := b.pipeline(ctx, PipelineSpec{Name: fmt.Sprintf("backlog %s, %s-row files", size(ds.Bytes), count(int64(perFile))),
				Loaders: o.Loaders, Dataset: ds, Variant: current})
			b.release(ds) // a gigabyte
			if err != nil {
				return err
			}
			r.Memory = append(r.Memory, p)
		}
	}
	if slices.Contains(o.Runs, "formats") {
		runs, err := b.formats(ctx, o.Rows, o.RowsPerFile, ids, "formats")
		if err != nil {
			return err
		}
		r.Formats = append(r.Formats, runs...)
	}
	if slices.Contains(o.Runs, "formats-memory") {
		runs, err := b.formats(ctx, o.FormatsMemoryRows, int(o.FormatsMemoryRows), ids, "formats, one file")
		if err != nil {
			return err
		}
		r.FormatsMemory = append(r.FormatsMemory, runs...)
	}
	if slices.Contains(o.Runs, "scale") {
		for _, perFile := range o.ScaleRowsPerFile {
			ds, err := b.dataset(ctx, o.ScaleRows, perFile, ids)
			if err != nil {
				return err
			}
			for _, n := range o.ScaleLoaders {
				p, err := b.pipeline(ctx, PipelineSpec{Name: fmt.Sprintf("scale: %d loader%s, %s-row files", n, plural(n), count(int64(perFile))),
					Loaders: n, Dataset: ds, Variant: current})
				if err != nil {
					return err
				}
				r.Scale = append(r.Scale, p)
			}
		}
	}
	return nil
}

// bytesPerRow is about what the generator writes per row, to size a
// dataset in bytes.
const bytesPerRow = 100

func (b *bench) pipeline(ctx context.Context, spec PipelineSpec) (PipelineRun, error) {
	b.log.Info("pipeline run", "name", spec.Name)
	p, err := b.runPipeline(ctx, spec)
	if err != nil {
		return p, fmt.Errorf("%s: %w", spec.Name, err)
	}
	b.log.Info("pipeline run done", "name", spec.Name, "rows_per_second", int(p.RowsPerSec),
		"p50_ms", p.Latency.P50, "p99_ms", p.Latency.P99)
	return p, nil
}

// dataset generates (or reuses, within this invocation) a set of files.
func (b *bench) dataset(ctx context.Context, rows int64, perFile int, ids string) (*Dataset, error) {
	dir := filepath.Join(b.work, "datasets", fmt.Sprintf("%d-%d-%s", rows, perFile, ids))
	if ds, ok := b.sets[dir]; ok {
		return ds, nil
	}
	b.log.Info("generating dataset", "rows", rows, "rows_per_file", perFile, "ids", ids)
	ds, err := generate(ctx, b.opts.Bin, dir, rows, perFile, ids)
	if err != nil {
		return nil, err
	}
	b.sets[dir] = ds
	b.log.Info("dataset ready", "files", ds.Files, "bytes", ds.Bytes, "took", time.Duration(ds.GenerateSeconds*float64(time.Second)).Round(time.Millisecond))
	return ds, nil
}

// release deletes a dataset that no later run needs.
func (b *bench) release(ds *Dataset) {
	_ = os.RemoveAll(filepath.Dir(ds.Dir))
	for k, v := range b.sets {
		if v == ds {
			delete(b.sets, k)
		}
	}
}

// build compiles the services and nats-server into the bin directory.
func (b *bench) build(ctx context.Context) error {
	b.log.Info("building binaries", "dir", b.opts.Bin)
	return buildBinaries(ctx, b.root, b.opts.Bin, append([]string{"./services/generator"}, services...))
}

// postgresSettings are the server settings a report records: those
// docs/scaling.md says an ingest server wants.
var postgresSettings = []string{"shared_buffers", "max_wal_size", "wal_compression", "checkpoint_timeout", "wal_buffers",
	"maintenance_work_mem", "effective_io_concurrency", "autovacuum_vacuum_cost_limit"}

// adminQueryRow runs a one-row query on the server's maintenance database.
func (b *bench) adminQueryRow(ctx context.Context, sql string, dest ...any) error {
	conn, err := pgx.Connect(ctx, b.opts.Database)
	if err != nil {
		return fmt.Errorf("PostgreSQL is not reachable at %s: %w", b.opts.Database, err)
	}
	defer conn.Close(ctx)
	return conn.QueryRow(ctx, sql).Scan(dest...)
}

// machine describes where the bench runs.
func (b *bench) machine(ctx context.Context) (Machine, error) {
	m := Machine{Cores: runtime.NumCPU(), CPU: cpuModel(), Kernel: kernel(), Go: runtime.Version()}
	conn, err := pgx.Connect(ctx, b.opts.Database)
	if err != nil {
		return m, fmt.Errorf("PostgreSQL is not reachable at %s: %w", b.opts.Database, err)
	}
	defer conn.Close(ctx)
	if err := conn.QueryRow(ctx, "SELECT current_setting('server_version'), current_setting('fsync'), current_setting('synchronous_commit')").
		Scan(&m.PostgreSQL, &m.PostgresFsync, &m.PostgresSyncCommit); err != nil {
		return m, err
	}
	m.PostgresConf = b.opts.PostgresConf
	rows, err := conn.Query(ctx, "SELECT name, current_setting(name) FROM unnest($1::text[]) name", postgresSettings)
	if err != nil {
		return m, err
	}
	m.PostgresSettings = map[string]string{}
	var k, v string
	_, err = pgx.ForEachRow(rows, []any{&k, &v}, func() error { m.PostgresSettings[k] = v; return nil })
	return m, err
}
