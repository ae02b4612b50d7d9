package deploy

import (
	"io"
	"log/slog"
	"regexp"
	"sort"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/tributary-dev/tributary/shared/testkit/natstest"
	"github.com/tributary-dev/tributary/tests/deploy/natsexporter"
	"github.com/tributary-dev/tributary/tests/harness"
)

var natsMetric = regexp.MustCompile(`\b(?:jetstream|gnatsd)_[a-z_]+`)

// TestMonitoringNamesRealNATSMetrics runs the pipeline on a NATS server
// with its monitoring port, then checks that every NATS metric the
// dashboard and the alert rules name is one the exporter exports, with the
// INGEST stream among its series.
func TestMonitoringNamesRealNATSMetrics(t *testing.T) {
	opts := natstest.Options(t)
	opts.HTTPHost, opts.HTTPPort = "127.0.0.1", -1
	env := harness.NewOn(t, natstest.Start(t, opts))
	env.Loader(nil)
	env.Watcher(nil)
	env.Land("one.csv", []byte("event_id,event_time,event_type,product_id,price,user_id,session_id\n"+
		"n-1,2026-11-26 10:00:00,view,1,1.00,1,s\n"))
	env.Eventually(20*time.Second, "the file loaded", func() bool { return env.Rows() == 1 })

	reg := prometheus.NewRegistry()
	reg.MustRegister(natsexporter.New("http://"+env.NATS.MonitorAddr().String(), slog.New(slog.NewTextHandler(io.Discard, nil))))
	families, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	exported, streams := map[string]bool{}, map[string]bool{}
	for _, f := range families {
		exported[f.GetName()] = true
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "stream_name" {
					streams[l.GetValue()] = true
				}
			}
		}
	}
	if !streams["INGEST"] {
		t.Errorf("the exporter has no series of stream INGEST (streams: %v)", streams)
	}
	named := map[string]bool{}
	for _, tg := range dashboardTargets(t) {
		for _, m := range natsMetric.FindAllString(tg, -1) {
			named[m] = true
		}
	}
	for _, m := range natsMetric.FindAllString(string(readFile(t, rulesFile)), -1) {
		named[m] = true
	}
	if len(named) == 0 {
		t.Fatal("neither the dashboard nor the rules name a NATS metric")
	}
	var missing []string
	for m := range named {
		if !exported[m] {
			missing = append(missing, m)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("the dashboard or rules name NATS metrics the exporter does not export: %v", missing)
	}
}

func dashboardTargets(t *testing.T) []string {
	var out []string
	for _, p := range panels(t) {
		for _, tg := range p.Targets {
			out = append(out, tg.Expr)
		}
	}
	return out
}
