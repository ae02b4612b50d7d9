// Package app wires the generator with fx. It holds no logic of its own.
package app

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"log/slog"
	"os"
	"time"

	"github.com/tributary-dev/tributary/services/generator/internal/generate"
	"github.com/tributary-dev/tributary/services/generator/internal/landing"
	"github.com/tributary-dev/tributary/services/generator/internal/synth"
	"github.com/tributary-dev/tributary/shared/datadir"
	"github.com/tributary-dev/tributary/shared/fxapp"
	"github.com/tributary-dev/tributary/shared/logging"
	"github.com/tributary-dev/tributary/shared/telemetry"
	"go.uber.org/fx"
)

// Module is the generator application for cfg.
func Module(cfg Config) fx.Option {
	return fx.Options(
		fx.Supply(cfg, telemetry.Addr(cfg.HTTPAddr)),
		fx.Provide(
			func(c Config) *slog.Logger { return logging.New(c.Log, "generator", os.Stderr) },
			newGenerator,
			newMetrics,
		),
		fx.WithLogger(logging.FxLogger),
		telemetry.Module,
		fx.Invoke(run),
	)
}

func newGenerator(c Config, log *slog.Logger) *generate.Generator {
	seed := c.Seed
	if seed == 0 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		seed = binary.LittleEndian.Uint64(b[:]) | 1
	}
	log.Info("generator configured", "seed", seed, "rate", c.Rate, "rows_per_file", c.RowsPerFile, "files", c.Files,
		"data_dir", c.Data.Dir, "event_day", c.EventDay, "ids", c.IDs)
	src := synth.New(synth.Options{
		Seed: seed, PurchaseRatio: c.PurchaseRatio, Products: c.Products, Users: c.Users, Sessions: max(1, c.Users/10),
		RandomIDs: c.IDs == "v4",
	}, c.eventClock())
	lander := landing.New(c.Data.Path(datadir.Temp), c.Data.Path(datadir.Input))
	return generate.New(generate.Config{Rate: c.Rate, RowsPerFile: c.RowsPerFile, Files: c.Files}, src, lander, log, time.Now)
}

func run(lc fx.Lifecycle, sd fx.Shutdowner, c Config, g *generate.Generator, m *metrics, h *telemetry.Health, log *slog.Logger) error {
	if err := c.Data.Ensure(); err != nil {
		return err
	}
	h.Add("data_dir", dirsReady(c.Data))
	g.Observe(m)
	if n, err := landing.CleanTemp(c.Data.Path(datadir.Temp), 10*time.Minute, time.Now()); err != nil {
		log.Warn("temp files not cleaned", logging.Err(err))
	} else if n > 0 {
		log.Info("removed stale temp files", "files", n)
	}
	progress := newProgress(c.Files, os.Stderr)
	g.Observe(progress)
	fxapp.Background(lc, sd, func(ctx context.Context) error {
		sum, err := g.Run(ctx)
		progress.Finish()
		if err != nil {
			log.Error("generator failed", logging.Err(err), "files", sum.Files)
			return err
		}
		log.Info("generator finished", "files", sum.Files, "rows", sum.Rows, "took", sum.Took.Round(time.Millisecond),
			"events_per_second", int(float64(sum.Rows)/max(sum.Took.Seconds(), 1e-9)))
		return nil
	})
	return nil
}
