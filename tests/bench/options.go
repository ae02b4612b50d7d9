package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/docker/go-units"
	"github.com/tributary-dev/tributary/shared/testkit/pgtest"
)

var errHelp = errors.New("help requested")

// Options are the bench's sizes and settings.
type Options struct {
	Runs               []string      `json:"runs"`
	IDs                []string      `json:"ids"`
	Rows               int64         `json:"rows"`
	RowsPerFile        int           `json:"rows_per_file"`
	CopyConns          []int         `json:"copy_connections"`
	Repeat             int           `json:"repeat"`
	Loaders            int           `json:"loaders"`
	LatencyRate        int           `json:"latency_rate"`
	LatencyRowsPerFile int           `json:"latency_rows_per_file"`
	LatencyDuration    time.Duration `json:"latency_duration"`
	MemoryBytes        int64         `json:"memory_bytes"`
	MemoryRowsPerFile  []int         `json:"memory_rows_per_file"`
	ScaleRows          int64         `json:"scale_rows"`
	ScaleLoaders       []int         `json:"scale_loaders"`
	ScaleRowsPerFile   []int         `json:"scale_rows_per_file"`
	BacklogFiles       int           `json:"backlog_files"`
	BacklogRowsPerFile int           `json:"backlog_rows_per_file"`
	SweepRows          int64         `json:"sweep_rows"`
	SweepRowsPerFile   []int         `json:"sweep_rows_per_file"`
	Formats            []string      `json:"formats"`
	FormatsMemoryRows  int64         `json:"formats_memory_rows"`
	GrowthSizes        []int64       `json:"growth_sizes"`
	GrowthRows         int64         `json:"growth_rows"`
	GrowthHistoryRate  int           `json:"growth_history_rate"`
	PostgresConf       string        `json:"postgres_conf,omitempty"`
	GrowthBaseline     string        `json:"growth_baseline,omitempty"`
	Compare            string        `json:"compare,omitempty"`
	OnlyCompare        bool          `json:"only_compare,omitempty"`
	Contention         float64       `json:"contention_cores"`
	Env                []string      `json:"env"`
	MaxPayload         string        `json:"nats_max_payload"`
	Bin                string        `json:"-"`
	Build              bool          `json:"-"`
	Results            string        `json:"-"`
	Database           string        `json:"-"`
	Timeout            time.Duration `json:"-"`
	Profile            time.Duration `json:"profile"`
	Keep               bool          `json:"-"`
}

// allRuns is what -runs all runs; the growth run (hours, tens of GB) is
// asked for by name only.
var allRuns = []string{"copy", "pipeline", "backlog", "latency", "memory", "scale", "sweep", "formats", "formats-memory"}

const runGrowth = "growth"

func parseOptions(args []string) (Options, error) {
	var o Options
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	runs := fs.String("runs", "copy,pipeline,backlog,latency", "what to run, comma separated: "+strings.Join(allRuns, ",")+" (or all), or "+runGrowth+" (preloads the table to -growth-sizes: see go tool task bench:growth)")
	ids := fs.String("ids", idsV4, "event ids of the datasets: v4 (random, as real producers write them; the bench rewrites the generator's), v7 (time-ordered, the generator's own) or both (every dataset run once with each); the latency run's live generator writes the first kind")
	fs.Int64Var(&o.Rows, "rows", 1_000_000, "rows of the dataset shared by COPY and the pipeline")
	fs.IntVar(&o.RowsPerFile, "rows-per-file", 10_000, "rows per file of that dataset")
	copyConns := fs.String("copy-conns", "1,2,4", "connections of each baseline COPY run")
	fs.IntVar(&o.Repeat, "repeat", 1, "run the COPY baselines and the pipeline this many times, alternating; the table shows the median of each")
	fs.IntVar(&o.Loaders, "loaders", 1, "loader processes of the pipeline, latency and memory runs")
	fs.IntVar(&o.LatencyRate, "latency-rate", 10_000, "events per second offered in the latency run")
	fs.IntVar(&o.LatencyRowsPerFile, "latency-rows-per-file", 100, "rows per file in the latency run")
	fs.DurationVar(&o.LatencyDuration, "latency-duration", 30*time.Second, "how long the latency run offers load")
	memory := fs.String("memory-backlog", "1GB", "bytes of files landed at once in each memory run")
	memFiles := fs.String("memory-rows-per-file", "10000,1000000", "rows per file of each memory run (memory must not grow with file size)")
	fs.Int64Var(&o.ScaleRows, "scale-rows", 1_000_000, "rows of each scale run")
	scaleLoaders := fs.String("scale-loaders", "1,2,3", "loader processes of the scale runs")
	scaleFiles := fs.String("scale-rows-per-file", "100,10000,100000", "rows per file of the scale runs")
	fs.IntVar(&o.BacklogFiles, "backlog-files", 20_000, "files landed at once in the backlog run, drained in files/s")
	fs.IntVar(&o.BacklogRowsPerFile, "backlog-rows-per-file", 10, "rows per file of the backlog run")
	fs.Int64Var(&o.SweepRows, "sweep-rows", 1_000_000, "rows of each file size of the sweep run")
	sweepFiles := fs.String("sweep-rows-per-file", "10,100,1000,10000,100000,1000000", "rows per file of each size of the sweep run")
	formats := fs.String("formats", strings.Join(allFormats, ","), "formats of the formats runs, the first the yardstick: "+strings.Join(allFormats, ","))
	fs.Int64Var(&o.FormatsMemoryRows, "formats-memory-rows", 10_000_000, "rows of the one file per format of the formats-memory run (10,000,000 is about 1 GB of CSV)")
	growthSizes := fs.String("growth-sizes", "0,10M,50M,100M", "table sizes of the growth run: user_activity is preloaded to each in turn (k, M and G suffixes), then the pipeline measured on it")
	fs.Int64Var(&o.GrowthRows, "growth-rows", 1_000_000, "rows of the dataset loaded at each size of the growth run (files of -rows-per-file rows, fresh random ids each time)")
	fs.IntVar(&o.GrowthHistoryRate, "growth-history-rate", 10_000, "events per second the preloaded history stands for: its event times end where the measured files begin, spaced as a stream at this rate would space them")
	fs.StringVar(&o.GrowthBaseline, "growth-baseline", "", "a growth run's JSON (results/bench-*.json) taken before, with the same PostgreSQL settings: its sizes join this run's table and chart (measure main with -compare main -only-compare, then the working tree with this)")
	fs.StringVar(&o.PostgresConf, "postgres-conf", "", "run a private PostgreSQL instance (initdb from pg_config --bindir, its own port) with this configuration included, instead of -database; go tool task bench:growth passes the shipped deployments/postgres/postgresql.conf")
	fs.StringVar(&o.Compare, "compare", "", "a git commit or branch: build its services too and alternate every pipeline, backlog and sweep run between its binaries and the working tree's, reporting the median of each and new/old")
	fs.BoolVar(&o.OnlyCompare, "only-compare", false, "growth run: measure only -compare's build (a before, taken while the working tree is not ready)")
	fs.Float64Var(&o.Contention, "contention", 0.3, "mark a run contended when processes not the run's used more than this many cores on average during it")
	env := fs.String("env", "", "settings for every service, e.g. LOADER_WORKERS=3,WATCHER_MAX_MESSAGE_BYTES=8388608")
	fs.StringVar(&o.MaxPayload, "nats-max-payload", "", "nats-server max_payload (default: the shipped configuration's)")
	fs.StringVar(&o.Bin, "bin", "bin", "directory of the service and nats-server binaries")
	fs.BoolVar(&o.Build, "build", true, "build the binaries into -bin first")
	fs.StringVar(&o.Results, "results", "results", "directory of the JSON, the chart and each run's logs")
	fs.StringVar(&o.Database, "database", pgtest.AdminURL(), "PostgreSQL URL of a database the bench can create databases from")
	fs.DurationVar(&o.Timeout, "timeout", 15*time.Minute, "give up on a run that has not loaded everything by then")
	fs.DurationVar(&o.Profile, "profile", 0, "take CPU profiles this long of the watcher and a loader in each run, from just before its files land (0: none)")
	fs.BoolVar(&o.Keep, "keep", false, "keep each run's data and NATS store")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(os.Stderr)
			fmt.Fprintln(os.Stderr, "usage: go tool task bench -- [flags]   (or go run ./tests/bench [flags])")
			fs.PrintDefaults()
			return o, errHelp
		}
		return o, err
	}
	var errs []error
	o.Runs = split(*runs)
	if len(o.Runs) == 1 && o.Runs[0] == "all" {
		o.Runs = allRuns
	}
	for _, r := range o.Runs {
		if !slices.Contains(allRuns, r) && r != runGrowth {
			errs = append(errs, fmt.Errorf("-runs: unknown run %q", r))
		}
	}
	switch *ids {
	case idsV4, idsV7:
		o.IDs = []string{*ids}
	case "both":
		o.IDs = []string{idsV4, idsV7}
	default:
		errs = append(errs, fmt.Errorf("-ids: %q is not v4, v7 or both", *ids))
	}
	o.Formats = split(*formats)
	for _, f := range o.Formats {
		if !slices.Contains(allFormats, f) {
			errs = append(errs, fmt.Errorf("-formats: unknown format %q", f))
		}
	}
	o.GrowthSizes, errs = sizes("growth-sizes", *growthSizes, errs)
	if o.OnlyCompare && o.Compare == "" {
		errs = append(errs, errors.New("-only-compare needs -compare"))
	}
	o.CopyConns, errs = ints("copy-conns", *copyConns, errs)
	o.SweepRowsPerFile, errs = ints("sweep-rows-per-file", *sweepFiles, errs)
	for _, n := range o.SweepRowsPerFile {
		if slices.Contains(o.Runs, "sweep") && int64(n) > o.SweepRows {
			errs = append(errs, fmt.Errorf("-sweep-rows-per-file: %d is more than -sweep-rows %d: every size must load the same rows", n, o.SweepRows))
		}
	}
	o.MemoryRowsPerFile, errs = ints("memory-rows-per-file", *memFiles, errs)
	o.ScaleLoaders, errs = ints("scale-loaders", *scaleLoaders, errs)
	o.ScaleRowsPerFile, errs = ints("scale-rows-per-file", *scaleFiles, errs)
	o.Env = split(*env)
	for _, kv := range o.Env {
		if !strings.Contains(kv, "=") {
			errs = append(errs, fmt.Errorf("-env: %q is not NAME=value", kv))
		}
	}
	b, err := units.FromHumanSize(*memory)
	if err != nil {
		errs = append(errs, fmt.Errorf("-memory-backlog: %w", err))
	}
	o.MemoryBytes = b
	if o.Repeat < 1 || o.Rows < 1 || o.RowsPerFile < 1 || o.Loaders < 1 || o.LatencyRate < 1 || o.LatencyRowsPerFile < 1 || o.ScaleRows < 1 ||
		o.BacklogFiles < 1 || o.BacklogRowsPerFile < 1 || o.SweepRows < 1 || o.FormatsMemoryRows < 1 || o.Contention < 0 || o.GrowthRows < 1 || o.GrowthHistoryRate < 1 {
		errs = append(errs, errors.New("sizes, rates and counts must be positive"))
	}
	return o, errors.Join(errs...)
}

func split(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func ints(name, s string, errs []error) ([]int, []error) {
	var out []int
	for _, f := range split(s) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			errs = append(errs, fmt.Errorf("-%s: %q is not a positive integer", name, f))
			continue
		}
		out = append(out, n)
	}
	return out, errs
}

// sizes parses a list of row counts such as 0,10M,1.5G (decimal: M is a
// million), in increasing order.
func sizes(name, s string, errs []error) ([]int64, []error) {
	var out []int64
	for _, f := range split(s) {
		mult := 1.0
		switch strings.ToUpper(f[len(f)-1:]) {
		case "K":
			mult = 1e3
		case "M":
			mult = 1e6
		case "G":
			mult = 1e9
		}
		if mult > 1 {
			f = f[:len(f)-1]
		}
		v, err := strconv.ParseFloat(f, 64)
		n := int64(v * mult)
		if err != nil || v < 0 || len(out) > 0 && n <= out[len(out)-1] {
			errs = append(errs, fmt.Errorf("-%s: %q is not a row count larger than the one before", name, s))
			return nil, errs
		}
		out = append(out, n)
	}
	return out, errs
}
