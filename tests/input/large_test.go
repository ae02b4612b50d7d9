package input

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/shared/contract"
	"github.com/tributary-dev/tributary/shared/datadir"
)

// bigCSV returns a valid file of at least size bytes (CRLF endings, every
// 997th row with a quoted comma and line break, so rows that span lines
// meet part boundaries), with its row count and price sum in cents.
func bigCSV(size int) (content []byte, rows int, cents int64) {
	var b bytes.Buffer
	b.Grow(size + 256)
	b.WriteString(contract.HeaderLine + "\r\n")
	for b.Len() < size {
		price := int64(rows%100_000) + 1 // 0.01 .. 1000.00
		session := "sess-" + strconv.Itoa(rows%5000)
		if rows%997 == 0 {
			session = `"sess, with comma` + "\r\n" + `and a line break"`
		}
		typ := "view"
		if rows%3 == 0 {
			typ = "purchase"
		}
		fmt.Fprintf(&b, "big-%08d,2026-11-26 %02d:%02d:%02d.%06d,%s,%d,%s,%d,%s\r\n",
			rows, rows/3600%24, rows/60%60, rows%60, rows%1_000_000, typ, rows%10_000+1, contract.Cents(price), rows%70_000+1, session)
		cents += price
		rows++
	}
	return b.Bytes(), rows, cents
}

// TestFiftyMegabyteFileLoadsOnce lands a 50 MiB file: it is split on row
// boundaries into messages of at most 1 MiB, and every row loads exactly
// once (row count, distinct ids and price sum equal to the file's).
func TestFiftyMegabyteFileLoadsOnce(t *testing.T) {
	content, rows, cents := bigCSV(50 << 20)
	p := startPipeline(t, nil)
	start := time.Now()
	p.Land("fifty-mib.csv", content)
	p.idle(5 * time.Minute)
	took := time.Since(start)

	sum := sha256.Sum256(content)
	fileID := hex.EncodeToString(sum[:])
	var (
		loaded, distinct, parts, ledgerRows, ledgerRejected int
		minPart, maxPart, declared                          int
		gotCents                                            int64
	)
	if err := p.Pool.QueryRow(t.Context(), `SELECT count(*), count(DISTINCT event_id), (sum(price) * 100)::bigint FROM user_activity`).
		Scan(&loaded, &distinct, &gotCents); err != nil {
		t.Fatal(err)
	}
	if err := p.Pool.QueryRow(t.Context(), `SELECT count(*), coalesce(sum(rows_loaded), 0), coalesce(sum(rows_rejected), 0),
			coalesce(min(part), 0), coalesce(max(part), 0), coalesce(max(parts), 0)
		FROM ingest_ledger WHERE file_id = $1`, fileID).Scan(&parts, &ledgerRows, &ledgerRejected, &minPart, &maxPart, &declared); err != nil {
		t.Fatal(err)
	}
	t.Logf("file: %d bytes, %d rows, sum(price) %s; loaded in %v (landing to last commit)", len(content), rows, contract.Cents(cents), took.Round(time.Millisecond))
	t.Logf("user_activity: %d rows, %d distinct event_id, sum(price) %s", loaded, distinct, contract.Cents(gotCents))
	t.Logf("ingest_ledger: %d messages (parts %d..%d of %d), rows_loaded %d, rows_rejected %d", parts, minPart, maxPart, declared, ledgerRows, ledgerRejected)
	if loaded != rows || distinct != rows || gotCents != cents {
		t.Errorf("loaded %d rows (%d distinct) summing %d cents; the file holds %d rows summing %d cents", loaded, distinct, gotCents, rows, cents)
	}
	if parts < 50 || parts != declared || minPart != 1 || maxPart != declared || ledgerRows != rows || ledgerRejected != 0 {
		t.Errorf("want every part of the file applied once: %d ledger rows for %d declared parts", parts, declared)
	}
	if n := p.Count("SELECT count(*) FROM user_activity_rejects"); n != 0 {
		t.Errorf("%d rejects from a valid file", n)
	}
	archived, err := os.ReadFile(filepath.Join(p.Data.Path(datadir.Archive), "fifty-mib.csv"))
	if err != nil || !bytes.Equal(archived, content) {
		t.Errorf("the file is not archived byte for byte (%v)", err)
	}
	if n := p.streamMsgs("INGEST_DLQ"); n != 0 {
		t.Errorf("%d dead letters", n)
	}
}

// TestFileOverTheSizeLimitIsRejectedWhole lands a file one byte over
// WATCHER_MAX_FILE_BYTES: it is rejected with the reason and kept intact,
// and not one of its rows loads.
func TestFileOverTheSizeLimitIsRejectedWhole(t *testing.T) {
	const limit = 1 << 20
	content, _, _ := bigCSV(limit)
	content = content[:limit+1] // cut anywhere: the watcher refuses it before reading a byte
	p := startPipeline(t, map[string]string{"WATCHER_MAX_FILE_BYTES": strconv.Itoa(limit)})
	p.Land("too-big.csv", content)
	p.idle(30 * time.Second)

	reason := fmt.Sprintf("is %d bytes, more than the limit of %d bytes (WATCHER_MAX_FILE_BYTES)", limit+1, limit)
	if got := p.strings("SELECT reason FROM rejected_files WHERE file_name = 'too-big.csv'"); len(got) != 1 || got[0] != reason {
		t.Errorf("rejected_files = %q, want %q", got, reason)
	}
	kept, err := os.ReadFile(filepath.Join(p.Data.Path(datadir.Rejected), "too-big.csv"))
	if err != nil || !bytes.Equal(kept, content) {
		t.Errorf("the rejected file was not kept intact (%v)", err)
	}
	if n := p.Rows(); n != 0 {
		t.Errorf("%d rows of an over-limit file loaded: it must never be truncated", n)
	}
	t.Logf("%d-byte file with WATCHER_MAX_FILE_BYTES=%d: rejected, %q; 0 rows loaded", len(content), limit, reason)
}
