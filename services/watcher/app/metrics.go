package app

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/tributary-dev/tributary/services/watcher/internal/watcher"
	"github.com/tributary-dev/tributary/shared/datadir"
	"github.com/tributary-dev/tributary/shared/telemetry"
)

// metrics implements the watcher's and the publisher's observers.
type metrics struct {
	discovered, archived           prometheus.Counter
	rejected                       *prometheus.CounterVec
	rows, messages, bytes, retries prometheus.Counter
	publishSeconds                 prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) *metrics {
	r := telemetry.NewMetrics(reg, "watcher")
	counter := r.Counter
	m := &metrics{
		discovered: counter("files_discovered_total", "Files claimed from the input directory."),
		archived:   counter("files_archived_total", "Files published, acknowledged by the stream and archived."),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: telemetry.Namespace, Subsystem: "watcher", Name: "files_rejected_total",
			Help: "Files refused as a whole and moved to rejected, by reason class.",
		}, []string{"reason"}),
		rows:     counter("rows_published_total", "Data rows in published files."),
		messages: counter("messages_published_total", "Messages (file parts) acknowledged by the stream."),
		bytes:    counter("bytes_published_total", "Bytes of published files."),
		retries:  counter("publish_retries_total", "Failed publish attempts that were retried (NATS down, stream full)."),
		publishSeconds: r.Histogram("publish_duration_seconds", "Time to publish all parts of a file and get their acks.",
			prometheus.ExponentialBuckets(0.0005, 2, 16)),
	}
	reg.MustRegister(m.rejected)
	for _, class := range watcher.RejectClasses {
		m.rejected.WithLabelValues(class) // export zeros, so rate() sees the first rejection
	}
	return m
}

// registerBacklogGauges counts the files waiting in the data directory at
// scrape time (directory entries only). They disappear from a scrape while
// the directory cannot be read, rather than read as zero.
func registerBacklogGauges(reg prometheus.Registerer, dirs datadir.Config) {
	reg.MustRegister(backlogCollector{
		dirs:    dirs,
		input:   prometheus.NewDesc(prometheus.BuildFQName(telemetry.Namespace, "watcher", "input_files"), "Files landed in input and not yet claimed.", nil, nil),
		claimed: prometheus.NewDesc(prometheus.BuildFQName(telemetry.Namespace, "watcher", "claimed_files"), "Files claimed by a watcher (any watcher sharing the directory) and not yet archived or rejected.", nil, nil),
	})
}

type backlogCollector struct {
	dirs           datadir.Config
	input, claimed *prometheus.Desc
}

func (c backlogCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.input; ch <- c.claimed }

func (c backlogCollector) Collect(ch chan<- prometheus.Metric) {
	b, err := c.dirs.CountBacklog()
	if err != nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(c.input, prometheus.GaugeValue, float64(b.Input))
	ch <- prometheus.MustNewConstMetric(c.claimed, prometheus.GaugeValue, float64(b.Claimed))
}

func (m *metrics) FileDiscovered()           { m.discovered.Inc() }
func (m *metrics) FileArchived(rows int)     { m.archived.Inc(); m.rows.Add(float64(rows)) }
func (m *metrics) FileRejected(class string) { m.rejected.WithLabelValues(class).Inc() }
func (m *metrics) PublishRetried()           { m.retries.Inc() }
func (m *metrics) Published(parts int, bytes int64, took time.Duration) {
	m.messages.Add(float64(parts))
	m.bytes.Add(float64(bytes))
	m.publishSeconds.Observe(took.Seconds())
}
