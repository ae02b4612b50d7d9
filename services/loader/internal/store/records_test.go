package store

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// tenRows is a body of a small file: ten rows of seven fields.
func tenRows(file int) []byte {
	var b strings.Builder
	for i := range 10 {
		fmt.Fprintf(&b, "f%d-r%d,2026-12-07 10:00:00,view,1,1.25,7,s\n", file, i)
	}
	return []byte(b.String())
}

// Bodies read one after another through one bodyBuffer each give their
// own rows, and reading a small one allocates little more than its rows:
// a 4 KiB read buffer per body was a third of what the loader allocated
// draining small files.
func TestBodiesShareOneReadBuffer(t *testing.T) {
	buf := newBodyBuffer()
	for file := range 3 {
		r := newRecords(tenRows(file), 2, buf)
		n := 0
		for {
			rec, ok := r.next()
			if !ok {
				break
			}
			want := []string{fmt.Sprintf("f%d-r%d", file, n), "2026-12-07 10:00:00", "view", "1", "1.25", "7", "s"}
			if rec.err != "" || !slices.Equal(rec.fields, want) || rec.line != 2+n {
				t.Fatalf("file %d row %d: line %d fields %q err %q, want line %d fields %q", file, n, rec.line, rec.fields, rec.err, 2+n, want)
			}
			n++
		}
		if n != 10 {
			t.Fatalf("file %d: %d rows, want 10", file, n)
		}
	}

	const bodies = 1000
	in := make([][]byte, bodies)
	for i := range in {
		in[i] = tenRows(i)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for _, body := range in {
		r := newRecords(body, 2, buf)
		for _, ok := r.next(); ok; _, ok = r.next() {
		}
	}
	runtime.ReadMemStats(&after)
	if per := (after.TotalAlloc - before.TotalAlloc) / bodies; per > 2048 {
		t.Errorf("reading a ten-row body allocated %d bytes, want under 2 KiB (its rows' strings and a csv.Reader, no read buffer)", per)
	}
}
