package app

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/tributary-dev/tributary/services/loader/internal/partition"
	"github.com/tributary-dev/tributary/shared/ingest"
	"github.com/tributary-dev/tributary/shared/telemetry"
)

// metrics implements loader.Observer.
type metrics struct {
	batches, applied, skipped              prometheus.Counter
	loaded, rejected                       *prometheus.CounterVec
	redelivered, retries, deadLetters      prometheus.Counter
	batchMessages, batchRows, batchSeconds prometheus.Histogram
	landedToCommitted                      prometheus.Histogram
	contractLoading                        *prometheus.GaugeVec
	partitions                             *partitionMetrics
}

// partitionMetrics implements partition.Observer.
type partitionMetrics struct {
	partitions, defaultRows, lastPass          prometheus.Gauge
	created, dropped, moved, maintenanceFailed prometheus.Counter
}

func (m *partitionMetrics) Maintained(r partition.Result) {
	m.partitions.Set(float64(r.Partitions))
	m.defaultRows.Set(float64(r.DefaultRows))
	m.created.Add(float64(len(r.Created)))
	m.dropped.Add(float64(len(r.Dropped)))
	m.moved.Add(float64(r.Moved))
	m.lastPass.SetToCurrentTime()
}

func (m *partitionMetrics) MaintenanceFailed() { m.maintenanceFailed.Inc() }

func newMetrics(reg prometheus.Registerer) *metrics {
	r := telemetry.NewMetrics(reg, "loader")
	counter, histogram := r.Counter, r.Histogram
	return &metrics{
		batches:           counter("batches_committed_total", "Transactions committed."),
		applied:           counter("messages_applied_total", "Messages (file parts and rejection notices) applied."),
		skipped:           counter("messages_skipped_total", "Messages acknowledged without writing: the ledger had them (redelivery, re-publish)."),
		loaded:            r.CounterVec("rows_loaded_total", "Rows inserted into the contract's table.", "contract"),
		rejected:          r.CounterVec("rows_rejected_total", "Rows of the contract written to ingest_rejects (user_activity_rejects for user_activity).", "contract"),
		redelivered:       counter("redeliveries_total", "Messages received more than once."),
		retries:           counter("retries_total", "Batch attempts that failed on PostgreSQL or NATS and were retried."),
		deadLetters:       counter("dead_letters_total", "Messages moved to the dead-letter stream."),
		batchMessages:     histogram("batch_messages", "Messages per committed batch.", prometheus.ExponentialBuckets(1, 2, 10)),
		batchRows:         histogram("batch_rows", "Rows loaded per committed batch.", prometheus.ExponentialBuckets(10, 4, 10)),
		batchSeconds:      histogram("batch_duration_seconds", "Time to apply and commit a batch.", prometheus.ExponentialBuckets(0.001, 2, 16)),
		landedToCommitted: histogram("landed_to_committed_seconds", "From a file's landing in input to its rows being committed.", prometheus.ExponentialBuckets(0.001, 2, 18)),
		contractLoading:   r.GaugeVec("contract_loading", "1 while a contract's loader runs, 0 while the contract is refused (see the log for why).", "contract"),
		partitions: &partitionMetrics{
			partitions:        r.Gauge("partitions", "Partitions of user_activity, the default one included, at the last maintenance pass."),
			defaultRows:       r.Gauge("partition_default_rows", "Rows in user_activity's default partition (PostgreSQL's estimate): events of days without a partition."),
			lastPass:          r.Gauge("partition_maintenance_last_success_timestamp_seconds", "When a partition maintenance pass last succeeded."),
			created:           counter("partitions_created_total", "Day partitions of user_activity created ahead of their events."),
			dropped:           counter("partitions_dropped_total", "Day partitions of user_activity dropped by USER_ACTIVITY_RETENTION."),
			moved:             counter("partition_rows_moved_total", "Rows moved from the default partition into their day's new partition."),
			maintenanceFailed: counter("partition_maintenance_failures_total", "Partition maintenance passes that failed (retried a minute later)."),
		},
	}
}

func (m *metrics) ContractState(name string, loading bool) {
	v := 0.0
	if loading {
		v = 1
	}
	m.contractLoading.WithLabelValues(name).Set(v)
	m.loaded.WithLabelValues(name) // exported from the start: a rate needs its zero
	m.rejected.WithLabelValues(name)
}

// forContract returns the loader.Observer of one contract's loader: the
// row counters carry its name, the rest is shared.
func (m *metrics) forContract(name string) *contractMetrics {
	return &contractMetrics{metrics: m, loaded: m.loaded.WithLabelValues(name), rejected: m.rejected.WithLabelValues(name)}
}

// contractMetrics implements loader.Observer for one contract.
type contractMetrics struct {
	*metrics
	loaded, rejected prometheus.Counter
}

func (m *contractMetrics) BatchCommitted(messages, loaded, rejected, skipped int, took time.Duration) {
	m.batches.Inc()
	m.applied.Add(float64(messages - skipped))
	m.skipped.Add(float64(skipped))
	m.loaded.Add(float64(loaded))
	m.rejected.Add(float64(rejected))
	m.batchMessages.Observe(float64(messages))
	m.batchRows.Observe(float64(loaded))
	m.batchSeconds.Observe(took.Seconds())
}
func (m *contractMetrics) Landed(latency time.Duration) {
	m.landedToCommitted.Observe(latency.Seconds())
}
func (m *contractMetrics) Redelivered()  { m.redelivered.Inc() }
func (m *contractMetrics) Retried()      { m.retries.Inc() }
func (m *contractMetrics) DeadLettered() { m.deadLetters.Inc() }

// registerJetStreamGauges reads the consumer's and the dead-letter
// stream's state from JetStream at scrape time, one request each: pending
// is the backlog not yet delivered, ack pending what loaders hold, the ack
// floor the stream sequence below which everything is done. While
// JetStream does not answer the series are absent from the scrape (not a
// misleading zero); the nats readiness check says why.
func registerJetStreamGauges(reg prometheus.Registerer, js jetstream.JetStream, s ingest.Settings) {
	labels := prometheus.Labels{"stream": s.Stream, "consumer": s.Consumer}
	desc := func(name, help string, constLabels prometheus.Labels) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(telemetry.Namespace, "loader", name), help, nil, constLabels)
	}
	reg.MustRegister(&jetStreamCollector{
		js: js, settings: s,
		pending:     desc("consumer_pending_messages", "Messages in the stream not yet delivered to a loader.", labels),
		ackPending:  desc("consumer_ack_pending_messages", "Messages delivered and not yet acknowledged.", labels),
		redelivered: desc("consumer_redelivered_messages", "Messages delivered more than once and not yet acknowledged.", labels),
		ackFloor:    desc("consumer_ack_floor_stream_seq", "Stream sequence up to which every message is acknowledged.", labels),
		deadLetters: desc("dead_letter_stream_messages", "Messages held in the dead-letter stream.", prometheus.Labels{"stream": s.DeadLetterStream()}),
	})
}

type jetStreamCollector struct {
	js                                                      jetstream.JetStream
	settings                                                ingest.Settings
	pending, ackPending, redelivered, ackFloor, deadLetters *prometheus.Desc
}

func (c *jetStreamCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.pending, c.ackPending, c.redelivered, c.ackFloor, c.deadLetters} {
		ch <- d
	}
}

func (c *jetStreamCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	gauge := func(d *prometheus.Desc, v float64) { ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v) }
	if cons, err := c.js.Consumer(ctx, c.settings.Stream, c.settings.Consumer); err == nil {
		if i, err := cons.Info(ctx); err == nil {
			gauge(c.pending, float64(i.NumPending))
			gauge(c.ackPending, float64(i.NumAckPending))
			gauge(c.redelivered, float64(i.NumRedelivered))
			gauge(c.ackFloor, float64(i.AckFloor.Stream))
		}
	}
	if st, err := c.js.Stream(ctx, c.settings.DeadLetterStream()); err == nil {
		gauge(c.deadLetters, float64(st.CachedInfo().State.Msgs))
	}
}

// registerPoolGauges exposes the connection pool's state.
func registerPoolGauges(reg prometheus.Registerer, pool *pgxpool.Pool) {
	gauge := func(name, help string, f func(*pgxpool.Stat) float64) {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: telemetry.Namespace, Subsystem: "loader", Name: name, Help: help,
		}, func() float64 { return f(pool.Stat()) }))
	}
	gauge("pool_connections_max", "Pool size limit.", func(s *pgxpool.Stat) float64 { return float64(s.MaxConns()) })
	gauge("pool_connections_total", "Connections open.", func(s *pgxpool.Stat) float64 { return float64(s.TotalConns()) })
	gauge("pool_connections_acquired", "Connections in use.", func(s *pgxpool.Stat) float64 { return float64(s.AcquiredConns()) })
	counter := func(name, help string, f func(*pgxpool.Stat) float64) {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Namespace: telemetry.Namespace, Subsystem: "loader", Name: name, Help: help,
		}, func() float64 { return f(pool.Stat()) }))
	}
	counter("pool_acquire_wait_seconds_total", "Time spent waiting for a connection.", func(s *pgxpool.Stat) float64 { return s.AcquireDuration().Seconds() })
	counter("pool_acquires_total", "Connections acquired.", func(s *pgxpool.Stat) float64 { return float64(s.AcquireCount()) })
	counter("pool_empty_acquires_total", "Acquires that had to wait for a connection (none idle).", func(s *pgxpool.Stat) float64 { return float64(s.EmptyAcquireCount()) })
}
