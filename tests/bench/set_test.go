package main

import (
	"reflect"
	"testing"
)

// sweepSet is a set of a sweep's file size as runSet leaves it before
// summarize: COPY runs with 1 and 2 connections and the pipeline's runs,
// the working tree's and -compare's, two repeats each.
func sweepSet(perFile int, single, pipeline, old float64, contended bool) *Set {
	rows := int64(1_000_000)
	files := int(rows) / perFile
	s := &Set{Kind: setSweep, Dataset: &Dataset{IDs: idsV4, Files: files, RowsPerFile: perFile, Rows: rows}}
	for _, r := range []float64{1, 0.5} { // the second repeat is slower
		s.Copy = append(s.Copy,
			CopyRun{Name: "COPY, 1 connection", Conns: 1, RowsPerSec: single * r},
			CopyRun{Name: "COPY, 2 connections", Conns: 2, RowsPerSec: 2 * single * r, Busy: busy{Contended: contended}})
		s.Pipeline = append(s.Pipeline,
			PipelineRun{Name: "sweep, 1 loader", Variant: "working tree", Rows: rows, RowsPerSec: pipeline * r, FilesPerSec: pipeline * r / float64(perFile),
				CPU: CPUUse{roleLoaders: 0.5 * r, roleBackends: 2 * r}, Busy: busy{Others: 0.1 * r}},
			PipelineRun{Name: "sweep, 1 loader @ main (ee97ae2)", Variant: "main (ee97ae2)", Rows: rows, RowsPerSec: old * r})
	}
	s.summarize()
	return s
}

func TestSetSummaryIsTheMedianRunsRatios(t *testing.T) {
	s := sweepSet(100, 100_000, 150_000, 120_000, true)
	want := SetSummary{Kind: setSweep, IDs: idsV4, RowsPerFile: 100, Files: 10_000,
		SingleCopy: 50_000, BestCopy: 100_000, BestCopyConns: 2, // the lower middle of two runs
		Pipeline: 75_000, FilesPerSec: 750, VsSingleCopy: 1.5, VsBestCopy: 0.75,
		CPUPerMillion: CPUUse{roleLoaders: 0.25, roleBackends: 1},
		Compare:       "main (ee97ae2)", CompareRate: 60_000, NewVsOld: 1.25,
		Runs: 8, Contended: 2}
	if !reflect.DeepEqual(s.Summary, want) {
		t.Errorf("summary =\n%+v, want\n%+v", s.Summary, want)
	}
	if s.pipelineShown[0].Variant != "working tree" {
		t.Errorf("shown first: %q, want the working tree's", s.pipelineShown[0].Variant)
	}
}

func TestSweepTable(t *testing.T) {
	sets := []*Set{
		sweepSet(10, 8_000, 4_000, 4_000, true),
		sweepSet(10_000, 300_000, 330_000, 300_000, false),
	}
	head, rows := sweepTable(sets, []int{1, 2, 4})
	wantHead := []string{"rows/file", "files", "files/s", "rows/s", "COPY 1", "COPY 2", "COPY 4", "x 1 COPY", "x best COPY",
		"@ main (ee97ae2)", "new/old", "loaders", "watcher", "nats-server", "PG backends", "PG background", "other cores", "contended"}
	if !reflect.DeepEqual(head, wantHead) {
		t.Errorf("head = %q\nwant %q", head, wantHead)
	}
	want := [][]string{
		{"10", "100,000", "200", "2,000", "4,000", "8,000", "-", "0.50x", "0.25x", "2,000", "1.00x",
			"0.25", "0.00", "0.00", "1.00", "0.00", "0.05", "2 of 8 runs"},
		{"10,000", "100", "16", "165,000", "150,000", "300,000", "-", "1.10x", "0.55x", "150,000", "1.10x",
			"0.25", "0.00", "0.00", "1.00", "0.00", "0.05", ""},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("rows =\n%q\nwant\n%q", rows, want)
	}
}
