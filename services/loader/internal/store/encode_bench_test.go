package store

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/tributary-dev/tributary/db"
	"github.com/tributary-dev/tributary/shared/ingest"
	"github.com/tributary-dev/tributary/shared/schema"
	"github.com/tributary-dev/tributary/shared/schema/schematest"
	"github.com/tributary-dev/tributary/shared/testkit/pgtest"
)

// BenchmarkRowEncoding is the loader's own work per row, without
// PostgreSQL: reading a part's rows and encoding them for binary COPY, for
// a CSV body and for the same rows as NDJSON.
func BenchmarkRowEncoding(b *testing.B) {
	url := pgtest.NewDatabase(b)
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	if err := db.Migrate(ctx, pool, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		b.Fatal(err)
	}
	table := schematest.UserActivity(b, pool)
	const rows = 10_000
	var csvBody, jsonBody strings.Builder
	for i := range rows {
		id, at, kind := fmt.Sprintf("0193a1b2-c3d4-7e5f-8a9b-%012d", i), fmt.Sprintf("2026-11-26 05:00:00.%06d", i%1_000_000), []string{"view", "purchase"}[i%2]
		price := fmt.Sprintf("%d.%02d", i%999+1, i%100)
		fmt.Fprintf(&csvBody, "%s,%s,%s,%d,%s,%d,s-%x\n", id, at, kind, i%1000+1, price, i%5000+1, i*7919)
		fmt.Fprintf(&jsonBody, `{"event_id":"%s","event_time":"%s","event_type":"%s","product_id":%d,"price":%s,"user_id":%d,"session_id":"s-%x"}`+"\n",
			id, at, kind, i%1000+1, price, i%5000+1, i*7919)
	}
	for _, tt := range []struct {
		name   string
		format string
		body   string
	}{{"csv", "", csvBody.String()}, {"ndjson", ingest.FormatNDJSON, jsonBody.String()}} {
		b.Run(tt.name, func(b *testing.B) {
			msg := Message{ID: "m", Seq: 1, Part: &ingest.Part{FirstLine: 1, Format: tt.format}, Body: []byte(tt.body)}
			buf := make([]byte, 0, 1<<16)
			for b.Loop() {
				src := newRowSource([]Message{msg}, make([]rowFilter, 1), []*schema.Mapping{table.Exact()}, false)
				n := 0
				for {
					out, ok := src.appendNext(buf[:0])
					if !ok {
						break
					}
					buf = out
					n++
				}
				if n != rows || len(src.rejects) > 0 {
					b.Fatalf("%d rows, rejects %v", n, src.rejects)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
		})
	}
}
