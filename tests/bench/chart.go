package main

import (
	"fmt"
	"math"
	"os"
	"slices"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// chart draws throughput over time of the COPY and pipeline runs beside
// the distribution of landed-to-committed latency, as an SVG.
func chart(r *Report, path string) error {
	tp := plot.New()
	tp.Title.Text = "Throughput over time"
	tp.X.Label.Text = "seconds since the start (rate over a tenth of the run)"
	tp.Y.Tick.Marker = counted(plot.DefaultTicks{})
	tp.Y.Label.Text = "rows committed per second"
	tp.Legend.Top = true
	var lines []any
	for _, s := range r.setsOf(setMain) {
		for _, c := range s.copyShown {
			lines = append(lines, c.Name+", "+c.IDs, xys(c.Series))
		}
		for _, p := range s.pipelineShown {
			lines = append(lines, p.Name+", "+p.IDs, xys(p.Series))
		}
	}
	for _, p := range r.Memory {
		lines = append(lines, p.Name+", "+p.IDs, xys(p.Series))
	}
	if err := addLines(tp, lines); err != nil {
		return err
	}
	tp.Y.Min, tp.Y.Max = 0, tp.Y.Max*1.35 // room for the legend

	lp := plot.New()
	lp.Title.Text = "Latency: file landed to rows committed"
	lp.X.Label.Text = "milliseconds (log scale)"
	lp.Y.Label.Text = "share of files committed within"
	lp.Legend.Top, lp.Legend.Left = true, true
	var cdfs []any
	if r.Latency != nil {
		cdfs = append(cdfs, r.Latency.Name, cdf(r.Latency.latencies))
	}
	for _, s := range r.setsOf(setMain) {
		for _, p := range s.pipelineShown {
			cdfs = append(cdfs, p.Name+", "+p.IDs+" (all landed at once)", cdf(p.latencies))
		}
	}
	if len(cdfs) > 0 { // a log axis needs values
		lp.X.Scale, lp.X.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
	}
	if err := addLines(lp, cdfs); err != nil {
		return err
	}

	const width, height = 13 * vg.Inch, 5 * vg.Inch
	img := vgsvg.New(width, height)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: 12 * vg.Millimeter, PadTop: 4 * vg.Millimeter, PadBottom: 4 * vg.Millimeter,
		PadLeft: 4 * vg.Millimeter, PadRight: 6 * vg.Millimeter}
	canvases := plot.Align([][]*plot.Plot{{tp, lp}}, tiles, dc)
	tp.Draw(canvases[0][0])
	lp.Draw(canvases[0][1])
	return writeSVG(img, path)
}

// hasTimeChart says whether chart has anything to draw.
func (r *Report) hasTimeChart() bool {
	return len(r.setsOf(setMain)) > 0 || len(r.Memory) > 0 || r.Latency != nil
}

func writeSVG(img *vgsvg.Canvas, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := img.WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// counted labels an axis's ticks with thousands separators.
func counted(t plot.Ticker) plot.Ticker {
	return plot.TickerFunc(func(lo, hi float64) []plot.Tick {
		ticks := t.Ticks(lo, hi)
		for i := range ticks {
			if ticks[i].Label != "" {
				ticks[i].Label = count(int64(math.Round(ticks[i].Value)))
			}
		}
		return ticks
	})
}

// addLines adds name, points pairs as lines; plotutil picks the colours.
func addLines(p *plot.Plot, pairs []any) error {
	if len(pairs) == 0 {
		return nil
	}
	if err := plotutil.AddLines(p, pairs...); err != nil {
		return fmt.Errorf("plot lines: %w", err)
	}
	return nil
}

func xys(points []Point) plotter.XYs {
	out := make(plotter.XYs, len(points))
	for i, p := range points {
		out[i] = plotter.XY{X: p.T, Y: p.RowsPerSec}
	}
	return out
}

// cdf is the empirical distribution of ds, thinned to at most 500 points.
func cdf(ds []time.Duration) plotter.XYs {
	s := slices.Clone(ds)
	slices.Sort(s)
	step := max(1, len(s)/500)
	var out plotter.XYs
	for i := 0; i < len(s); i += step {
		out = append(out, plotter.XY{X: max(ms(s[i]), 0.1), Y: float64(i+1) / float64(len(s))})
	}
	if n := len(s); n > 0 && (n-1)%step != 0 {
		out = append(out, plotter.XY{X: max(ms(s[n-1]), 0.1), Y: 1})
	}
	return out
}
