package harness

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Counter is the value of a counter (summed over its labels) in reg, or -1
// when reg has no such metric.
func (e *Env) Counter(reg *prometheus.Registry, name string) float64 {
	e.T.Helper()
	families, err := reg.Gather()
	if err != nil {
		e.T.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		var sum float64
		for _, m := range f.GetMetric() {
			sum += m.GetCounter().GetValue()
		}
		return sum
	}
	return -1
}
