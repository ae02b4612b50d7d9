package scale

import (
	"context"
	"crypto/rand"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/tributary-dev/tributary/shared/secrets"
	"github.com/tributary-dev/tributary/shared/testkit/natstest"
	"github.com/tributary-dev/tributary/tests/harness"
)

// Publish cost of the stream on one node (R1) and on the 3-node cluster
// (R3), both from the shipped configurations (sync_interval always), all
// nodes on this one machine: figures for docs/scaling.md, not a test.
//
//	go test ./tests/scale -run '^$' -bench Publish -benchtime 200x
func BenchmarkPublish(b *testing.B) {
	for _, size := range []int{1 << 10, 512 << 10} {
		for _, replicas := range []int{1, 3} {
			for _, sync := range []bool{true, false} {
				b.Run(fmt.Sprintf("R%d/%dKiB/sync=%v", replicas, size>>10, sync), func(b *testing.B) {
					benchmarkPublish(b, replicas, size, sync)
				})
			}
		}
	}
}

func benchmarkPublish(b *testing.B, replicas, size int, sync bool) {
	creds := harness.Credentials(b)
	var servers []*server.Server
	if replicas == 1 {
		opts := harness.ShippedNATSOptions(b, "deployments/nats/nats.conf", creds)
		opts.SyncAlways = sync
		servers = []*server.Server{natstest.Start(b, opts)}
	} else {
		servers = harness.StartCluster(b, creds, func(o *server.Options) { o.SyncAlways = sync })
	}
	js := watcherJetStream(b, creds, servers)
	ctx := context.Background()
	if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: "INGEST", Subjects: []string{"ingest.>"}, Retention: jetstream.WorkQueuePolicy,
		Discard: jetstream.DiscardNew, MaxBytes: 8 << 30, Replicas: replicas, Storage: jetstream.FileStorage,
	}); err != nil {
		b.Fatal(err)
	}
	body := make([]byte, size)
	_, _ = rand.Read(body)
	b.SetBytes(int64(size))
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		msg := &nats.Msg{Subject: "ingest.data", Data: body, Header: nats.Header{nats.MsgIdHdr: []string{fmt.Sprint(i)}}}
		if _, err := js.PublishMsg(ctx, msg); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

func watcherJetStream(b *testing.B, creds *secrets.Set, servers []*server.Server) jetstream.JetStream {
	auth, err := nats.NkeyOptionFromSeed(creds.NATS[secrets.Watcher].SeedFile)
	if err != nil {
		b.Fatal(err)
	}
	nc, err := nats.Connect(harness.ClientURLs(servers...), auth, nats.CustomInboxPrefix("_INBOX.watcher"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(nc.Close)
	js, err := jetstream.New(nc, jetstream.WithDefaultTimeout(30*time.Second))
	if err != nil {
		b.Fatal(err)
	}
	return js
}

// Load rate of 1 and 2 loaders (2 workers each) sharing the consumer, from
// a stream already holding every file: rows per second into PostgreSQL.
//
//	go test ./tests/scale -run '^$' -bench Loaders -benchtime 1x
func BenchmarkLoaders(b *testing.B) {
	const files, rows = 40, 5000
	for _, loaders := range []int{1, 2} {
		b.Run(fmt.Sprintf("loaders=%d", loaders), func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				env := harness.New(b)
				env.Watcher(nil)
				env.Generate(files, rows, nil)
				env.Eventually(time.Minute, "every file in the stream", func() bool { return len(env.Files("archive")) == files })
				b.StartTimer()
				start := time.Now()
				for range loaders {
					env.Loader(nil)
				}
				env.Eventually(5*time.Minute, "every row loaded", func() bool { return env.Rows() == files*rows })
				took := time.Since(start)
				b.ReportMetric(float64(files*rows)/took.Seconds(), "rows/s")
			}
		})
	}
}
