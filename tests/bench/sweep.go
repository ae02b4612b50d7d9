package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// The sweep loads the same number of rows as files of each size, from ten
// rows to a million: per-file costs (a JetStream write and fsync, a
// transaction, a ledger row, a claim and an archive move) dominate one end,
// per-row costs the other. Each size is a Set: its COPY baselines load the
// same files.

// sweepCPU are the roles whose CPU per million rows the sweep shows.
var sweepCPU = []struct{ role, head string }{
	{roleLoaders, "loaders"}, {roleWatcher, "watcher"}, {roleNATS, "nats-server"},
	{roleBackends, "PG backends"}, {roleBackground, "PG background"},
}

// sweepTable lays out the sweep sets of one kind of id, a row per file
// size in run order: the pipeline's files/s and rows/s, each COPY
// baseline's rows/s (conns are their connection counts) and the ratios,
// -compare's rows/s and new/old if it ran, the CPU per million rows of
// each process while the files loaded, and contention.
func sweepTable(sets []*Set, conns []int) (head []string, rows [][]string) {
	compare := ""
	for _, s := range sets {
		if s.Summary.Compare != "" {
			compare = s.Summary.Compare
		}
	}
	head = []string{"rows/file", "files", "files/s", "rows/s"}
	for _, n := range conns {
		head = append(head, fmt.Sprintf("COPY %d", n))
	}
	head = append(head, "x 1 COPY", "x best COPY")
	if compare != "" {
		head = append(head, "@ "+compare, "new/old")
	}
	for _, c := range sweepCPU {
		head = append(head, c.head)
	}
	head = append(head, "other cores", "contended")
	for _, s := range sets {
		sum := s.Summary
		row := []string{count(int64(sum.RowsPerFile)), count(int64(sum.Files)), count(int64(sum.FilesPerSec)), count(int64(sum.Pipeline))}
		for _, n := range conns {
			cell := "-"
			for _, c := range s.copyShown {
				if c.Conns == n {
					cell = count(int64(c.RowsPerSec))
				}
			}
			row = append(row, cell)
		}
		row = append(row, times(sum.VsSingleCopy), times(sum.VsBestCopy))
		if compare != "" {
			row = append(row, count(int64(sum.CompareRate)), times(sum.NewVsOld))
		}
		for _, c := range sweepCPU {
			row = append(row, fmt.Sprintf("%.2f", sum.CPUPerMillion[c.role]))
		}
		others, contended := "-", ""
		if len(s.pipelineShown) > 0 {
			others = fmt.Sprintf("%.2f", s.pipelineShown[0].Busy.Others)
		}
		if sum.Contended > 0 {
			contended = fmt.Sprintf("%d of %d runs", sum.Contended, sum.Runs)
		}
		rows = append(rows, append(row, others, contended))
	}
	return head, rows
}

// times formats a ratio, or "-" when there was nothing to compare with.
func times(v float64) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fx", v)
}

// printSweep writes a sweep table for each kind of id.
func (r *Report) printSweep(out io.Writer) {
	for _, ids := range r.Options.IDs {
		var sets []*Set
		for _, s := range r.setsOf(setSweep) {
			if s.Dataset.IDs == ids {
				sets = append(sets, s)
			}
		}
		if len(sets) == 0 {
			continue
		}
		o := r.Options
		fmt.Fprintf(out, "\nsweep, %s ids: %s rows as files of each size, %d loader%s; the pipeline's files/s and rows/s, COPY rows/s with n connections; "+
			"CPU-seconds per million rows of each process while the files loaded (median pipeline run)\n",
			ids, count(o.SweepRows), o.Loaders, plural(o.Loaders))
		head, rows := sweepTable(sets, o.CopyConns)
		tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, strings.Join(head, "\t")+"\t")
		for _, row := range rows {
			fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
		}
		tw.Flush()
	}
}
