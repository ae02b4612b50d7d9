package telemetry

import "github.com/prometheus/client_golang/prometheus"

// Metrics registers a service's metrics under the product prefix and the
// service's subsystem: tributary_<subsystem>_<name>.
type Metrics struct {
	reg       prometheus.Registerer
	subsystem string
}

// NewMetrics returns a Metrics for one subsystem (the service's name).
func NewMetrics(reg prometheus.Registerer, subsystem string) Metrics {
	return Metrics{reg: reg, subsystem: subsystem}
}

// Counter registers a counter.
func (m Metrics) Counter(name, help string) prometheus.Counter {
	c := prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Subsystem: m.subsystem, Name: name, Help: help})
	m.reg.MustRegister(c)
	return c
}

// Histogram registers a histogram.
func (m Metrics) Histogram(name, help string, buckets []float64) prometheus.Histogram {
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: Namespace, Subsystem: m.subsystem, Name: name, Help: help, Buckets: buckets})
	m.reg.MustRegister(h)
	return h
}

// Gauge registers a gauge.
func (m Metrics) Gauge(name, help string) prometheus.Gauge {
	g := prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Subsystem: m.subsystem, Name: name, Help: help})
	m.reg.MustRegister(g)
	return g
}

// GaugeVec registers a gauge with labels.
func (m Metrics) GaugeVec(name, help string, labels ...string) *prometheus.GaugeVec {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: Namespace, Subsystem: m.subsystem, Name: name, Help: help}, labels)
	m.reg.MustRegister(g)
	return g
}

// CounterVec registers a counter with labels.
func (m Metrics) CounterVec(name, help string, labels ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Subsystem: m.subsystem, Name: name, Help: help}, labels)
	m.reg.MustRegister(c)
	return c
}
