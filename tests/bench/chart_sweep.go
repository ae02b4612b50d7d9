package main

import (
	"fmt"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// sweepChart draws rows/s against rows per file (log scale) for the
// pipeline (each variant) and each COPY baseline, for each kind of id.
func sweepChart(r *Report, path string) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Throughput by file size (%s rows per size)", count(r.Options.SweepRows))
	p.X.Label.Text = "rows per file (log scale)"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = counted(plot.LogTicks{Prec: -1})
	p.Y.Label.Text = "rows committed per second"
	p.Y.Tick.Marker = counted(plot.DefaultTicks{})
	p.Legend.Top, p.Legend.Left, p.Legend.XOffs = true, true, 12*vg.Millimeter
	var names []string
	lines := map[string]plotter.XYs{}
	add := func(name string, perFile int, rate float64) {
		if _, ok := lines[name]; !ok {
			names = append(names, name)
		}
		lines[name] = append(lines[name], plotter.XY{X: float64(perFile), Y: rate})
	}
	for _, s := range r.setsOf(setSweep) {
		for _, pr := range s.pipelineShown {
			add(pr.Name+", "+pr.IDs, pr.RowsPerFile, pr.RowsPerSec)
		}
		for _, c := range s.copyShown {
			add(c.Name+", "+c.IDs, s.Dataset.RowsPerFile, c.RowsPerSec)
		}
	}
	var pairs []any
	for _, n := range names {
		pairs = append(pairs, n, lines[n])
	}
	if err := addLines(p, pairs); err != nil {
		return err
	}
	p.Y.Min, p.Y.Max = 0, p.Y.Max*1.35 // room for the legend
	img := vgsvg.New(9*vg.Inch, 5.5*vg.Inch)
	p.Draw(draw.Crop(draw.New(img), 2*vg.Millimeter, -6*vg.Millimeter, 2*vg.Millimeter, -3*vg.Millimeter)) // room for the last tick's label
	return writeSVG(img, path)
}
