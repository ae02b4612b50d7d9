package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Report is everything one invocation measured; it is saved as JSON.
type Report struct {
	Started time.Time    `json:"started"`
	Machine Machine      `json:"machine"`
	Options Options      `json:"options"`
	Summary Summary      `json:"summary"`
	Sets    []*Set       `json:"sets,omitempty"` // COPY against the pipeline, by kind and ids
	Latency *PipelineRun `json:"latency,omitempty"`
	// LatencyCompare is the latency run of -compare's build.
	LatencyCompare *PipelineRun  `json:"latency_compare,omitempty"`
	Memory         []PipelineRun `json:"memory,omitempty"`
	Scale          []PipelineRun `json:"scale,omitempty"`
	Formats        []FormatRun   `json:"formats,omitempty"`
	// FormatsMemory are the formats runs of one large file each.
	FormatsMemory []FormatRun   `json:"formats_memory,omitempty"`
	Growth        []GrowthPoint `json:"growth,omitempty"`
}

// Machine is where the figures were taken.
type Machine struct {
	Cores              int    `json:"cores"`
	CPU                string `json:"cpu"`
	Kernel             string `json:"kernel"`
	Go                 string `json:"go"`
	PostgreSQL         string `json:"postgresql"`
	PostgresFsync      string `json:"postgresql_fsync"`
	PostgresSyncCommit string `json:"postgresql_synchronous_commit"`
	// PostgresConf is -postgres-conf: the bench ran its own instance.
	PostgresConf     string            `json:"postgresql_conf,omitempty"`
	PostgresSettings map[string]string `json:"postgresql_settings"`
	NATS             NATSInfo          `json:"nats"`
}

// Summary holds what is not a set's: each set has its ratios.
type Summary struct {
	Repeats         int     `json:"repeats"`                           // set figures are medians of that many runs
	LatencyP50      float64 `json:"latency_p50_ms,omitempty"`          // target <= 25
	LatencyP99      float64 `json:"latency_p99_ms,omitempty"`          // target <= 100
	MaxServiceRSSMB float64 `json:"max_service_peak_rss_mb,omitempty"` // target <= 64 (watcher, loader of the working tree)
	// CompareServiceRSSMB is the same for -compare's build.
	CompareServiceRSSMB float64 `json:"compare_max_service_peak_rss_mb,omitempty"`
	Runs                int     `json:"runs"`
	Contended           int     `json:"contended_runs"`
}

// setsOf returns the sets of one kind, in run order.
func (r *Report) setsOf(kind string) []*Set {
	var out []*Set
	for _, s := range r.Sets {
		if s.Kind == kind {
			out = append(out, s)
		}
	}
	return out
}

// singleCopy is the single-connection COPY of the main set with ids, the
// yardstick of the runs that have no COPY of their own; 0 if none ran.
func (r *Report) singleCopy(ids string) float64 {
	for _, s := range r.setsOf(setMain) {
		if s.Dataset.IDs == ids {
			return s.Summary.SingleCopy
		}
	}
	return 0
}

// others are the pipeline runs outside sets.
func (r *Report) others() []*PipelineRun {
	var out []*PipelineRun
	for _, l := range []*PipelineRun{r.Latency, r.LatencyCompare} {
		if l != nil {
			out = append(out, l)
		}
	}
	for i := range r.Memory {
		out = append(out, &r.Memory[i])
	}
	for i := range r.Scale {
		out = append(out, &r.Scale[i])
	}
	for _, runs := range [][]FormatRun{r.Formats, r.FormatsMemory} {
		for i := range runs {
			out = append(out, &runs[i].Pipeline)
		}
	}
	return out
}

// pipelines are every pipeline run shown: the sets' medians and the others.
func (r *Report) pipelines() []*PipelineRun {
	var out []*PipelineRun
	for _, s := range r.Sets {
		for i := range s.pipelineShown {
			out = append(out, &s.pipelineShown[i])
		}
	}
	return append(out, r.others()...)
}

func (r *Report) natsInfo() NATSInfo {
	for _, p := range r.pipelines() {
		return p.NATS
	}
	for _, g := range r.Growth {
		return g.Throughput.NATS
	}
	return NATSInfo{}
}

func (r *Report) summarize() {
	s := &r.Summary
	s.Repeats = r.Options.Repeat
	if r.Latency != nil {
		s.LatencyP50, s.LatencyP99 = r.Latency.Latency.P50, r.Latency.Latency.P99
	}
	for _, p := range r.pipelines() {
		for _, svc := range p.Services {
			switch {
			case svc.Name == "nats-server" || svc.Name == "generator":
			case p.Variant == workingTree:
				s.MaxServiceRSSMB = max(s.MaxServiceRSSMB, svc.PeakRSSMB)
			default:
				s.CompareServiceRSSMB = max(s.CompareServiceRSSMB, svc.PeakRSSMB)
			}
		}
	}
	for _, set := range r.Sets {
		s.Runs += set.Summary.Runs
		s.Contended += set.Summary.Contended
	}
	for _, p := range r.others() {
		s.Runs++
		if p.Busy.Contended {
			s.Contended++
		}
	}
}

// save writes the JSON and the charts beside the run's logs.
func (b *bench) save(r *Report) error {
	base := filepath.Join(b.opts.Results, "bench-"+r.Started.Format("20060102T150405Z"))
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(base+".json", js, 0o644); err != nil {
		return err
	}
	written := []any{"json", base + ".json"}
	if r.hasTimeChart() {
		if err := chart(r, base+".svg"); err != nil {
			return fmt.Errorf("chart: %w", err)
		}
		written = append(written, "chart", base+".svg")
	}
	if len(r.Growth) > 0 {
		if err := growthChart(r, base+"-growth.svg"); err != nil {
			return fmt.Errorf("growth chart: %w", err)
		}
		written = append(written, "growth_chart", base+"-growth.svg")
	}
	if len(r.setsOf(setSweep)) > 0 {
		if err := sweepChart(r, base+"-sweep.svg"); err != nil {
			return fmt.Errorf("sweep chart: %w", err)
		}
		written = append(written, "sweep_chart", base+"-sweep.svg")
	}
	b.log.Info("results written", append(written, "logs", b.work)...)
	return nil
}

func rates(all []float64) string {
	parts := make([]string, len(all))
	for i, v := range all {
		parts[i] = count(int64(v))
	}
	return strings.Join(parts, ", ")
}

// count formats n with thousands separators.
func count(n int64) string {
	s := fmt.Sprint(n)
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

// size formats bytes in decimal units.
func size(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2f GB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%d B", n)
}
