// Package natsexporter exports a NATS server's monitoring endpoints (/varz,
// /jsz) as Prometheus metrics under the names and labels of
// github.com/nats-io/prometheus-nats-exporter (its -varz and -jsz=streams
// collectors), for the metrics this project's rules and dashboard read.
//
// Why a stand-in: compose runs the real exporter's image, but the Go module
// proxy this project builds from refuses that module, so `task up` and the
// end-to-end alert test could not run it. Keeping the real names means the
// same rules and panels work against either; tests/deploy checks every
// jetstream_/gnatsd_ name they use against this collector.
package natsexporter

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/prometheus/client_golang/prometheus"
)

// Labels of the real exporter's jsz collector, in its order.
var (
	serverLabels = []string{"server_id", "server_name", "cluster", "domain", "meta_leader", "is_meta_leader"}
	streamLabels = append(append([]string{}, serverLabels...), "account", "account_id", "stream_name", "stream_leader", "is_stream_leader")
)

func desc(name, help string, labels []string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, labels, nil)
}

var (
	jsDisabled    = desc("jetstream_server_jetstream_disabled", "JetStream disabled or not", serverLabels)
	jsStreams     = desc("jetstream_server_total_streams", "Total number of streams in JetStream", serverLabels)
	jsConsumers   = desc("jetstream_server_total_consumers", "Total number of consumers in JetStream", serverLabels)
	jsMessages    = desc("jetstream_server_total_messages", "Total number of stored messages in JetStream", serverLabels)
	jsBytes       = desc("jetstream_server_total_message_bytes", "Total number of bytes stored in JetStream", serverLabels)
	jsMaxMemory   = desc("jetstream_server_max_memory", "JetStream Max Memory", serverLabels)
	jsMaxStorage  = desc("jetstream_server_max_storage", "JetStream Max Storage", serverLabels)
	stMessages    = desc("jetstream_stream_total_messages", "Total number of messages from a stream", streamLabels)
	stBytes       = desc("jetstream_stream_total_bytes", "Total stored bytes from a stream", streamLabels)
	stFirstSeq    = desc("jetstream_stream_first_seq", "First sequence from a stream", streamLabels)
	stLastSeq     = desc("jetstream_stream_last_seq", "Last sequence from a stream", streamLabels)
	stConsumers   = desc("jetstream_stream_consumer_count", "Total number of consumers from a stream", streamLabels)
	varzGauges    = map[string]*prometheus.Desc{}
	varzCounters  = map[string]*prometheus.Desc{}
	varzGaugeKeys = []string{"connections", "mem", "cpu", "subscriptions"}
	// The real exporter types these /varz fields as counters.
	varzCounterKeys = []string{"in_msgs", "out_msgs", "in_bytes", "out_bytes", "slow_consumers"}
)

func init() {
	for _, k := range varzGaugeKeys {
		varzGauges[k] = desc("gnatsd_varz_"+k, k, []string{"server_id"})
	}
	for _, k := range varzCounterKeys {
		varzCounters[k] = desc("gnatsd_varz_"+k, k, []string{"server_id"})
	}
}

// Collector reads one server's monitoring port at every scrape.
type Collector struct {
	url    string // e.g. http://127.0.0.1:8322
	id     string // the server_id label: the real exporter's default is the URL
	client *http.Client
	log    *slog.Logger
}

var _ prometheus.Collector = (*Collector)(nil)

// New returns a collector for the monitoring endpoint at url.
func New(url string, log *slog.Logger) *Collector {
	url = strings.TrimRight(url, "/")
	return &Collector{url: url, id: url, client: &http.Client{Timeout: 5 * time.Second}, log: log}
}

// Describe sends nothing: the collector is unchecked, since what it
// exports depends on the streams the server has.
func (c *Collector) Describe(chan<- *prometheus.Desc) {}

// Collect exports what the server answers; like the real exporter, a
// server that does not answer exports nothing (the alert on a missing
// series, not a misleading zero).
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var varz map[string]any
	if err := c.get(ctx, "/varz", &varz); err != nil {
		c.log.Warn("nats monitoring unreachable", "err", err)
		return
	}
	for k, d := range varzGauges {
		if v, ok := varz[k].(float64); ok {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, c.id)
		}
	}
	for k, d := range varzCounters {
		if v, ok := varz[k].(float64); ok {
			ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, c.id)
		}
	}
	var js server.JSInfo
	if err := c.get(ctx, "/jsz?streams=true", &js); err != nil {
		c.log.Warn("nats jsz unreachable", "err", err)
		return
	}
	name, _ := varz["server_name"].(string)
	c.collectJS(ch, &js, name)
}

func (c *Collector) collectJS(ch chan<- prometheus.Metric, js *server.JSInfo, serverName string) {
	cluster, metaLeader, isMetaLeader := "", "", "true"
	if js.Meta != nil {
		cluster, metaLeader = js.Meta.Name, js.Meta.Leader
		isMetaLeader = fmt.Sprint(js.Meta.Leader == serverName)
	}
	srv := []string{c.id, serverName, cluster, js.Config.Domain, metaLeader, isMetaLeader}
	gauge := func(d *prometheus.Desc, v float64, labels []string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	disabled := 0.0
	if js.Disabled {
		disabled = 1
	}
	gauge(jsDisabled, disabled, srv)
	gauge(jsMaxMemory, float64(js.Config.MaxMemory), srv)
	gauge(jsMaxStorage, float64(js.Config.MaxStore), srv)
	gauge(jsStreams, float64(js.Streams), srv)
	gauge(jsConsumers, float64(js.Consumers), srv)
	gauge(jsMessages, float64(js.Messages), srv)
	gauge(jsBytes, float64(js.Bytes), srv)
	for _, acc := range js.AccountDetails {
		for _, st := range acc.Streams {
			leader, isLeader := "", "true"
			if st.Cluster != nil {
				leader = st.Cluster.Leader
				isLeader = fmt.Sprint(leader == serverName)
			}
			labels := append(append([]string{}, srv...), acc.Name, acc.Id, st.Name, leader, isLeader)
			gauge(stMessages, float64(st.State.Msgs), labels)
			gauge(stBytes, float64(st.State.Bytes), labels)
			gauge(stFirstSeq, float64(st.State.FirstSeq), labels)
			gauge(stLastSeq, float64(st.State.LastSeq), labels)
			gauge(stConsumers, float64(st.State.Consumers), labels)
		}
	}
}

func (c *Collector) get(ctx context.Context, path string, into any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url+path, nil)
	if err != nil {
		return fmt.Errorf("request %s: %w", path, err)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return fmt.Errorf("get %s: %w", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("get %s: %s", path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
		return fmt.Errorf("decode %s: %w", path, err)
	}
	return nil
}
