package split

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/tributary-dev/tributary/services/watcher/internal/contracttest"
)

// BenchmarkInspectLargeFile inspects a 10,000-row file (about 1 MB): the
// watcher reads every byte of every file once.
func BenchmarkInspectLargeFile(b *testing.B) { benchmarkInspect(b, 10_000) }

// BenchmarkInspectSmallFile inspects a 100-row file, the generator's
// default: with many small files the watcher's cost per file matters.
func BenchmarkInspectSmallFile(b *testing.B) { benchmarkInspect(b, 100) }

func benchmarkInspect(b *testing.B, rows int) {
	d := contracttest.UserActivity()
	var sb strings.Builder
	sb.WriteString(d.HeaderLine() + "\n")
	for i := range rows {
		fmt.Fprintf(&sb, "0193a1b2-c3d4-7e5f-8a9b-%012d,2026-11-26 05:00:00.%06d,view,%d,1.%02d,%d,s-%x\n", i, i, i+1, i, i+1, i*7919)
	}
	file := []byte(sb.String())
	b.SetBytes(int64(len(file)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Inspect(bytes.NewReader(file), int64(len(file)), 1<<20, d); err != nil {
			b.Fatal(err)
		}
	}
}

type benchEvent struct {
	EventID   string  `parquet:"event_id"`
	EventTime int64   `parquet:"event_time,timestamp(microsecond:local)"`
	EventType string  `parquet:"event_type"`
	ProductID int32   `parquet:"product_id"`
	Price     int64   `parquet:"price,decimal(2:10)"`
	UserID    int32   `parquet:"user_id"`
	SessionID *string `parquet:"session_id,optional"`
}

// BenchmarkInspectParquet reads a 100,000-row Parquet file once, as the
// watcher's first pass does: every row decoded and written as NDJSON.
func BenchmarkInspectParquet(b *testing.B) {
	rows := make([]benchEvent, 100_000)
	for i := range rows {
		s := fmt.Sprintf("s-%x", i*7919)
		rows[i] = benchEvent{EventID: fmt.Sprintf("0193a1b2-c3d4-7e5f-8a9b-%012d", i), EventTime: 1795687200_000000 + int64(i), EventType: "view",
			ProductID: int32(i), Price: int64(i), UserID: int32(i), SessionID: &s}
	}
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[benchEvent](&buf, parquet.Compression(&parquet.Snappy))
	if _, err := w.Write(rows); err != nil {
		b.Fatal(err)
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	file, d := buf.Bytes(), contracttest.UserActivity()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := InspectParquet(bytes.NewReader(file), int64(len(file)), 1<<30, 1<<20, d); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(rows)), "ns/row")
}
