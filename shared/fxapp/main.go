package fxapp

import (
	"errors"
	"io"
	"os"
	"runtime/debug"

	"github.com/tributary-dev/tributary/shared/config"
	"go.uber.org/fx"
)

// Main is the whole of a service's main: read its settings from the
// environment (answering -h with every variable, default and purpose), then
// run the fx application module builds from them. A -h request is not an
// error.
func Main[C any](name, summary string, args []string, usage io.Writer, module func(C) fx.Option) error {
	cfg, err := config.Load[C](name, summary, args, usage)
	if errors.Is(err, config.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	limitMemory()
	return Run(fx.New(module(cfg)))
}

// defaultMemoryLimit is the soft memory limit of a service whose
// environment sets no GOMEMLIMIT. The services keep little: what grows
// their memory is garbage, in bursts (a scan listing 100,000 landed files,
// a batch of thousands of small files decoded). Without a limit the heap
// doubles past each burst before the collector runs (a watcher draining
// 100,000 ten-row files peaked at 95 MB resident); with one the collector
// runs earlier near it instead. A soft limit: a service that needs more
// takes more, it only collects more often.
const defaultMemoryLimit = 48 << 20

// defaultGCPercent is the collector's GOGC under defaultMemoryLimit. The
// services' live heaps are small (a few MB), so at Go's default of 100 the
// collector ran every few MB of garbage: a quarter of the loader's CPU
// draining small files. At 400 the heap may grow to five times its live
// size, which the memory limit still caps.
const defaultGCPercent = 400

// limitMemory applies defaultMemoryLimit unless GOMEMLIMIT is set, and
// defaultGCPercent unless GOGC or GOMEMLIMIT is (the Go runtime reads
// both itself): the two are tuned as a pair, and a memory limit of one's
// own keeps Go's default GOGC.
func limitMemory() {
	_, limit := os.LookupEnv("GOMEMLIMIT")
	_, percent := os.LookupEnv("GOGC")
	if !limit {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	if !limit && !percent {
		debug.SetGCPercent(defaultGCPercent)
	}
}
