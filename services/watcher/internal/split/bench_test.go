package split

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

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
