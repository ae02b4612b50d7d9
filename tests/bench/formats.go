package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"text/tabwriter"

	"github.com/jackc/pgx/v5/pgxpool"
)

// FormatRun is the pipeline loading one dataset landed in one format.
type FormatRun struct {
	Format   string      `json:"format"`
	Bytes    int64       `json:"bytes"` // of the files as landed
	Rates    []float64   `json:"rows_per_second_of_each_run"`
	Table    Fingerprint `json:"table"`
	Pipeline PipelineRun `json:"pipeline"`
}

// Fingerprint says what a run left in user_activity: the same rows load
// to the same fingerprint, whatever format they were landed in.
type Fingerprint struct {
	Rows     int64  `json:"rows"`
	IDDigest string `json:"id_digest"` // md5 of every event_id, in order
	PriceSum string `json:"price_sum"`
}

func fingerprint(ctx context.Context, pool *pgxpool.Pool) (Fingerprint, error) {
	var f Fingerprint
	err := pool.QueryRow(ctx, `SELECT count(*), md5(coalesce(string_agg(event_id, ',' ORDER BY event_id), '')), coalesce(sum(price), 0)::text
		FROM user_activity`).Scan(&f.Rows, &f.IDDigest, &f.PriceSum)
	if err != nil {
		return f, fmt.Errorf("fingerprint: %w", err)
	}
	return f, nil
}

// formats lands the same rows in every format of -formats, one pipeline
// run each (-repeat times, the formats' order rotating each time, the
// median run of each shown), and checks each loads the very table the
// plain CSV loads. With perFile set to the dataset's rows (the
// formats-memory run) each format is one large file, for the services'
// peak RSS.
func (b *bench) formats(ctx context.Context, rows int64, perFile int, ids, what string) ([]FormatRun, error) {
	ds, err := b.dataset(ctx, rows, perFile, ids)
	if err != nil {
		return nil, err
	}
	sets := make([]*Dataset, len(b.opts.Formats))
	for i, format := range b.opts.Formats {
		b.log.Info("converting dataset", "format", format, "files", ds.Files)
		// release removes the converted files' parent directory
		if sets[i], err = ds.convert(format, filepath.Join(filepath.Dir(ds.Dir), format, "files")); err != nil {
			return nil, err
		}
	}
	defer func() {
		for _, conv := range sets {
			if conv != ds {
				b.release(conv)
			}
		}
	}()
	runs := make([][]FormatRun, len(sets))
	for r := range b.opts.Repeat {
		for k := range sets {
			i := (k + r) % len(sets)
			run, err := b.formatRun(ctx, b.opts.Formats[i], sets[i], what)
			if err != nil {
				return nil, err
			}
			runs[i] = append(runs[i], run)
		}
	}
	out := make([]FormatRun, len(runs))
	for i, all := range runs {
		out[i], out[i].Rates = median(all, func(f FormatRun) float64 { return f.Pipeline.RowsPerSec })
		for _, f := range all {
			if f.Table != runs[0][0].Table {
				return nil, fmt.Errorf("%s loaded %+v, but %s loaded %+v", f.Format, f.Table, runs[0][0].Format, runs[0][0].Table)
			}
		}
	}
	return out, nil
}

// formatRun loads conv, the dataset in format, and reads the table left.
func (b *bench) formatRun(ctx context.Context, format string, conv *Dataset, what string) (FormatRun, error) {
	run := FormatRun{Format: format, Bytes: conv.Bytes}
	p, err := b.pipeline(ctx, PipelineSpec{Name: fmt.Sprintf("%s: %s", what, format), Loaders: b.opts.Loaders, Dataset: conv,
		Variant: b.variants[0], Inspect: func(ctx context.Context, pool *pgxpool.Pool) (err error) {
			run.Table, err = fingerprint(ctx, pool)
			return err
		}})
	run.Pipeline = p
	return run, err
}

// printFormats writes a table per formats run: rows/s of each format
// against the first (plain CSV), what each service cost, and the table
// each loaded.
func printFormats(out io.Writer, title string, runs []FormatRun) {
	if len(runs) == 0 {
		return
	}
	fmt.Fprintf(out, "\n%s\n", title)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "format\tfiles\tbytes landed\trows/s\tx csv\tseconds\twatcher CPU s\tloader CPU s\twatcher RSS MB\tloader RSS MB\trows\tid digest\tsum(price)\tall runs' rows/s\t")
	base := runs[0].Pipeline.RowsPerSec
	for _, r := range runs {
		p := r.Pipeline
		var w, l ServiceStat
		for _, s := range p.Services {
			switch s.Name {
			case "watcher":
				w = s
			case "loader":
				l = s
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.2fx\t%.2f\t%.2f\t%.2f\t%.1f\t%.1f\t%s\t%s\t%s\t%s\t\n", r.Format, count(int64(p.Files)), size(r.Bytes),
			count(int64(p.RowsPerSec)), ratio(p.RowsPerSec, base), p.Seconds, w.CPUSeconds, l.CPUSeconds, w.PeakRSSMB, l.PeakRSSMB,
			count(r.Table.Rows), r.Table.IDDigest[:12], r.Table.PriceSum, rates(r.Rates))
	}
	tw.Flush()
}
