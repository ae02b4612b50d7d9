package report

import (
	"fmt"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// Chart draws revenue per period over the range into path; the extension
// (.png, .svg, .pdf) picks the format. Revenue becomes a float here, for
// drawing only.
func Chart(rep *Report, path string) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Revenue per %s, %s to %s UTC", rep.Range.Bucket, stamp(rep.Range.From), stamp(rep.Range.To))
	p.Title.Padding = vg.Points(8)
	p.Y.Label.Text = "revenue"
	p.X.Label.Text = "UTC"
	p.X.Tick.Marker = timeTicks{}
	p.Y.Min = 0
	step := Buckets[rep.Range.Bucket]
	pts := make(plotter.XYs, 0, len(rep.Periods)+1)
	for _, per := range rep.Periods {
		pts = append(pts, plotter.XY{X: float64(per.Start.Unix()), Y: float64(per.Revenue) / 100})
	}
	if n := len(rep.Periods); n > 0 { // close the last step at the end of its period
		pts = append(pts, plotter.XY{X: float64(rep.Periods[n-1].Start.Add(step).Unix()), Y: pts[n-1].Y})
	}
	line, err := plotter.NewLine(pts)
	if err != nil {
		return fmt.Errorf("chart: %w", err)
	}
	line.StepStyle = plotter.PostStep // a period's revenue covers [start, start+bucket)
	line.Width = vg.Points(1.5)
	p.Add(line, plotter.NewGrid())
	if err := p.Save(10*vg.Inch, 4*vg.Inch, path); err != nil {
		return fmt.Errorf("save chart: %w", err)
	}
	return nil
}

// timeTicks marks round UTC times (every 5 minutes, hour, 3 hours, day...)
// rather than round numbers of seconds.
type timeTicks struct{}

var tickSteps = []time.Duration{
	time.Minute, 5 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour,
	3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour, 7 * 24 * time.Hour,
}

func (timeTicks) Ticks(lo, hi float64) []plot.Tick {
	from, to := time.Unix(int64(lo), 0).UTC(), time.Unix(int64(hi), 0).UTC()
	step := tickSteps[len(tickSteps)-1]
	for _, s := range tickSteps {
		if to.Sub(from)/s <= 12 {
			step = s
			break
		}
	}
	layout := "15:04"
	if step >= 24*time.Hour || to.Sub(from) > 24*time.Hour {
		layout = "01-02 15:04"
	}
	var ticks []plot.Tick
	for t := from.Truncate(step); !t.After(to); t = t.Add(step) {
		if !t.Before(from) {
			ticks = append(ticks, plot.Tick{Value: float64(t.Unix()), Label: t.Format(layout)})
		}
	}
	return ticks
}
