package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
)

// backlogTarget is issue 15's: a backlog of 20,000 ten-row files drains at
// this many files per second or more.
const backlogTarget = 10_000

// printSummary writes the ratios the targets are about, under the table.
func (r *Report) printSummary(out io.Writer) {
	fmt.Fprintln(out)
	for _, s := range r.Sets {
		if s.Kind == setSweep || r.Summary.Repeats < 2 {
			continue
		}
		fmt.Fprintf(out, "%s set, %s ids: the rows above are the median of %d alternated runs; all runs' rows/s:\n", s.Kind, s.Dataset.IDs, r.Summary.Repeats)
		for i, c := range s.copyShown {
			fmt.Fprintf(out, "  %s: %s\n", c.Name, rates(s.copyRates[i]))
		}
		for i, p := range s.pipelineShown {
			fmt.Fprintf(out, "  %s: %s\n", p.Name, rates(s.pipelineRates[i]))
		}
	}
	for _, s := range r.setsOf(setMain) {
		sum := s.Summary
		if sum.VsSingleCopy > 0 {
			fmt.Fprintf(out, "pipeline / single COPY, %s ids: %.2fx\n", sum.IDs, sum.VsSingleCopy)
		}
		if sum.VsBestCopy > 0 {
			fmt.Fprintf(out, "pipeline / best COPY (%d connection%s), %s ids: %.2fx (target >= 1.0x)\n",
				sum.BestCopyConns, plural(sum.BestCopyConns), sum.IDs, sum.VsBestCopy)
		}
	}
	for _, s := range r.setsOf(setBacklog) {
		sum := s.Summary
		fmt.Fprintf(out, "backlog of %s files of %s rows landed at once, %s ids: %s files/s (target >= %s files/s)",
			count(int64(sum.Files)), count(int64(sum.RowsPerFile)), sum.IDs, count(int64(sum.FilesPerSec)), count(backlogTarget))
		if i := slices.IndexFunc(s.copyShown, func(c CopyRun) bool { return c.Conns == 1 }); i >= 0 {
			fmt.Fprintf(out, "; a single COPY of the same files: %s files/s", count(int64(s.copyShown[i].FilesPerSec)))
		}
		fmt.Fprintln(out)
	}
	for _, s := range r.setsOf(setWaiting) {
		sum := s.Summary
		fmt.Fprintf(out, "backlog of %s files of %s rows waiting when the services start, %s ids: %s files/s, from their start\n",
			count(int64(sum.Files)), count(int64(sum.RowsPerFile)), sum.IDs, count(int64(sum.FilesPerSec)))
	}
	for _, s := range r.Sets {
		if sum := s.Summary; sum.NewVsOld > 0 {
			fmt.Fprintf(out, "working tree / %s, %s set of %s-row files, %s ids (median of %d run%s each): %.2fx (%s against %s rows/s)\n",
				sum.Compare, s.Kind, count(int64(sum.RowsPerFile)), sum.IDs, r.Summary.Repeats, plural(r.Summary.Repeats), sum.NewVsOld,
				count(int64(sum.Pipeline)), count(int64(sum.CompareRate)))
		}
	}
	for _, run := range []*PipelineRun{r.Latency, r.LatencyCompare} {
		if run == nil {
			continue
		}
		l := run.Latency
		fmt.Fprintf(out, "%s, file landed -> rows committed, %d files (%s ids): p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, p99.9 %.1f ms, max %.1f ms (target p99 <= 15)\n",
			run.Name, l.N, run.IDs, l.P50, l.P90, l.P99, l.P999, l.Max)
	}
	if s := r.Summary; s.MaxServiceRSSMB > 0 {
		fmt.Fprintf(out, "largest peak RSS of a service: %.1f MB (target <= 64 MB)\n", s.MaxServiceRSSMB)
	}
	if s := r.Summary; s.CompareServiceRSSMB > 0 {
		fmt.Fprintf(out, "largest peak RSS of a service @ %s: %.1f MB\n", r.Options.Compare, s.CompareServiceRSSMB)
	}
}

// printScale shows the scale runs as a matrix: rows/s by file size and
// number of loaders, for each kind of id.
func (r *Report) printScale(out io.Writer) {
	for _, ids := range r.Options.IDs {
		var runs []PipelineRun
		for _, p := range r.Scale {
			if p.IDs == ids {
				runs = append(runs, p)
			}
		}
		if len(runs) > 0 {
			printScaleMatrix(out, ids, runs)
		}
	}
}

func printScaleMatrix(out io.Writer, ids string, runs []PipelineRun) {
	var loaders, sizes []int
	cell := map[[2]int]PipelineRun{}
	for _, p := range runs {
		if !slices.Contains(loaders, p.Loaders) {
			loaders = append(loaders, p.Loaders)
		}
		if !slices.Contains(sizes, p.RowsPerFile) {
			sizes = append(sizes, p.RowsPerFile)
		}
		cell[[2]int{p.RowsPerFile, p.Loaders}] = p
	}
	fmt.Fprintf(out, "\nscale, %s ids: rows/s (loader CPU s, PostgreSQL backends CPU s, busy cores), %s rows per run\n", ids, count(runs[0].Rows))
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
			fmt.Fprintf(tw, "%s (%.1f, %.1f, %.2f)\t", count(int64(p.RowsPerSec)), loaderCPU, p.CPU[roleBackends], p.Busy.Cores)
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
}
