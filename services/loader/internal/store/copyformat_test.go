package store

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/tributary-dev/tributary/db"
	"github.com/tributary-dev/tributary/shared/ingest"
	"github.com/tributary-dev/tributary/shared/schema"
	"github.com/tributary-dev/tributary/shared/schema/schematest"
	"github.com/tributary-dev/tributary/shared/testkit/pgtest"
)

// BenchmarkCopyFormat loads rows into user_activity as the loader does:
// parsed by the contract's codecs, streamed as binary COPY. It reports
// the backend's CPU per row (from /proc, PostgreSQL being on this
// machine): on a machine where PostgreSQL is the bottleneck that is the
// figure to cut. (Binary won over letting PostgreSQL parse CSV text,
// measured by this benchmark before contracts.)
func BenchmarkCopyFormat(b *testing.B) {
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
	const rows = 50_000
	var body strings.Builder
	for i := range rows {
		fmt.Fprintf(&body, "0193a1b2-c3d4-7e5f-8a9b-%012d,2026-11-26 05:00:00.%06d,%s,%d,%d.%02d,%d,s-%x\n",
			i, i%1_000_000, []string{"view", "purchase"}[i%2], i%1000+1, i%999+1, i%100, i%5000+1, i*7919)
	}
	msg := Message{ID: "m", Seq: 1, Part: &ingest.Part{FirstLine: 2}, Body: []byte(body.String())}
	table := schematest.UserActivity(b, pool)
	conn, err := pool.Acquire(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Release()
	pid := int(conn.Conn().PgConn().PID())
	var cpu float64
	for b.Loop() {
		if _, err := conn.Exec(ctx, "TRUNCATE user_activity"); err != nil {
			b.Fatal(err)
		}
		before := backendCPU(pid)
		src := newRowSource([]Message{msg}, make([]rowFilter, 1), []*schema.Mapping{table.Exact()}, false)
		tag, err := conn.Conn().PgConn().CopyFrom(ctx, newBinaryCopy(src), copyStatement(table.QualifiedName(), src.columns()))
		if err != nil || tag.RowsAffected() != rows {
			b.Fatalf("copy: %v (%d rows)", err, tag.RowsAffected())
		}
		cpu += backendCPU(pid) - before
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
	b.ReportMetric(cpu*1e6/float64(b.N*rows), "pg-cpu-µs/row")
}

// backendCPU reads a PostgreSQL backend's user+system CPU seconds.
func backendCPU(pid int) float64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	u, _ := strconv.ParseFloat(f[11], 64)
	k, _ := strconv.ParseFloat(f[12], 64)
	return (u + k) / 100
}
