package split

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/tributary-dev/tributary/services/watcher/internal/decode"
)

type parquetRow struct {
	EventID string `parquet:"event_id"`
	Price   int64  `parquet:"price,decimal(2:10)"`
}

func parquetFile(t *testing.T, rows []parquetRow, perGroup int64) []byte {
	t.Helper()
	var b bytes.Buffer
	w := parquet.NewGenericWriter[parquetRow](&b, parquet.MaxRowsPerRowGroup(perGroup))
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// A Parquet file's parts are rows: their ranges tile [0, rows) in row
// indices, none spans two row groups, a row too large for a message is
// set aside alone, and the file's identity is the hash of its bytes.
func TestParquetIsCutInRowsWithinRowGroups(t *testing.T) {
	rows := make([]parquetRow, 250)
	for i := range rows {
		rows[i] = parquetRow{EventID: strings.Repeat("e", 10), Price: int64(i)}
	}
	rows[120].EventID = strings.Repeat("x", 5000)
	file := parquetFile(t, rows, 100)
	got, err := InspectParquet(bytes.NewReader(file), int64(len(file)), 1<<20, 2048, byName(t))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(file)
	if got.FileID != hex.EncodeToString(sum[:]) || got.Size != 250 || got.Rows != 250 || got.Encoding != decode.Parquet ||
		got.Format != NDJSON || got.Columns != "event_id,price" {
		t.Fatalf("layout %+v", got)
	}
	from := int64(0)
	for i, p := range got.Parts {
		if p.From != from || p.Offset != p.From || p.FirstLine != int(p.From)+1 || int64(p.Rows) != p.To-p.From {
			t.Fatalf("part %d = %+v, want it to start at row %d", i, p, from)
		}
		if p.From/100 != (p.To-1)/100 {
			t.Errorf("part %d = rows [%d, %d) spans two row groups", i, p.From, p.To)
		}
		if p.Oversized != (p.From == 120) || !p.Oversized && p.Length > 2048-keysRoom(2048) {
			t.Errorf("part %d = %+v", i, p)
		}
		from = p.To
	}
	if from != 250 {
		t.Errorf("ranges end at row %d, want 250", from)
	}
}

func TestParquetRejects(t *testing.T) {
	file := parquetFile(t, []parquetRow{{EventID: "a"}}, 10)
	if l, err := InspectParquet(bytes.NewReader(file), int64(len(file)), 1<<20, 4096, userActivity); err != nil || l.Columns != "" {
		t.Errorf("exact contract, declared columns: %+v, %v; want no header (the declared columns are the fields)", l, err)
	}
	if _, err := InspectParquet(bytes.NewReader(file), int64(len(file)), 10, 4096, byName(t)); err == nil ||
		!strings.Contains(err.Error(), "Parquet rows expand to more than 10 bytes") {
		t.Errorf("bomb: %v", err)
	}
	if _, err := InspectParquet(bytes.NewReader(file), int64(len(file))-1, 1<<20, 4096, byName(t)); !errors.Is(err, ErrChanged) {
		t.Errorf("longer than stat said: %v", err)
	}
}
