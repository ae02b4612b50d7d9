package generate

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"log/slog"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tributary-dev/tributary/shared/contract"
)

type memLander struct{ files map[string][]byte }

func (m *memLander) Land(_ context.Context, name string, write func(io.Writer) error) error {
	var b bytes.Buffer
	if err := write(&b); err != nil {
		return err
	}
	if _, dup := m.files[name]; dup {
		panic("name reused: " + name)
	}
	m.files[name] = b.Bytes()
	return nil
}

type counter struct{ n int }

func (c *counter) Next() contract.Event {
	c.n++
	return contract.Event{ID: "e" + strings.Repeat("x", c.n%3), Time: time.Unix(0, 0).UTC(), Type: "view", Price: 100}
}

type recorder struct {
	files, rows int
	bytes       int64
}

func (r *recorder) FileLanded(rows int, bytes int64, _ time.Duration) {
	r.files++
	r.rows += rows
	r.bytes += bytes
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestRunWritesBoundedFiles(t *testing.T) {
	l := &memLander{files: map[string][]byte{}}
	g := New(Config{RowsPerFile: 3, Files: 4}, &counter{}, l, quiet, time.Now)
	obs := &recorder{}
	g.Observe(obs)
	sum, err := g.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if sum.Files != 4 || sum.Rows != 12 || len(l.files) != 4 {
		t.Fatalf("summary %+v, %d files", sum, len(l.files))
	}
	var total int64
	for _, body := range l.files {
		total += int64(len(body))
	}
	if obs.files != 4 || obs.rows != 12 || obs.bytes != total {
		t.Errorf("observed %+v, want 4 files, 12 rows, %d bytes", obs, total)
	}
	for name, body := range l.files {
		recs, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
		if err != nil || len(recs) != 4 || !contract.MatchesHeader(recs[0]) {
			t.Errorf("%s: %d records, %v", name, len(recs), err)
		}
	}
}

func TestRunPacesToRate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := &memLander{files: map[string][]byte{}}
		// 10 rows per file at 100 events/s: one file every 100ms.
		g := New(Config{Rate: 100, RowsPerFile: 10, Files: 5}, &counter{}, l, quiet, time.Now)
		start := time.Now()
		if _, err := g.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); took != 400*time.Millisecond {
			t.Errorf("5 files took %v, want 400ms", took)
		}
	})
}

func TestRunStopsOnCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := &memLander{files: map[string][]byte{}}
		g := New(Config{Rate: 10, RowsPerFile: 10}, &counter{}, l, quiet, time.Now)
		ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
		defer cancel()
		sum, err := g.Run(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Files != 3 {
			t.Errorf("wrote %d files in 2.5s at one per second, want 3", sum.Files)
		}
	})
}
