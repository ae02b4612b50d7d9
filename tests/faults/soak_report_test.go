package faults

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// gauge is one sampled quantity and how much it may grow inside one
// incarnation before the soak calls it a leak.
type gauge struct {
	name  string
	get   func(sample) float64
	ratio float64 // allowed relative growth of the median
	slack float64 // plus this much absolutely
	unit  func(float64) string
}

// The tolerances. RSS: Go's heap may reach five times the live heap before
// a GC (the services' GOGC=400, capped by their 48 MiB soft memory limit)
// and freed pages go back to the kernel lazily, so one burst
// (a backlog drained after an outage, a loader's full batch) can lift the
// plateau once; the median of a tenth of the samples smooths the GC saw,
// and 25% + 16 MiB leaves room for one such plateau while a leak of a
// buffer per file or batch, over thousands of files, exceeds it. Open files
// and goroutines are fixed by configuration (a pool of connections, one
// NATS connection, a handful of workers, files open only while read): a
// few of slack covers a reconnect in progress, while a leak of one per
// file, batch or fault grows without bound.
var gauges = []gauge{
	{"rss", func(s sample) float64 { return s.rss }, 0.25, 16 << 20, mib},
	{"open files", func(s sample) float64 { return s.fds }, 0, 6, num},
	{"goroutines", func(s sample) float64 { return s.goroutines }, 0, 12, num},
}

func mib(v float64) string { return fmt.Sprintf("%.1fMiB", v/(1<<20)) }
func num(v float64) string { return fmt.Sprintf("%.0f", v) }

// minJudged is how many samples an incarnation needs after its warm-up to
// be judged: its first and last tenth must each hold at least one.
const minJudged = 10

// incarnations splits samples by pid, in order.
func incarnations(samples []sample) [][]sample {
	var out [][]sample
	for i, s := range samples {
		if i == 0 || s.pid != samples[i-1].pid {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], s)
	}
	return out
}

// steady drops an incarnation's warm-up: its first fifth, at least 3
// samples (connections, caches and the first batches settle there).
func steady(inc []sample) []sample {
	skip := max(3, len(inc)/5)
	if len(inc) <= skip {
		return nil
	}
	return inc[skip:]
}

// growth compares the median of the first and the last tenth of the
// steady samples of each incarnation long enough to judge, and returns
// one line per incarnation that grew past the gauge's tolerance, and how
// many incarnations were judged.
func growth(s *series, g gauge) (leaks []string, judged int) {
	for i, inc := range incarnations(s.samples) {
		st := steady(inc)
		if len(st) < minJudged || g.get(st[0]) < 0 {
			continue
		}
		judged++
		tenth := max(1, len(st)/10)
		first, last := median(st[:tenth], g.get), median(st[len(st)-tenth:], g.get)
		if limit := first*(1+g.ratio) + g.slack; last > limit {
			leaks = append(leaks, fmt.Sprintf("%s incarnation %d (pid %d, %s, %d samples): %s grew from %s to %s (limit %s)",
				s.name, i+1, inc[0].pid, inc[len(inc)-1].at.Sub(inc[0].at).Round(time.Second), len(inc),
				g.name, g.unit(first), g.unit(last), g.unit(limit)))
		}
	}
	return leaks, judged
}

func median(ss []sample, get func(sample) float64) float64 {
	vs := make([]float64, len(ss))
	for i, s := range ss {
		vs[i] = get(s)
	}
	sort.Float64s(vs)
	n := len(vs)
	if n%2 == 1 {
		return vs[n/2]
	}
	return (vs[n/2-1] + vs[n/2]) / 2
}

// table prints, per service, its readings at the start (the first steady
// sample of its first incarnation) and at the end (its last sample), its
// incarnations and its latency histogram's percentiles over the run.
func table(all []*series) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-10s %5s %9s %9s %6s %6s %6s %6s %5s  %-28s %9s %9s %9s %9s\n", "service", "incs", "rss start", "rss end",
		"fd st", "fd end", "gr st", "gr end", "miss", "latency histogram", "count", "p50", "p99", "p99.9")
	for _, s := range all {
		if len(s.samples) == 0 {
			fmt.Fprintf(&b, "%-10s no samples (%d misses)\n", s.name, s.misses)
			continue
		}
		incs := incarnations(s.samples)
		start := incs[0][0]
		if st := steady(incs[0]); len(st) > 0 {
			start = st[0]
		}
		end := s.samples[len(s.samples)-1]
		hist := "-"
		if s.hist != "" {
			hist = strings.TrimPrefix(s.hist, "tributary_")
		}
		fmt.Fprintf(&b, "%-10s %5d %9s %9s %6.0f %6.0f %6s %6s %5d  %-28s %9.0f %9s %9s %9s\n", s.name, len(incs), mib(start.rss), mib(end.rss),
			start.fds, end.fds, gr(start.goroutines), gr(end.goroutines), s.misses, hist, s.lat.count(),
			secs(s.lat.quantile(0.5)), secs(s.lat.quantile(0.99)), secs(s.lat.quantile(0.999)))
	}
	return b.String()
}

func gr(v float64) string {
	if v < 0 {
		return "-"
	}
	return num(v)
}

func secs(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return time.Duration(v * float64(time.Second)).Round(time.Millisecond).String()
}
