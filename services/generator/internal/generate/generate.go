// Package generate drives the generator: it asks for events at a steady
// rate and lands them as CSV files with names that never repeat.
package generate

import (
	"context"
	"crypto/rand"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"syscall"
	"time"

	"github.com/tributary-dev/tributary/shared/contract"
	"github.com/tributary-dev/tributary/shared/logging"
)

// Lander lands a file atomically; see package landing.
type Lander interface {
	Land(ctx context.Context, name string, write func(io.Writer) error) error
}

// Source yields events; see package synth.
type Source interface {
	Next() contract.Event
}

// Observer is told about each landed file (metrics, progress display).
type Observer interface {
	FileLanded(rows int, bytes int64, took time.Duration)
}

// Config paces the output.
type Config struct {
	Rate        float64 // events per second; 0 means as fast as possible
	RowsPerFile int
	Files       int           // files to write before stopping; 0 means forever
	FullRetry   time.Duration // how often to try again while the disk is full; 0 means 1s
}

// Summary tells what a run wrote.
type Summary struct {
	Files int
	Rows  int
	Took  time.Duration
}

// Generator writes event files.
type Generator struct {
	cfg      Config
	source   Source
	lander   Lander
	log      *slog.Logger
	now      func() time.Time
	instance string
	obs      []Observer
}

// New returns a Generator. Its instance tag, random per process, keeps file
// names unique across restarts and across generators sharing a directory.
func New(cfg Config, source Source, lander Lander, log *slog.Logger, now func() time.Time) *Generator {
	tag := make([]byte, 4)
	_, _ = rand.Read(tag)
	return &Generator{cfg: cfg, source: source, lander: lander, log: log, now: now, instance: hex.EncodeToString(tag)}
}

// Observe registers o to be told about every landed file.
func (g *Generator) Observe(o Observer) { g.obs = append(g.obs, o) }

// Run writes files until Files are written or ctx ends. Stopping never
// leaves a partial file in the input directory.
func (g *Generator) Run(ctx context.Context) (Summary, error) {
	start := g.now()
	var sum Summary
	var interval time.Duration
	if g.cfg.Rate > 0 {
		interval = time.Duration(float64(g.cfg.RowsPerFile) / g.cfg.Rate * float64(time.Second))
	}
	next := start
	record := make([]string, contract.NumColumns)
	var fullSince time.Time // when the disk filled; zero while there is space
	for g.cfg.Files == 0 || sum.Files < g.cfg.Files {
		if err := sleepUntil(ctx, next, g.now); err != nil {
			break
		}
		name := g.fileName(sum.Files + 1)
		began := g.now()
		var size int64
		err := g.lander.Land(ctx, name, func(w io.Writer) error {
			cw := &countingWriter{w: w}
			err := g.writeRows(cw, record)
			size = cw.n
			return err
		})
		if errors.Is(err, context.Canceled) {
			break
		}
		if isFull(err) {
			// A full disk passes (an operator or the archive retention
			// frees space): wait it out rather than exit and take the
			// pipeline down with us. The file was never landed, so
			// nothing is lost; its events are simply not generated.
			if fullSince.IsZero() {
				fullSince = g.now()
				g.log.Warn("data dir full: waiting for space before landing files again", logging.Err(err), "retry_every", g.fullRetry())
			}
			next = g.now().Add(g.fullRetry())
			continue
		}
		if !fullSince.IsZero() && err == nil {
			g.log.Info("space returned: landing files again", "waited", g.now().Sub(fullSince).Round(time.Millisecond))
			fullSince = time.Time{}
		}
		if err != nil {
			sum.Took = g.now().Sub(start)
			return sum, fmt.Errorf("generate file %d: %w", sum.Files+1, err)
		}
		sum.Files++
		sum.Rows += g.cfg.RowsPerFile
		for _, o := range g.obs {
			o.FileLanded(g.cfg.RowsPerFile, size, g.now().Sub(began))
		}
		g.log.Debug("file landed", "file", name, "rows", g.cfg.RowsPerFile)
		next = next.Add(interval)
		if now := g.now(); now.Sub(next) > time.Second {
			next = now // fell behind (a slow disk): do not burst to catch up
		}
	}
	sum.Took = g.now().Sub(start)
	return sum, nil
}

func (g *Generator) fullRetry() time.Duration {
	if g.cfg.FullRetry > 0 {
		return g.cfg.FullRetry
	}
	return time.Second
}

// isFull reports whether err says the filesystem has no room left: no
// space, no inode, or the writer's quota.
func isFull(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

func (g *Generator) fileName(seq int) string {
	return fmt.Sprintf("events-%s-%s-%06d.csv", g.now().UTC().Format("20060102T150405.000Z"), g.instance, seq)
}

func (g *Generator) writeRows(w io.Writer, record []string) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(contract.Columns); err != nil {
		return err
	}
	for range g.cfg.RowsPerFile {
		copy(record, g.source.Next().Fields())
		if err := cw.Write(record); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func sleepUntil(ctx context.Context, t time.Time, now func() time.Time) error {
	d := t.Sub(now())
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// countingWriter counts the bytes of a file as they are written.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
