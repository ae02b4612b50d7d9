//go:build linux

package dirwatch

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func next(t *testing.T, w *Watcher) Event {
	t.Helper()
	select {
	case ev := <-w.Events():
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no event in 5s")
		return Event{}
	}
}

func TestReportsRenamesAndClosesNotCreates(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "input")
	os.Mkdir(in, 0o755)
	w, err := Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()

	// A file written in place is reported when it is closed, not before.
	f, err := os.Create(filepath.Join(in, "inplace.csv"))
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("partial")
	select {
	case ev := <-w.Events():
		t.Fatalf("event %+v before the writer closed the file", ev)
	case <-time.After(100 * time.Millisecond):
	}
	f.Close()
	if ev := next(t, w); ev.Name != "inplace.csv" {
		t.Fatalf("got %+v, want inplace.csv", ev)
	}

	// An atomic landing is reported by its rename.
	tmp := filepath.Join(dir, "x.tmp")
	os.WriteFile(tmp, []byte("x"), 0o644)
	if err := os.Rename(tmp, filepath.Join(in, "landed.csv")); err != nil {
		t.Fatal(err)
	}
	if ev := next(t, w); ev.Name != "landed.csv" {
		t.Fatalf("got %+v, want landed.csv", ev)
	}
}

func TestCloseEndsTheReader(t *testing.T) {
	w, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, open := <-w.Events(); open {
		t.Fatal("events channel still open after Close")
	}
}

func TestCloseWhileNobodyReads(t *testing.T) {
	dir := t.TempDir()
	w, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2000 { // more than the channel holds
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%04d", i)), nil, 0o644)
	}
	time.Sleep(50 * time.Millisecond)
	closed := make(chan error)
	go func() { closed <- w.Close() }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close blocked on a full event channel")
	}
}
