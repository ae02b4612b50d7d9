package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/tributary-dev/tributary/db"
)

// GrowthPoint is what the growth run measured at one size of the table:
// the pipeline's throughput on a fresh dataset, its latency at an offered
// rate, and PostgreSQL's CPU per million rows, with random ids.
type GrowthPoint struct {
	Variant    string      `json:"variant"`
	TableRows  int64       `json:"table_rows"`  // in user_activity before the runs
	TableBytes int64       `json:"table_bytes"` // with its indexes
	Preload    PreloadStat `json:"preload"`
	Throughput PipelineRun `json:"throughput"`
	Latency    PipelineRun `json:"latency"`
	VsEmpty    float64     `json:"rows_per_second_vs_empty"` // target >= 0.8
	// PostgresCPUPerMillion is CPU seconds per million rows of the
	// throughput run's PostgreSQL processes: the loaders' backends and the
	// server's background (a private instance has no other work).
	PostgresCPUPerMillion float64 `json:"postgres_cpu_seconds_per_million_rows"`
}

// target is an existing database a run loads into, the growth run's:
// user_activity keeps what it holds, and the run's rows are counted by
// their event times, all after the history's.
type target struct {
	url      string
	since    time.Time // every measured row is at or after it, every preloaded one before
	measured int64     // rows the earlier runs loaded
}

// reset empties the ledger and the file records of earlier runs (the
// bench's waiting and figures read the ledger) and checks nothing was
// rejected so far.
func (t *target) reset(ctx context.Context, pool *pgxpool.Pool) error {
	if _, err := pool.Exec(ctx, "TRUNCATE ingest_ledger, ingest_files, ingest_attempts"); err != nil {
		return fmt.Errorf("reset the ledger: %w", err)
	}
	return nil
}

// check verifies the run loaded want rows exactly, and rejected nothing.
func (t *target) check(ctx context.Context, pool *pgxpool.Pool, want int64) error {
	var loaded, rejects, dead int64
	err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM user_activity WHERE event_time >= $1),
		(SELECT count(*) FROM user_activity_rejects), (SELECT count(*) FROM rejected_files)`, t.since).Scan(&loaded, &rejects, &dead)
	if err != nil {
		return fmt.Errorf("count rows: %w", err)
	}
	if loaded != t.measured+want || rejects != 0 || dead != 0 {
		return fmt.Errorf("user_activity has %d rows since the history (want %d), %d rejected rows, %d rejected files", loaded, t.measured+want, rejects, dead)
	}
	t.measured += want
	return nil
}

// growth runs every variant over the sizes: the table preloaded to each in
// turn, then a throughput and a latency run on it.
func (b *bench) growth(ctx context.Context, r *Report) error {
	if err := b.checkDisk(ctx); err != nil {
		return err
	}
	if b.opts.GrowthBaseline != "" {
		base, err := readBaseline(b.opts.GrowthBaseline, r.Machine)
		if err != nil {
			return err
		}
		r.Growth = base
	}
	for _, v := range b.growthVariants() {
		points, err := b.growVariant(ctx, v)
		r.Growth = append(r.Growth, points...)
		if err != nil {
			return fmt.Errorf("growth, %s: %w", v.Label, err)
		}
	}
	for i := range r.Growth {
		p := &r.Growth[i]
		for _, q := range r.Growth {
			if q.Variant == p.Variant && q.TableRows == 0 {
				p.VsEmpty = ratio(p.Throughput.RowsPerSec, q.Throughput.RowsPerSec)
			}
		}
	}
	return nil
}

// readBaseline reads the growth points of an earlier report, taken on the
// same server settings: figures on other settings compare nothing.
func readBaseline(path string, m Machine) ([]GrowthPoint, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("-growth-baseline: %w", err)
	}
	var base Report
	if err := json.Unmarshal(b, &base); err != nil {
		return nil, fmt.Errorf("-growth-baseline %s: %w", path, err)
	}
	if len(base.Growth) == 0 {
		return nil, fmt.Errorf("-growth-baseline %s has no growth run", path)
	}
	if !maps.Equal(base.Machine.PostgresSettings, m.PostgresSettings) || base.Machine.Cores != m.Cores {
		return nil, fmt.Errorf("-growth-baseline %s was taken on %d cores with PostgreSQL settings %v, this run has %d and %v",
			path, base.Machine.Cores, base.Machine.PostgresSettings, m.Cores, m.PostgresSettings)
	}
	for i := range base.Growth {
		base.Growth[i].Variant += ", " + base.Started.Format("15:04")
	}
	return base.Growth, nil
}

// growthVariants are the builds the growth run measures: -compare's first
// (the before), then the working tree's, unless -only-compare.
func (b *bench) growthVariants() []variant {
	if len(b.variants) == 1 {
		return b.variants
	}
	if b.opts.OnlyCompare {
		return b.variants[1:]
	}
	return []variant{b.variants[1], b.variants[0]}
}

func (b *bench) growVariant(ctx context.Context, v variant) ([]GrowthPoint, error) {
	o := b.opts
	url, drop, err := b.newDatabase(ctx, false)
	if err != nil {
		return nil, err
	}
	defer drop()
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	if err := db.MigrateFS(ctx, pool, v.migrationsFS(), b.quiet); err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	end := time.Now().UTC().Truncate(time.Second)
	pre := &preloader{pool: pool, end: end, rate: o.GrowthHistoryRate, log: b.log.With("variant", v.Label)}
	tgt := &target{url: url, since: end}
	var points []GrowthPoint
	for i, size := range o.GrowthSizes {
		p := GrowthPoint{Variant: v.Label}
		b.log.Info("growing the table", "variant", v.Label, "to", size)
		if p.Preload, err = pre.addHistory(ctx, size-pre.rows-tgt.measured); err != nil {
			return points, err
		}
		p.TableRows = pre.rows + tgt.measured
		if p.TableBytes, err = tableBytes(ctx, pool); err != nil {
			return points, err
		}
		ds, err := b.growthDataset(ctx, i)
		if err != nil {
			return points, err
		}
		name := fmt.Sprintf("growth %s, %s rows", v.Label, count(p.TableRows))
		p.Throughput, err = b.pipeline(ctx, PipelineSpec{Name: name + ", throughput", Loaders: o.Loaders, Dataset: ds, Variant: v, Target: tgt})
		b.release(ds)
		if err != nil {
			return points, err
		}
		cpu := p.Throughput.CPU
		p.PostgresCPUPerMillion = (cpu[roleBackends] + cpu[roleBackground]) * 1e6 / float64(p.Throughput.Rows)
		p.Latency, err = b.pipeline(ctx, PipelineSpec{Name: fmt.Sprintf("%s, %d events/s", name, o.LatencyRate), Loaders: o.Loaders,
			Env: []string{generatorV4}, Variant: v, Target: tgt,
			Offered: &Offered{Rate: o.LatencyRate, RowsPerFile: o.LatencyRowsPerFile, Duration: o.LatencyDuration}})
		if err != nil {
			return points, err
		}
		points = append(points, p)
	}
	return points, nil
}

// generatorV4 makes a live generator write random ids.
const generatorV4 = "GENERATOR_IDS=v4"

// growthDataset generates -growth-rows of fresh random ids for step i:
// every step's rows must be new events, never duplicates of a step before.
func (b *bench) growthDataset(ctx context.Context, i int) (*Dataset, error) {
	dir := filepath.Join(b.work, "datasets", fmt.Sprintf("growth-%d", i))
	ds, err := generate(ctx, b.opts.Bin, dir, b.opts.GrowthRows, b.opts.RowsPerFile, idsV7)
	if err != nil {
		return nil, err
	}
	b.sets[dir] = ds
	if err := rewriteIDs(ds.Dir, ds.Names, uint64(time.Now().UnixNano())); err != nil {
		return nil, err
	}
	ds.IDs = idsV4
	return ds, nil
}

// growthBytesPerRow is what a row of user_activity takes with its indexes
// (measured: about 225 bytes; rounded up for the index rebuild's sort).
const growthBytesPerRow = 300

// checkDisk refuses to start when the largest size cannot fit: the table,
// its indexes, a rebuild's sort and the server's WAL (max_wal_size).
func (b *bench) checkDisk(ctx context.Context) error {
	largest := b.opts.GrowthSizes[len(b.opts.GrowthSizes)-1]
	var wal int64
	var dataDir string
	if err := b.adminQueryRow(ctx, "SELECT pg_size_bytes(current_setting('max_wal_size')), current_setting('data_directory')", &wal, &dataDir); err != nil {
		return err
	}
	need := largest*growthBytesPerRow + 2*wal
	free, err := freeBytes(dataDir)
	if err != nil {
		return fmt.Errorf("free space of %s: %w", dataDir, err)
	}
	b.log.Info("disk", "largest_size_rows", largest, "needs", size(need), "free", size(free), "at", dataDir)
	if free < need {
		return fmt.Errorf("growth to %s rows needs about %s on %s (%d bytes a row with indexes, twice max_wal_size), and %s is free: ask for smaller -growth-sizes",
			count(largest), size(need), dataDir, growthBytesPerRow, size(free))
	}
	return nil
}

// migrationsFS is the schema history the variant shipped.
func (v variant) migrationsFS() fs.FS {
	if v.src == "" {
		return db.Migrations()
	}
	return os.DirFS(filepath.Join(v.src, "db", "migrations"))
}

// printGrowth writes the growth table: a row per variant and size.
func (r *Report) printGrowth(out io.Writer) {
	if len(r.Growth) == 0 {
		return
	}
	o := r.Options
	fmt.Fprintf(out, "\ngrowth: user_activity preloaded with history (random UUIDv4 ids, event times spaced as %s events/s, ending where the files begin), "+
		"then at each size %s rows in files of %s rows with fresh random ids landed at once, and %s events/s offered for %s as %s-row files (random ids)\n",
		count(int64(o.GrowthHistoryRate)), count(o.GrowthRows), count(int64(o.RowsPerFile)), count(int64(o.LatencyRate)), o.LatencyDuration, count(int64(o.LatencyRowsPerFile)))
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "variant\ttable rows\ttable + indexes\tpreload s\trows/s\tvs empty\tPostgreSQL CPU s / M rows\tp50 ms\tp99 ms\tmax ms\tcontended\t")
	for _, p := range r.Growth {
		l := p.Latency.Latency
		contended := ""
		if p.Throughput.Busy.Contended || p.Latency.Busy.Contended {
			contended = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.0f\t%s\t%.2fx\t%.2f\t%.1f\t%.1f\t%.1f\t%s\t\n", p.Variant, count(p.TableRows), size(p.TableBytes),
			p.Preload.InsertSeconds+p.Preload.IndexSeconds+p.Preload.VacuumSeconds, count(int64(p.Throughput.RowsPerSec)), p.VsEmpty,
			p.PostgresCPUPerMillion, l.P50, l.P99, l.Max, contended)
	}
	_ = tw.Flush()
	fmt.Fprintln(out, "target: rows/s >= 0.80x the empty table's at every size, p99 <= 100 ms at 10,000 events/s throughout")
}
