package landing

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func dirs(t *testing.T) (string, string) {
	root := t.TempDir()
	tmp, in := filepath.Join(root, "temp"), filepath.Join(root, "input")
	for _, d := range []string{tmp, in} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return tmp, in
}

func names(t *testing.T, dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func TestLandWritesAtomically(t *testing.T) {
	tmp, in := dirs(t)
	l := New(tmp, in)
	err := l.Land(context.Background(), "a.csv", func(w io.Writer) error {
		if got := names(t, in); len(got) != 0 {
			t.Errorf("input has %v while the file is written", got)
		}
		_, err := io.WriteString(w, "hello\n")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(in, "a.csv"))
	if err != nil || string(b) != "hello\n" {
		t.Fatalf("landed file = %q, %v", b, err)
	}
	if got := names(t, tmp); len(got) != 0 {
		t.Errorf("temp not cleaned: %v", got)
	}
}

func TestLandFailureLeavesNothing(t *testing.T) {
	tmp, in := dirs(t)
	l := New(tmp, in)
	boom := errors.New("boom")
	err := l.Land(context.Background(), "a.csv", func(w io.Writer) error {
		io.WriteString(w, "partial")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if len(names(t, in)) != 0 || len(names(t, tmp)) != 0 {
		t.Fatalf("left files behind: input %v temp %v", names(t, in), names(t, tmp))
	}
}

func TestLandCancelledLeavesNothing(t *testing.T) {
	tmp, in := dirs(t)
	ctx, cancel := context.WithCancel(context.Background())
	err := New(tmp, in).Land(ctx, "a.csv", func(w io.Writer) error {
		cancel()
		_, err := io.WriteString(w, "x")
		return err
	})
	if !errors.Is(err, context.Canceled) || len(names(t, in)) != 0 || len(names(t, tmp)) != 0 {
		t.Fatalf("err %v, input %v, temp %v", err, names(t, in), names(t, tmp))
	}
}

func TestLandRefusesPaths(t *testing.T) {
	tmp, in := dirs(t)
	err := New(tmp, in).Land(context.Background(), "../escape.csv", func(io.Writer) error { return nil })
	if err == nil {
		t.Fatal("want an error for a path")
	}
}

func TestCleanTempKeepsYoungFiles(t *testing.T) {
	tmp, _ := dirs(t)
	old, young := filepath.Join(tmp, "old.tmp"), filepath.Join(tmp, "young.tmp")
	for _, p := range []string{old, young} {
		os.WriteFile(p, []byte("x"), 0o644)
	}
	now := time.Now()
	os.Chtimes(old, now.Add(-time.Hour), now.Add(-time.Hour))
	n, err := CleanTemp(tmp, 10*time.Minute, now)
	if err != nil || n != 1 {
		t.Fatalf("CleanTemp = %d, %v", n, err)
	}
	if _, err := os.Stat(young); err != nil {
		t.Errorf("young temp file removed: %v", err)
	}
}
