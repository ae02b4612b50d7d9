package deploy

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	generator "github.com/tributary-dev/tributary/services/generator/app"
	loader "github.com/tributary-dev/tributary/services/loader/app"
	watcher "github.com/tributary-dev/tributary/services/watcher/app"
	"github.com/tributary-dev/tributary/shared/config"
	"github.com/tributary-dev/tributary/tests/harness"
	"go.uber.org/fx"
)

// TestMonitoringNamesRealMetrics runs the three services on a file, then
// checks that every metric the dashboard and the alert rules name is one
// that a service registers: a renamed metric fails here, not as an empty
// panel or an alert that can never fire.
func TestMonitoringNamesRealMetrics(t *testing.T) {
	env := harness.New(t)
	var registries []*prometheus.Registry
	start := func(module func(map[string]string) (fx.Option, error), extra map[string]string) *fx.App {
		opt, err := module(env.With(extra))
		if err != nil {
			t.Fatal(err)
		}
		var reg *prometheus.Registry
		app := env.Start(fx.Options(opt, fx.Populate(&reg)))
		registries = append(registries, reg)
		return app
	}
	start(moduleOf(loader.Module), nil)
	start(moduleOf(watcher.Module), nil)
	gen := start(moduleOf(generator.Module), map[string]string{
		"GENERATOR_FILES": "2", "GENERATOR_ROWS_PER_FILE": "10", "GENERATOR_RATE": "0",
	})
	<-gen.Wait()
	env.Eventually(20*time.Second, "20 rows loaded", func() bool { return env.Rows() == 20 })

	// Gathered while loader and watcher run: the consumer gauges read JetStream.
	registered := map[string]bool{}
	for _, reg := range registries {
		families, err := reg.Gather()
		if err != nil {
			t.Fatalf("gather: %v", err)
		}
		for _, f := range families {
			registered[f.GetName()] = true
		}
	}
	for name, named := range map[string]map[string]bool{
		"dashboard":   dashboardMetrics(t),
		"alert rules": metricNames(string(readFile(t, rulesFile))),
	} {
		if len(named) == 0 {
			t.Errorf("the %s name no tributary_ metric", name)
		}
		var missing []string
		for m := range named {
			if !registered[m] {
				missing = append(missing, m)
			}
		}
		sort.Strings(missing)
		if len(missing) > 0 {
			t.Errorf("the %s name metrics no service registers: %v", name, missing)
		}
	}
}

func dashboardMetrics(t *testing.T) map[string]bool {
	out := map[string]bool{}
	for _, p := range panels(t) {
		for _, tg := range p.Targets {
			for m := range metricNames(tg.Expr) {
				out[m] = true
			}
		}
	}
	return out
}

func moduleOf[C any](module func(C) fx.Option) func(map[string]string) (fx.Option, error) {
	return func(vars map[string]string) (fx.Option, error) {
		cfg, err := config.FromMap[C](vars)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		return module(cfg), nil
	}
}
