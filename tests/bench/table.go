package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// columns of the main table, after the run's name.
var columns = []string{"ids", "files", "rows/file", "rows/s", "files/s", "x 1 COPY", "seconds", "p50 ms", "p99 ms", "max ms",
	"start-up ms", "peak RSS MB", "CPU s", "busy cores", "other cores", "load avg", "contended"}

// table writes rows of a name (padded: the cells align right) and cells
// given by column.
type table struct {
	tw    *tabwriter.Writer
	width int
}

func (t table) row(name string, cells map[string]string) {
	var b strings.Builder
	fmt.Fprintf(&b, "%-*s\t", t.width, name)
	for _, c := range columns {
		b.WriteString(cells[c] + "\t")
	}
	fmt.Fprintln(t.tw, b.String())
}

// print writes what the machine and the datasets were, the main table,
// the summary under it, the scale and sweep tables, and the notes.
func (r *Report) print(out io.Writer) {
	m := r.Machine
	fmt.Fprintf(out, "\ntributary bench, %s\n", r.Started.Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(out, "machine: %d cores (%s), Linux %s, %s; PostgreSQL %s (fsync %s, synchronous_commit %s); NATS %s (JetStream sync_interval %s, max_payload %s)\n",
		m.Cores, m.CPU, m.Kernel, m.Go, m.PostgreSQL, m.PostgresFsync, m.PostgresSyncCommit, m.NATS.Version, m.NATS.SyncInterval, size(m.NATS.MaxPayload))
	if m.PostgresConf != "" {
		fmt.Fprintf(out, "PostgreSQL: a private instance with %s included:", m.PostgresConf)
	} else {
		fmt.Fprint(out, "PostgreSQL settings:")
	}
	for _, k := range postgresSettings {
		fmt.Fprintf(out, " %s=%s", k, m.PostgresSettings[k])
	}
	fmt.Fprintln(out)
	for _, s := range r.Sets {
		if s.Kind != setSweep {
			d := s.Dataset
			fmt.Fprintf(out, "dataset (%s): %s rows in %s files of %s rows (%s), written by the generator, %s\n",
				s.Kind, count(d.Rows), count(int64(d.Files)), count(int64(d.RowsPerFile)), size(d.Bytes), idsNote(d.IDs))
		}
	}
	if len(r.Options.Env) > 0 {
		fmt.Fprintf(out, "service settings: %s\n", strings.Join(r.Options.Env, " "))
	}
	if len(r.Sets) > len(r.setsOf(setSweep)) || len(r.others()) > 0 { // a sweep alone has its own table
		r.printTable(out)
	}
	r.printSummary(out)
	r.printGrowth(out)
	r.printScale(out)
	printFormats(out, "formats: the same rows landed in each format, a pipeline run each (x csv: rows/s over plain CSV's; with -repeat the median run, the formats' order rotating)", r.Formats)
	printFormats(out, fmt.Sprintf("formats, one file of %s rows each: peak RSS (target <= 64 MB)", count(r.Options.FormatsMemoryRows)), r.FormatsMemory)
	r.printSweep(out)
	r.printNotes(out)
}

// printTable writes the main table: a row per median run of each COPY and
// pipeline set but the sweep's, then the runs outside sets, and under each
// pipeline run a row per process.
func (r *Report) printTable(out io.Writer) {
	fmt.Fprintln(out)
	t := table{tw: tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight), width: len("PostgreSQL background (shared)") + 2}
	for _, p := range r.pipelines() {
		t.width = max(t.width, len(p.Name))
	}
	head := map[string]string{}
	for _, c := range columns {
		head[c] = c
	}
	t.row("run", head)
	for _, s := range r.Sets {
		if s.Kind == setSweep {
			continue
		}
		for _, c := range s.copyShown {
			t.row(c.Name, copyCells(c, s.Summary.SingleCopy, s.Dataset))
		}
		for _, p := range s.pipelineShown {
			t.pipeline(p, s.Summary.SingleCopy)
		}
	}
	for _, p := range r.others() {
		yardstick := r.singleCopy(p.IDs)
		if p.Offered > 0 {
			yardstick = 0 // an offered rate is not a throughput
		}
		t.pipeline(*p, yardstick)
	}
	t.tw.Flush()
}

// printNotes explains the columns that need it, and says when a figure was
// taken under contention.
func (r *Report) printNotes(out io.Writer) {
	fmt.Fprintf(out, "\nbusy cores: the whole machine's CPU use during the run (2.00 = both cores); other cores: of which not the run's processes "+
		"(services, their PostgreSQL backends and the server's background processes, the bench); contended: other cores above %.2f (-contention).\n", r.Options.Contention)
	fmt.Fprintln(out, "CPU s: each service over its life (rusage); PostgreSQL backends: the run database's sessions (pg_stat_activity pids, /proc/PID/stat) "+
		"while the files loaded; PostgreSQL background: checkpointer, WAL writer, background writer and launchers, shared with every database of the server.")
	if r.Summary.Contended > 0 {
		fmt.Fprintf(out, "%d of %d runs were contended: their figures say what the code did on a busy machine, not what it can do.\n", r.Summary.Contended, r.Summary.Runs)
	}
}

func idsNote(ids string) string {
	if ids == idsV4 {
		return "ids rewritten to random UUIDv4"
	}
	return "the generator's time-ordered UUIDv7 ids"
}

func copyCells(c CopyRun, single float64, d *Dataset) map[string]string {
	cells := runCells(c.IDs, c.Files, d.RowsPerFile, c.RowsPerSec, c.FilesPerSec, single, c.Seconds, c.Busy)
	cells["CPU s"] = fmt.Sprintf("%.2f (PostgreSQL)", c.CPU[roleBackends])
	return cells
}

func runCells(ids string, files, perFile int, rowsPerSec, filesPerSec, single, seconds float64, b busy) map[string]string {
	cells := map[string]string{
		"ids": ids, "files": count(int64(files)), "rows/file": count(int64(perFile)),
		"rows/s": count(int64(rowsPerSec)), "files/s": count(int64(filesPerSec)), "x 1 COPY": "-",
		"seconds": fmt.Sprintf("%.2f", seconds), "busy cores": fmt.Sprintf("%.2f", b.Cores),
		"other cores": fmt.Sprintf("%.2f", b.Others), "load avg": b.LoadAvg,
	}
	if single > 0 {
		cells["x 1 COPY"] = fmt.Sprintf("%.2fx", rowsPerSec/single)
	}
	if b.Contended {
		cells["contended"] = "yes"
	}
	return cells
}

// pipeline writes a pipeline run and its processes; single is the rows/s
// of the COPY it is measured against (0: none).
func (t table) pipeline(p PipelineRun, single float64) {
	cells := runCells(p.IDs, p.Files, p.RowsPerFile, p.RowsPerSec, p.FilesPerSec, single, p.Seconds, p.Busy)
	l := p.Latency
	cells["p50 ms"], cells["p99 ms"], cells["max ms"] = fmt.Sprintf("%.1f", l.P50), fmt.Sprintf("%.1f", l.P99), fmt.Sprintf("%.1f", l.Max)
	t.row(p.Name, cells)
	for _, s := range p.Services {
		cells := map[string]string{"start-up ms": fmt.Sprintf("%.0f", s.StartupMS), "peak RSS MB": fmt.Sprintf("%.1f", s.PeakRSSMB),
			"CPU s": fmt.Sprintf("%.2f", s.CPUSeconds)}
		if s.Name == "generator" {
			delete(cells, "start-up ms")
		}
		t.row("  "+s.Name, cells)
	}
	t.row("  PostgreSQL backends", map[string]string{"CPU s": fmt.Sprintf("%.2f", p.CPU[roleBackends])})
	t.row("  PostgreSQL background (shared)", map[string]string{"CPU s": fmt.Sprintf("%.2f", p.CPU[roleBackground])})
}
