package main

import (
	"context"
	"fmt"
	"slices"
)

// The kinds of Set.
const (
	setMain    = "pipeline"        // -rows in files of -rows-per-file
	setBacklog = "backlog"         // -backlog-files small files landed at once
	setWaiting = "backlog-waiting" // the same files waiting when the services start
	setSweep   = "sweep"           // -sweep-rows at one of -sweep-rows-per-file
)

// Set is one dataset loaded by each COPY baseline and by the pipeline (by
// each variant of it, with -compare), -repeat times in alternation: their
// ratios come from the same bytes and the same stretch of time, and
// contention that comes and goes spreads over all of them.
type Set struct {
	Kind     string        `json:"kind"`
	Dataset  *Dataset      `json:"dataset"`
	Summary  SetSummary    `json:"summary"`
	Copy     []CopyRun     `json:"copy,omitempty"`
	Pipeline []PipelineRun `json:"pipeline,omitempty"`

	// The median run of each kind, shown in the table and the charts.
	copyShown     []CopyRun
	copyRates     [][]float64
	pipelineShown []PipelineRun // the working tree's first, then -compare's
	pipelineRates [][]float64
}

// SetSummary holds the ratios the targets are about, from the median runs.
type SetSummary struct {
	Kind          string  `json:"kind"`
	IDs           string  `json:"ids"`
	RowsPerFile   int     `json:"rows_per_file"`
	Files         int     `json:"files"`
	SingleCopy    float64 `json:"single_copy_rows_per_second,omitempty"`
	BestCopy      float64 `json:"best_copy_rows_per_second,omitempty"`
	BestCopyConns int     `json:"best_copy_connections,omitempty"`
	Pipeline      float64 `json:"pipeline_rows_per_second,omitempty"`
	FilesPerSec   float64 `json:"pipeline_files_per_second,omitempty"`
	VsSingleCopy  float64 `json:"pipeline_vs_single_copy,omitempty"` // target >= 1.0
	VsBestCopy    float64 `json:"pipeline_vs_best_copy,omitempty"`   // target >= 1.0
	CPUPerMillion CPUUse  `json:"pipeline_cpu_seconds_per_million_rows,omitempty"`
	Compare       string  `json:"compare,omitempty"` // -compare's variant
	CompareRate   float64 `json:"compare_rows_per_second,omitempty"`
	NewVsOld      float64 `json:"new_vs_old,omitempty"` // the working tree's rows/s over -compare's
	Runs          int     `json:"runs"`
	Contended     int     `json:"contended_runs"`
}

// runSet runs the COPY baselines (if copies) and the pipeline variants (if
// pipelines) on ds. The order of the variants flips every repeat (A B, B
// A, ...) so a drift over time does not favour one.
func (b *bench) runSet(ctx context.Context, kind string, ds *Dataset, copies, pipelines bool) (*Set, error) {
	s := &Set{Kind: kind, Dataset: ds}
	var dbURL string
	if copies {
		url, drop, err := b.newDatabase(ctx, true)
		if err != nil {
			return nil, err
		}
		defer drop()
		dbURL = url
	}
	for i := range b.opts.Repeat {
		for _, n := range b.opts.CopyConns {
			if !copies {
				break
			}
			b.log.Info("baseline COPY", "kind", kind, "ids", ds.IDs, "connections", n, "files", ds.Files, "rows", ds.Rows)
			c, err := runCopy(ctx, dbURL, ds, n, b.opts.Contention)
			if err != nil {
				return nil, err
			}
			b.log.Info("baseline done", "connections", n, "rows_per_second", int(c.RowsPerSec), "files_per_second", int(c.FilesPerSec))
			s.Copy = append(s.Copy, c)
		}
		if !pipelines {
			continue
		}
		order := slices.Clone(b.variants)
		if i%2 == 1 {
			slices.Reverse(order)
		}
		what := "pipeline" // a sweep's sets are told apart by file size
		switch kind {
		case setBacklog:
			what = setBacklog
		case setWaiting:
			what = "backlog waiting"
		}
		for _, v := range order {
			name := fmt.Sprintf("%s, %d loader%s%s", what, b.opts.Loaders, plural(b.opts.Loaders), v.suffix())
			p, err := b.pipeline(ctx, PipelineSpec{Name: name, Loaders: b.opts.Loaders, Dataset: ds, Waiting: kind == setWaiting, Variant: v})
			if err != nil {
				return nil, err
			}
			s.Pipeline = append(s.Pipeline, p)
		}
	}
	s.summarize()
	return s, nil
}

// summarize picks the median runs and computes the set's ratios.
func (s *Set) summarize() {
	s.copyShown, s.copyRates = medianCopies(s.Copy)
	s.pipelineShown, s.pipelineRates = medianPipelines(s.Pipeline)
	sum := SetSummary{Kind: s.Kind, IDs: s.Dataset.IDs, RowsPerFile: s.Dataset.RowsPerFile, Files: s.Dataset.Files,
		Runs: len(s.Copy) + len(s.Pipeline)}
	for _, c := range s.copyShown {
		if c.Conns == 1 {
			sum.SingleCopy = c.RowsPerSec
		}
		if c.RowsPerSec > sum.BestCopy {
			sum.BestCopy, sum.BestCopyConns = c.RowsPerSec, c.Conns
		}
	}
	for _, c := range s.Copy {
		if c.Busy.Contended {
			sum.Contended++
		}
	}
	for _, p := range s.Pipeline {
		if p.Busy.Contended {
			sum.Contended++
		}
	}
	if len(s.pipelineShown) > 0 {
		p := s.pipelineShown[0]
		sum.Pipeline, sum.FilesPerSec = p.RowsPerSec, p.FilesPerSec
		sum.CPUPerMillion = p.CPU.perMillion(p.Rows)
		sum.VsSingleCopy = ratio(sum.Pipeline, sum.SingleCopy)
		sum.VsBestCopy = ratio(sum.Pipeline, sum.BestCopy)
	}
	if len(s.pipelineShown) > 1 {
		old := s.pipelineShown[1]
		sum.Compare, sum.CompareRate = old.Variant, old.RowsPerSec
		sum.NewVsOld = ratio(sum.Pipeline, old.RowsPerSec)
	}
	s.Summary = sum
}

// ratio is a/b, or 0 when there is no b to compare with.
func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}
