package app

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/tributary-dev/tributary/shared/telemetry"
)

// metrics implements loader.Observer.
type metrics struct {
	batches, applied, skipped, loaded, rejected prometheus.Counter
	redelivered, retries, deadLetters           prometheus.Counter
	batchMessages, batchRows, batchSeconds      prometheus.Histogram
	landedToCommitted                           prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) *metrics {
	counter := func(name, help string) prometheus.Counter {
		c := prometheus.NewCounter(prometheus.CounterOpts{Namespace: telemetry.Namespace, Subsystem: "loader", Name: name, Help: help})
		reg.MustRegister(c)
		return c
	}
	histogram := func(name, help string, buckets []float64) prometheus.Histogram {
		h := prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: telemetry.Namespace, Subsystem: "loader", Name: name, Help: help, Buckets: buckets})
		reg.MustRegister(h)
		return h
	}
	return &metrics{
		batches:           counter("batches_committed_total", "Transactions committed."),
		applied:           counter("messages_applied_total", "Messages (file parts and rejection notices) applied."),
		skipped:           counter("messages_skipped_total", "Messages acknowledged without writing: the ledger had them (redelivery, re-publish)."),
		loaded:            counter("rows_loaded_total", "Rows inserted into user_activity."),
		rejected:          counter("rows_rejected_total", "Rows written to user_activity_rejects."),
		redelivered:       counter("redeliveries_total", "Messages received more than once."),
		retries:           counter("retries_total", "Batch attempts that failed on PostgreSQL or NATS and were retried."),
		deadLetters:       counter("dead_letters_total", "Messages moved to the dead-letter stream."),
		batchMessages:     histogram("batch_messages", "Messages per committed batch.", prometheus.ExponentialBuckets(1, 2, 10)),
		batchRows:         histogram("batch_rows", "Rows loaded per committed batch.", prometheus.ExponentialBuckets(10, 4, 10)),
		batchSeconds:      histogram("batch_duration_seconds", "Time to apply and commit a batch.", prometheus.ExponentialBuckets(0.001, 2, 16)),
		landedToCommitted: histogram("landed_to_committed_seconds", "From a file's landing in input to its rows being committed.", prometheus.ExponentialBuckets(0.001, 2, 18)),
	}
}

func (m *metrics) BatchCommitted(messages, loaded, rejected, skipped int, took time.Duration) {
	m.batches.Inc()
	m.applied.Add(float64(messages - skipped))
	m.skipped.Add(float64(skipped))
	m.loaded.Add(float64(loaded))
	m.rejected.Add(float64(rejected))
	m.batchMessages.Observe(float64(messages))
	m.batchRows.Observe(float64(loaded))
	m.batchSeconds.Observe(took.Seconds())
}
func (m *metrics) Landed(latency time.Duration) { m.landedToCommitted.Observe(latency.Seconds()) }
func (m *metrics) Redelivered()                 { m.redelivered.Inc() }
func (m *metrics) Retried()                     { m.retries.Inc() }
func (m *metrics) DeadLettered()                { m.deadLetters.Inc() }

// registerConsumerGauges reads the consumer's state from JetStream at scrape
// time: pending is the backlog not yet delivered, ack pending what loaders
// hold, the ack floor the last sequence below which everything is done.
func registerConsumerGauges(reg prometheus.Registerer, js jetstream.JetStream, stream, consumer string) {
	info := func() *jetstream.ConsumerInfo {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		c, err := js.Consumer(ctx, stream, consumer)
		if err != nil {
			return nil
		}
		i, err := c.Info(ctx)
		if err != nil {
			return nil
		}
		return i
	}
	gauge := func(name, help string, f func(*jetstream.ConsumerInfo) float64) {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: telemetry.Namespace, Subsystem: "loader", Name: name, Help: help,
			ConstLabels: prometheus.Labels{"stream": stream, "consumer": consumer},
		}, func() float64 {
			if i := info(); i != nil {
				return f(i)
			}
			return -1
		}))
	}
	gauge("consumer_pending_messages", "Messages in the stream not yet delivered to a loader (-1: unknown).", func(i *jetstream.ConsumerInfo) float64 { return float64(i.NumPending) })
	gauge("consumer_ack_pending_messages", "Messages delivered and not yet acknowledged (-1: unknown).", func(i *jetstream.ConsumerInfo) float64 { return float64(i.NumAckPending) })
	gauge("consumer_ack_floor_stream_seq", "Stream sequence below which every message is acknowledged (-1: unknown).", func(i *jetstream.ConsumerInfo) float64 { return float64(i.AckFloor.Stream) })
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
	gauge("pool_acquire_wait_seconds_total", "Time spent waiting for a connection.", func(s *pgxpool.Stat) float64 { return s.AcquireDuration().Seconds() })
	gauge("pool_acquires_total", "Connections acquired.", func(s *pgxpool.Stat) float64 { return float64(s.AcquireCount()) })
}
