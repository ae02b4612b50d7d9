package app

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/tributary-dev/tributary/services/watcher/internal/watcher"
	"github.com/tributary-dev/tributary/shared/datadir"
	"github.com/tributary-dev/tributary/shared/telemetry"
)

// metrics implements the watcher's, the publisher's and the contracts'
// observers. Files are counted by contract: the label's values are the
// declared contracts (a bounded set), and "" for files that match none.
type metrics struct {
	discovered               prometheus.Counter
	archived, rows, rejected *prometheus.CounterVec
	messages, bytes, retries prometheus.Counter
	publishSeconds           prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) *metrics {
	r := telemetry.NewMetrics(reg, "watcher")
	counter := r.Counter
	vec := func(name, help string, labels ...string) *prometheus.CounterVec {
		v := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: telemetry.Namespace, Subsystem: "watcher", Name: name, Help: help}, labels)
		reg.MustRegister(v)
		return v
	}
	m := &metrics{
		discovered: counter("files_discovered_total", "Files claimed from the input directory."),
		archived:   vec("files_archived_total", "Files published, acknowledged by the stream and archived, by contract.", "contract"),
		rejected: vec("files_rejected_total", "Files refused as a whole and moved to rejected, by contract (\"\" for a name no contract claims) and reason class.",
			"contract", "reason"),
		rows:     vec("rows_published_total", "Data rows in published files, by contract.", "contract"),
		messages: counter("messages_published_total", "Messages acknowledged by the stream: a file part, or a bundle of small files."),
		bytes:    counter("bytes_published_total", "Bytes of published message bodies: the files' rows as sent (decompressed; a Parquet file's as NDJSON)."),
		retries:  counter("publish_retries_total", "Failed publish attempts that were retried (NATS down, stream full)."),
		publishSeconds: r.Histogram("publish_duration_seconds", "Time to publish all parts of a file, or a bundle of small files, and get the acks.",
			prometheus.ExponentialBuckets(0.0005, 2, 16)),
	}
	m.rejected.WithLabelValues("", watcher.RejectNoContract)
	return m
}

// ContractsLoaded exports zeros for every contract in force, so that rate()
// sees a contract's first file. A contract dropped from the directory keeps
// its series: counters never go back.
func (m *metrics) ContractsLoaded(names []string) {
	for _, name := range names {
		m.archived.WithLabelValues(name)
		m.rows.WithLabelValues(name)
		for _, class := range watcher.RejectClasses {
			if class != watcher.RejectNoContract {
				m.rejected.WithLabelValues(name, class)
			}
		}
	}
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

func (m *metrics) FileDiscovered() { m.discovered.Inc() }
func (m *metrics) FileArchived(contract string, rows int) {
	m.archived.WithLabelValues(contract).Inc()
	m.rows.WithLabelValues(contract).Add(float64(rows))
}
func (m *metrics) FileRejected(contract, class string) {
	m.rejected.WithLabelValues(contract, class).Inc()
}
func (m *metrics) PublishRetried() { m.retries.Inc() }
func (m *metrics) Published(parts int, bytes int64, took time.Duration) {
	m.messages.Add(float64(parts))
	m.bytes.Add(float64(bytes))
	m.publishSeconds.Observe(took.Seconds())
}
