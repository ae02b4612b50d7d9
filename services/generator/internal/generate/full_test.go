package generate

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

// fullLander refuses the first full landings with ENOSPC, as a lander on
// a full filesystem does, then lands into m.
type fullLander struct {
	memLander
	full int
}

func (l *fullLander) Land(ctx context.Context, name string, write func(io.Writer) error) error {
	if l.full > 0 {
		l.full--
		return fmt.Errorf("write %s: %w", name, &fs.PathError{Op: "write", Path: "temp/." + name, Err: syscall.ENOSPC})
	}
	return l.memLander.Land(ctx, name, write)
}

// A full disk is waited out, not a reason to stop: the generator says so
// once, retries, says when space returned, and writes every file it was
// asked for.
func TestRunWaitsForSpaceOnAFullDisk(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := &fullLander{memLander: memLander{files: map[string][]byte{}}, full: 3}
		var logs bytes.Buffer
		log := slog.New(slog.NewTextHandler(&logs, nil))
		g := New(Config{RowsPerFile: 5, Files: 2, FullRetry: time.Second}, &counter{}, l, log, time.Now)
		start := time.Now()
		sum, err := g.Run(context.Background())
		if err != nil {
			t.Fatalf("run on a full disk: %v", err)
		}
		if sum.Files != 2 || len(l.files) != 2 {
			t.Errorf("summary %+v, %d files landed, want 2", sum, len(l.files))
		}
		if took := time.Since(start); took != 3*time.Second {
			t.Errorf("took %v, want 3 retries 1s apart", took)
		}
		out := logs.String()
		if n := strings.Count(out, "waiting for space"); n != 1 {
			t.Errorf("said %d times that it waits for space, want once:\n%s", n, out)
		}
		if !strings.Contains(out, "no space left on device") || !strings.Contains(out, "space returned") {
			t.Errorf("log does not name the cause and the end of the wait:\n%s", out)
		}
	})
}

// Cancelled while waiting for space, the generator stops cleanly.
func TestRunStopsWhileWaitingForSpace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := &fullLander{memLander: memLander{files: map[string][]byte{}}, full: 1 << 30}
		g := New(Config{RowsPerFile: 5, FullRetry: time.Second}, &counter{}, l, quiet, time.Now)
		ctx, cancel := context.WithTimeout(context.Background(), 5500*time.Millisecond)
		defer cancel()
		sum, err := g.Run(ctx)
		if err != nil || sum.Files != 0 {
			t.Errorf("stopped with %+v, %v; want no error and no file", sum, err)
		}
	})
}
