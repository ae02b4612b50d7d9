package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/services/loader/internal/store"
	"github.com/tributary-dev/tributary/shared/ingest"
)

// BenchmarkApplySmallFiles is the loader's transaction for a batch of 500
// small files (10 rows each, as a bundle brings them), against the real
// PostgreSQL: what each file costs beyond its rows (the ledger row, the
// file record), in µs of wall time per file on an otherwise idle server.
func BenchmarkApplySmallFiles(b *testing.B) {
	const files, perFile = 500, 10
	st, _ := newStoreB(b)
	ctx := context.Background()
	n := 0
	batch := func() []store.Message {
		out := make([]store.Message, files)
		for i := range out {
			var body strings.Builder
			for r := range perFile {
				fmt.Fprintf(&body, "b%d-%d,2026-12-07 10:%02d:%02d.%06d,view,%d,1.25,7,s\n", n, r, n/60%60, n%60, i, i)
			}
			sum := sha256.Sum256([]byte(body.String()))
			size := int64(body.Len())
			p := &ingest.Part{FileID: hex.EncodeToString(sum[:]), FileName: fmt.Sprintf("f-%d.csv", n), Index: 1, Count: 1,
				FirstLine: 2, Rows: perFile, Size: size, LandedAt: time.Now(), From: 0, To: size, Offset: 0}
			out[i] = store.Message{ID: p.MsgID(), Seq: uint64(n + 1), Source: ingest.SourceSeq(uint64(n/files+1), i+1), Part: p, Body: []byte(body.String())}
			n++
		}
		return out
	}
	for b.Loop() {
		b.StopTimer()
		msgs := batch()
		b.StartTimer()
		if _, err := st.Apply(ctx, msgs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*files), "µs/file")
}
