package watcher

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go"
	"github.com/tributary-dev/tributary/shared/datadir"
)

func gzipped(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	_, _ = w.Write([]byte(s))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// A compressed file is published as the CSV it holds, and archived as it
// landed.
func TestCompressedFileIsPublishedDecompressed(t *testing.T) {
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, raw := range map[string][]byte{"a.csv.gz": gzipped(t, goodCSV), "b.csv.zst": enc.EncodeAll([]byte(goodCSV), nil), "c.csv": gzipped(t, goodCSV)} {
		pub := &fakePublisher{}
		w := newWatcher(t, pub)
		os.WriteFile(w.path(datadir.Input, name), raw, 0o644)
		w.handle(context.Background(), claimFile(t, w, name))
		if len(pub.files) != 1 || pub.bodies[0] != goodCSV || pub.files[0].Layout.Rows != 1 || pub.files[0].Layout.Encoding == "" {
			t.Fatalf("%s: published %+v, bodies %q", name, pub.files, pub.bodies)
		}
		if got, err := os.ReadFile(w.path(datadir.Archive, name)); err != nil || !bytes.Equal(got, raw) {
			t.Errorf("%s: archive holds %d bytes (%v), want the file as it landed", name, len(got), err)
		}
	}
}

func TestDamagedOrMislabelledFilesAreRejectedWhole(t *testing.T) {
	g := gzipped(t, goodCSV)
	tests := []struct {
		name string
		raw  []byte
		want string
	}{
		{"plain.csv.gz", []byte(goodCSV), "is named .gz, but its content is not gzip"},
		{"cut.csv.gz", g[:len(g)-2], "gzip stream is truncated"},
		{"bomb.csv.gz", gzipped(t, goodCSV+strings.Repeat("\n", 2<<20)), "gzip content expands to more than 1048576 bytes (WATCHER_MAX_DECODED_BYTES)"},
	}
	for _, tt := range tests {
		pub := &fakePublisher{}
		w := newWatcher(t, pub)
		os.WriteFile(w.path(datadir.Input, tt.name), tt.raw, 0o644)
		w.handle(context.Background(), claimFile(t, w, tt.name))
		if len(pub.files) != 0 || len(pub.rejected) != 1 || !strings.Contains(pub.rejected[0].Reason, tt.want) {
			t.Fatalf("%s: published %d files, rejected %+v; want a rejection %q", tt.name, len(pub.files), pub.rejected, tt.want)
		}
		reason, err := os.ReadFile(w.path(datadir.Rejected, tt.name+datadir.ReasonSuffix))
		if err != nil || !strings.Contains(string(reason), tt.want) {
			t.Errorf("%s: reason file %q (%v)", tt.name, reason, err)
		}
	}
}

// A Parquet file named .csv is refused: the name and the content disagree.
func TestParquetNamedCSVIsRefused(t *testing.T) {
	var b bytes.Buffer
	pw := parquet.NewGenericWriter[struct {
		EventID string `parquet:"event_id"`
	}](&b)
	if _, err := pw.Write([]struct {
		EventID string `parquet:"event_id"`
	}{{EventID: "a"}}); err != nil {
		t.Fatal(err)
	}
	if err := pw.Close(); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"p.csv": "is named .csv, but its content is Parquet, not CSV", "p.parquet": ""} {
		pub := &fakePublisher{}
		w := newWatcher(t, pub)
		os.WriteFile(w.path(datadir.Input, name), b.Bytes(), 0o644)
		w.handle(context.Background(), claimFile(t, w, name))
		switch {
		case want == "" && len(pub.rejected) != 0:
			t.Errorf("%s: rejected %+v", name, pub.rejected)
		case want != "" && (len(pub.rejected) != 1 || pub.rejected[0].Reason != want):
			t.Errorf("%s: rejected %+v, want %q", name, pub.rejected, want)
		}
	}
}
