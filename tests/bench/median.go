package main

import (
	"cmp"
	"slices"
)

// Repeated runs of one kind (COPY with n connections, the pipeline) are
// shown by their median run, with the range of all of them.

// medianCopies returns the median run of each connection count, in the
// order first run; rates lists every run's rows/s.
func medianCopies(runs []CopyRun) (shown []CopyRun, rates [][]float64) {
	var keys []int
	groups := map[int][]CopyRun{}
	for _, c := range runs {
		if _, ok := groups[c.Conns]; !ok {
			keys = append(keys, c.Conns)
		}
		groups[c.Conns] = append(groups[c.Conns], c)
	}
	for _, k := range keys {
		m, all := median(groups[k], func(c CopyRun) float64 { return c.RowsPerSec })
		shown, rates = append(shown, m), append(rates, all)
	}
	return shown, rates
}

// medianPipelines does the same for pipeline runs, by name.
func medianPipelines(runs []PipelineRun) (shown []PipelineRun, rates [][]float64) {
	var keys []string
	groups := map[string][]PipelineRun{}
	for _, p := range runs {
		if _, ok := groups[p.Name]; !ok {
			keys = append(keys, p.Name)
		}
		groups[p.Name] = append(groups[p.Name], p)
	}
	for _, k := range keys {
		m, all := median(groups[k], func(p PipelineRun) float64 { return p.RowsPerSec })
		shown, rates = append(shown, m), append(rates, all)
	}
	return shown, rates
}

// median picks the run with the median rate (the lower middle one of an
// even count) and lists every rate in run order.
func median[T any](runs []T, rate func(T) float64) (T, []float64) {
	all := make([]float64, len(runs))
	for i, r := range runs {
		all[i] = rate(r)
	}
	sorted := slices.Clone(runs)
	slices.SortStableFunc(sorted, func(a, b T) int { return cmp.Compare(rate(a), rate(b)) })
	return sorted[(len(sorted)-1)/2], all
}
