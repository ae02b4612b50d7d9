package harness

import (
	"maps"
	"strconv"

	generator "github.com/tributary-dev/tributary/services/generator/app"
	loader "github.com/tributary-dev/tributary/services/loader/app"
	watcher "github.com/tributary-dev/tributary/services/watcher/app"
	"github.com/tributary-dev/tributary/shared/config"
	"go.uber.org/fx"
)

// Watcher starts a watcher configured by e's variables plus extra; opts
// may add to the application (fx.Populate, to look inside).
func (e *Env) Watcher(extra map[string]string, opts ...fx.Option) *fx.App {
	e.T.Helper()
	cfg, err := config.FromMap[watcher.Config](e.serviceVars("watcher", extra))
	if err != nil {
		e.T.Fatal(err)
	}
	return e.Start(fx.Options(append(opts, watcher.Module(cfg))...))
}

// Loader starts a loader configured by e's variables plus extra; opts
// may add to the application.
func (e *Env) Loader(extra map[string]string, opts ...fx.Option) *fx.App {
	e.T.Helper()
	cfg, err := config.FromMap[loader.Config](e.serviceVars("loader", extra))
	if err != nil {
		e.T.Fatal(err)
	}
	return e.Start(fx.Options(append(opts, loader.Module(cfg))...))
}

// Generate runs the generator until it has landed files×rows events.
func (e *Env) Generate(files, rows int, extra map[string]string) {
	e.T.Helper()
	app := e.StartGenerator(files, rows, extra)
	if sig := <-app.Wait(); sig.ExitCode != 0 { // it asks to stop once its files are landed
		e.T.Fatalf("generator exited with code %d", sig.ExitCode)
	}
}

// StartGenerator starts the generator for files×rows events; its Wait
// reports when they are landed.
func (e *Env) StartGenerator(files, rows int, extra map[string]string) *fx.App {
	e.T.Helper()
	vars := e.With(map[string]string{
		"GENERATOR_FILES": strconv.Itoa(files), "GENERATOR_ROWS_PER_FILE": strconv.Itoa(rows), "GENERATOR_RATE": "0",
	})
	for k, v := range extra {
		vars[k] = v
	}
	cfg, err := config.FromMap[generator.Config](vars)
	if err != nil {
		e.T.Fatal(err)
	}
	return e.Start(generator.Module(cfg))
}

func (e *Env) serviceVars(service string, extra map[string]string) map[string]string {
	vars := e.With(e.ServiceVars[service])
	maps.Copy(vars, extra)
	return vars
}
