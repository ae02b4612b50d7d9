package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is everything one invocation measured; it is saved as JSON.
type Report struct {
	Started  time.Time     `json:"started"`
	Machine  Machine       `json:"machine"`
	Options  Options       `json:"options"`
	Dataset  *Dataset      `json:"dataset,omitempty"`
	Summary  Summary       `json:"summary"`
	Copy     []CopyRun     `json:"copy,omitempty"`
	Pipeline []PipelineRun `json:"pipeline,omitempty"`
	Latency  *PipelineRun  `json:"latency,omitempty"`
	Memory   []PipelineRun `json:"memory,omitempty"`
	Scale    []PipelineRun `json:"scale,omitempty"`

	// The median run of each kind, shown in the table and the chart.
	copyShown     []CopyRun
	copyRates     [][]float64
	pipelineShown []PipelineRun
	pipelineRates [][]float64
}

// Machine is where the figures were taken.
type Machine struct {
	Cores              int      `json:"cores"`
	CPU                string   `json:"cpu"`
	Kernel             string   `json:"kernel"`
	Go                 string   `json:"go"`
	PostgreSQL         string   `json:"postgresql"`
	PostgresFsync      string   `json:"postgresql_fsync"`
	PostgresSyncCommit string   `json:"postgresql_synchronous_commit"`
	NATS               NATSInfo `json:"nats"`
}

// Summary holds the ratios the targets are about.
type Summary struct {
	Repeats         int     `json:"repeats"` // rates below are medians of that many runs
	SingleCopy      float64 `json:"single_copy_rows_per_second,omitempty"`
	BestCopy        float64 `json:"best_copy_rows_per_second,omitempty"`
	BestCopyConns   int     `json:"best_copy_connections,omitempty"`
	Pipeline        float64 `json:"pipeline_rows_per_second,omitempty"`
	VsSingleCopy    float64 `json:"pipeline_vs_single_copy,omitempty"` // target >= 1.0
	VsBestCopy      float64 `json:"pipeline_vs_best_copy,omitempty"`   // stretch >= 0.8
	LatencyP50      float64 `json:"latency_p50_ms,omitempty"`          // target <= 25
	LatencyP99      float64 `json:"latency_p99_ms,omitempty"`          // target <= 100
	MaxServiceRSSMB float64 `json:"max_service_peak_rss_mb,omitempty"` // target <= 64 (watcher, loader)
}

func (r *Report) pipelines() []*PipelineRun {
	var out []*PipelineRun
	for i := range r.pipelineShown {
		out = append(out, &r.pipelineShown[i])
	}
	if r.Latency != nil {
		out = append(out, r.Latency)
	}
	for i := range r.Memory {
		out = append(out, &r.Memory[i])
	}
	for i := range r.Scale {
		out = append(out, &r.Scale[i])
	}
	return out
}

func (r *Report) natsInfo() NATSInfo {
	for _, p := range r.pipelines() {
		return p.NATS
	}
	return NATSInfo{}
}

func (r *Report) summarize() {
	r.copyShown, r.copyRates = medianCopies(r.Copy)
	r.pipelineShown, r.pipelineRates = medianPipelines(r.Pipeline)
	s := &r.Summary
	s.Repeats = r.Options.Repeat
	for _, c := range r.copyShown {
		if c.Conns == 1 {
			s.SingleCopy = c.RowsPerSec
		}
		if c.RowsPerSec > s.BestCopy {
			s.BestCopy, s.BestCopyConns = c.RowsPerSec, c.Conns
		}
	}
	if len(r.pipelineShown) > 0 {
		s.Pipeline = r.pipelineShown[0].RowsPerSec
		if s.SingleCopy > 0 {
			s.VsSingleCopy = s.Pipeline / s.SingleCopy
		}
		if s.BestCopy > 0 {
			s.VsBestCopy = s.Pipeline / s.BestCopy
		}
	}
	if r.Latency != nil {
		s.LatencyP50, s.LatencyP99 = r.Latency.Latency.P50, r.Latency.Latency.P99
	}
	for _, p := range r.pipelines() {
		for _, svc := range p.Services {
			if svc.Name != "nats-server" && svc.Name != "generator" {
				s.MaxServiceRSSMB = max(s.MaxServiceRSSMB, svc.PeakRSSMB)
			}
		}
	}
}

// print writes the one table: a row per run, and under each pipeline run a
// row per process.
func (r *Report) print(out io.Writer) {
	m := r.Machine
	fmt.Fprintf(out, "\ntributary bench, %s\n", r.Started.Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(out, "machine: %d cores (%s), Linux %s, %s; PostgreSQL %s (fsync %s, synchronous_commit %s); NATS %s (JetStream sync_interval %s, max_payload %s)\n",
		m.Cores, m.CPU, m.Kernel, m.Go, m.PostgreSQL, m.PostgresFsync, m.PostgresSyncCommit, m.NATS.Version, m.NATS.SyncInterval, size(m.NATS.MaxPayload))
	if d := r.Dataset; d != nil {
		fmt.Fprintf(out, "dataset: %s rows in %d files of %s rows (%s), written by the generator\n", count(d.Rows), d.Files, count(int64(d.RowsPerFile)), size(d.Bytes))
	}
	if len(r.Options.Env) > 0 {
		fmt.Fprintf(out, "service settings: %s\n", strings.Join(r.Options.Env, " "))
	}
	fmt.Fprintln(out)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	width := len("PostgreSQL (loader backends)") + 2
	for _, c := range r.copyShown {
		width = max(width, len(c.Name))
	}
	for _, p := range r.pipelines() {
		width = max(width, len(p.Name))
	}
	name := func(s string) string { return fmt.Sprintf("%-*s", width, s) }
	fmt.Fprintf(tw, "%s\trows/s\tx 1 COPY\tseconds\tp50 ms\tp99 ms\tmax ms\tstart-up ms\tpeak RSS MB\tCPU s\tbusy cores\tload avg\t\n", name("run"))
	ratio := func(v float64, offered bool) string {
		if r.Summary.SingleCopy == 0 || offered {
			return "-"
		}
		return fmt.Sprintf("%.2fx", v/r.Summary.SingleCopy)
	}
	for _, c := range r.copyShown {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.2f\t\t\t\t\t\t%.1f (PostgreSQL)\t%.2f\t%s\t\n", name(c.Name), count(int64(c.RowsPerSec)), ratio(c.RowsPerSec, false),
			c.Seconds, c.PostgresCPU, c.Busy.Cores, c.Busy.LoadAvg)
	}
	for _, p := range r.pipelines() {
		l := p.Latency
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.2f\t%.1f\t%.1f\t%.1f\t\t\t\t%.2f\t%s\t\n", name(p.Name), count(int64(p.RowsPerSec)), ratio(p.RowsPerSec, p.Offered > 0),
			p.Seconds, l.P50, l.P99, l.Max, p.Busy.Cores, p.Busy.LoadAvg)
		for _, s := range p.Services {
			startup := fmt.Sprintf("%.0f", s.StartupMS)
			if s.Name == "generator" {
				startup = ""
			}
			fmt.Fprintf(tw, "%s\t\t\t\t\t\t\t%s\t%.1f\t%.2f\t\t\t\n", name("  "+s.Name), startup, s.PeakRSSMB, s.CPUSeconds)
		}
		fmt.Fprintf(tw, "%s\t\t\t\t\t\t\t\t\t%.2f\t\t\t\n", name("  PostgreSQL (loader backends)"), p.PostgresCPU)
	}
	tw.Flush()
	s := r.Summary
	fmt.Fprintln(out)
	if s.Repeats > 1 {
		fmt.Fprintf(out, "COPY and pipeline rows are the median of %d alternated runs; all runs' rows/s:\n", s.Repeats)
		for i, c := range r.copyShown {
			fmt.Fprintf(out, "  %s: %s\n", c.Name, rates(r.copyRates[i]))
		}
		for i, p := range r.pipelineShown {
			fmt.Fprintf(out, "  %s: %s\n", p.Name, rates(r.pipelineRates[i]))
		}
	}
	if s.VsSingleCopy > 0 {
		fmt.Fprintf(out, "pipeline / single COPY: %.2fx (target >= 1.0x)\n", s.VsSingleCopy)
	}
	if s.VsBestCopy > 0 {
		fmt.Fprintf(out, "pipeline / best COPY (%d connection%s): %.2fx (stretch >= 0.8x of the best parallel COPY)\n", s.BestCopyConns, plural(s.BestCopyConns), s.VsBestCopy)
	}
	if r.Latency != nil {
		l := r.Latency.Latency
		fmt.Fprintf(out, "latency, file landed -> rows committed, %d files: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, p99.9 %.1f ms, max %.1f ms (target p50 <= 25, p99 <= 100)\n",
			l.N, l.P50, l.P90, l.P99, l.P999, l.Max)
	}
	if s.MaxServiceRSSMB > 0 {
		fmt.Fprintf(out, "largest peak RSS of a service: %.1f MB (target <= 64 MB)\n", s.MaxServiceRSSMB)
	}
	r.printScale(out)
	fmt.Fprintln(out, "busy cores: the whole machine's CPU use during the run (2.00 = both cores), anything else running included.")
}

// printScale shows the scale runs as a matrix: rows/s by file size and
// number of loaders.
func (r *Report) printScale(out io.Writer) {
	if len(r.Scale) == 0 {
		return
	}
	var loaders, sizes []int
	cell := map[[2]int]PipelineRun{}
	for _, p := range r.Scale {
		if !slices.Contains(loaders, p.Loaders) {
			loaders = append(loaders, p.Loaders)
		}
		if !slices.Contains(sizes, p.RowsPerFile) {
			sizes = append(sizes, p.RowsPerFile)
		}
		cell[[2]int{p.RowsPerFile, p.Loaders}] = p
	}
	fmt.Fprintf(out, "\nscale: rows/s (loader CPU s, PostgreSQL CPU s, busy cores), %s rows per run\n", count(r.Scale[0].Rows))
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "rows per file\t")
	for _, l := range loaders {
		fmt.Fprintf(tw, "%d loader%s\t", l, plural(l))
	}
	fmt.Fprintln(tw)
	for _, size := range sizes {
		fmt.Fprintf(tw, "%s\t", count(int64(size)))
		for _, l := range loaders {
			p, ok := cell[[2]int{size, l}]
			if !ok {
				fmt.Fprint(tw, "-\t")
				continue
			}
			var loaderCPU float64
			for _, s := range p.Services {
				if strings.HasPrefix(s.Name, "loader") {
					loaderCPU += s.CPUSeconds
				}
			}
			fmt.Fprintf(tw, "%s (%.1f, %.1f, %.2f)\t", count(int64(p.RowsPerSec)), loaderCPU, p.PostgresCPU, p.Busy.Cores)
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
}

// save writes the JSON and the chart beside the run's logs.
func (b *bench) save(r *Report) error {
	base := filepath.Join(b.opts.Results, "bench-"+r.Started.Format("20060102T150405Z"))
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(base+".json", js, 0o644); err != nil {
		return err
	}
	if err := chart(r, base+".svg"); err != nil {
		return fmt.Errorf("chart: %w", err)
	}
	b.log.Info("results written", "json", base+".json", "chart", base+".svg", "logs", b.work)
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
