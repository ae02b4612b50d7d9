package main

import (
	"fmt"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// growthChart draws the pipeline's rows/s against the table's size, a
// line per variant, beside the p99 latency at the offered rate.
func growthChart(r *Report, path string) error {
	tp, lp := plot.New(), plot.New()
	tp.Title.Text = fmt.Sprintf("Throughput as user_activity grows (%s rows landed at once, random ids)", count(r.Options.GrowthRows))
	lp.Title.Text = fmt.Sprintf("p99 landed to committed at %s events/s (random ids)", count(int64(r.Options.LatencyRate)))
	for _, p := range []*plot.Plot{tp, lp} {
		p.X.Label.Text = "rows in user_activity"
		p.X.Tick.Marker = counted(plot.DefaultTicks{})
		p.Legend.Top = true
	}
	tp.Y.Label.Text = "rows committed per second"
	tp.Y.Tick.Marker = counted(plot.DefaultTicks{})
	lp.Y.Label.Text = "milliseconds"
	var names []string
	rates, p99s := map[string]plotter.XYs{}, map[string]plotter.XYs{}
	for _, g := range r.Growth {
		if _, ok := rates[g.Variant]; !ok {
			names = append(names, g.Variant)
		}
		rates[g.Variant] = append(rates[g.Variant], plotter.XY{X: float64(g.TableRows), Y: g.Throughput.RowsPerSec})
		p99s[g.Variant] = append(p99s[g.Variant], plotter.XY{X: float64(g.TableRows), Y: g.Latency.Latency.P99})
	}
	var tl, ll []any
	for _, n := range names {
		tl, ll = append(tl, n, rates[n]), append(ll, n, p99s[n])
	}
	// Points as well as lines: each size is one measurement.
	if err := plotutil.AddLinePoints(tp, tl...); err != nil {
		return fmt.Errorf("plot lines: %w", err)
	}
	if err := plotutil.AddLinePoints(lp, ll...); err != nil {
		return fmt.Errorf("plot lines: %w", err)
	}
	tp.Y.Min, tp.Y.Max = 0, tp.Y.Max*1.3
	lp.Y.Min, lp.Y.Max = 0, max(lp.Y.Max*1.3, 110)
	target, err := plotter.NewLine(plotter.XYs{{X: tp.X.Min, Y: 100}, {X: max(tp.X.Max, 1), Y: 100}})
	if err != nil {
		return err
	}
	target.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	lp.Add(target)
	lp.Legend.Add("target", target)
	img := vgsvg.New(9*vg.Inch, 9*vg.Inch)
	tiles := draw.Tiles{Rows: 2, Cols: 1, PadY: 8 * vg.Millimeter, PadTop: 2 * vg.Millimeter, PadBottom: 2 * vg.Millimeter,
		PadLeft: 2 * vg.Millimeter, PadRight: 6 * vg.Millimeter}
	c := draw.New(img)
	tp.Draw(tiles.At(c, 0, 0))
	lp.Draw(tiles.At(c, 0, 1))
	return writeSVG(img, path)
}
