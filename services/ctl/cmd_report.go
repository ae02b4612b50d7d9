package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/tributary-dev/tributary/services/ctl/internal/report"
	"github.com/tributary-dev/tributary/shared/postgres"
)

func runReport(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	var from, to, day, format, out string
	r := report.Range{}
	fs.StringVar(&from, "from", "", "start of the range, UTC (2006-01-02, 2006-01-02T15:04 or RFC 3339; default: 24 hours before -to)")
	fs.StringVar(&to, "to", "", "end of the range, excluded, UTC (default: now)")
	fs.StringVar(&day, "day", "", "one UTC day, 2006-01-02 (instead of -from and -to)")
	fs.StringVar(&r.Bucket, "bucket", "hour", "period of the revenue table and chart: minute, hour or day")
	fs.IntVar(&r.Top, "top", 10, "products listed")
	fs.StringVar(&out, "out", "results", "directory of the chart")
	fs.StringVar(&format, "format", "png", "chart format: png, svg or pdf")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var err error
	if r.From, r.To, err = reportRange(from, to, day, time.Now()); err != nil {
		return err
	}
	if err := r.Validate(); err != nil {
		return err
	}
	url := envOr("DATABASE_URL", defaultDatabaseURL)
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", postgres.Redact(url), err)
	}
	defer pool.Close()
	rep, err := report.Build(ctx, pool, r)
	if err != nil {
		return fmt.Errorf("report from %s: %w", postgres.Redact(url), err)
	}
	if err := report.Render(stdout, rep); err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", out, err)
	}
	chart := filepath.Join(out, fmt.Sprintf("revenue-per-%s-%s-%s.%s", r.Bucket,
		r.From.UTC().Format("20060102T1504"), r.To.UTC().Format("20060102T1504"), format))
	if err := report.Chart(rep, chart); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nChart of revenue per %s: %s\n", r.Bucket, chart)
	return nil
}

// reportRange resolves the range flags; times without a zone are UTC.
func reportRange(from, to, day string, now time.Time) (time.Time, time.Time, error) {
	if day != "" {
		if from != "" || to != "" {
			return time.Time{}, time.Time{}, fmt.Errorf("-day excludes -from and -to")
		}
		d, err := time.Parse(time.DateOnly, day)
		if err != nil {
			return time.Time{}, time.Time{}, fmt.Errorf("-day %q is not 2006-01-02", day)
		}
		return d, d.AddDate(0, 0, 1), nil
	}
	end := now.UTC().Truncate(time.Minute).Add(time.Minute)
	if to != "" {
		var err error
		if end, err = parseTime(to); err != nil {
			return time.Time{}, time.Time{}, fmt.Errorf("-to: %w", err)
		}
	}
	start := end.Add(-24 * time.Hour)
	if from != "" {
		var err error
		if start, err = parseTime(from); err != nil {
			return time.Time{}, time.Time{}, fmt.Errorf("-from: %w", err)
		}
	}
	return start, end, nil
}

func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04", time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time (2006-01-02, 2006-01-02T15:04 or RFC 3339)", s)
}
