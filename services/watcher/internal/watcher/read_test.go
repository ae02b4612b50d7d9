package watcher

import (
	"bytes"
	"io/fs"
	"strings"
	"testing"
	"time"
)

// shortReads is a file whose reads return a few bytes at a time, as a
// read interrupted by a signal, or of a network filesystem, may.
type shortReads struct{ *bytes.Reader }

func (s shortReads) Read(p []byte) (int, error) { return s.Reader.Read(p[:min(len(p), 7)]) }
func (shortReads) Close() error                 { return nil }
func (shortReads) Stat() (fs.FileInfo, error)   { return nil, fs.ErrInvalid }
func (shortReads) Fd() uintptr                  { return ^uintptr(0) }

// A small file is read with one system call; a read that returns less
// than the file holds is read on, not taken for a file that changed
// (which would be retried for as long as its reads come short).
func TestAShortReadOfASmallFileIsReadOn(t *testing.T) {
	w := newWatcher(t, &fakePublisher{})
	body := goodCSV + strings.Repeat("b,2026-01-01 00:00:00,view,1,1.00,1,s\n", 9)
	c, err := w.contracts.Match("events.csv", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	got, err := w.inspect(shortReads{bytes.NewReader([]byte(body))}, "events.csv", int64(len(body)), 1<<20, c)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	if got.layout.Rows != 10 || got.layout.Size != int64(len(body)) {
		t.Errorf("inspected %d rows in %d bytes, want 10 rows in %d", got.layout.Rows, got.layout.Size, len(body))
	}
}
