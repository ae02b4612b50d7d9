package input

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/shared/datadir"
)

// The corpora: plain CSV, and the other formats files land in.
const (
	corpusDir  = "../testdata/corpus"
	formatsDir = "../testdata/formats"
)

// manifest states by hand what the pipeline must do with each corpus file.
type manifest struct {
	Settings map[string]string `json:"settings"` // environment of the run
	Cases    []corpusCase      `json:"cases"`
}

type corpusCase struct {
	File string `json:"file"`
	Case string `json:"case"`
	// After names a file that must be fully loaded before this one lands
	// (so that "the first copy loaded wins" has a known first copy).
	After string `json:"after"`
	// Rejected is the reason the whole file is refused; empty when it is
	// read and archived.
	Rejected string `json:"rejected"`
	// Loaded is the exact set of event ids loaded from the file, unless
	// LoadedCount is given (with PriceSum) for a file too long to list.
	Loaded      []string                      `json:"loaded"`
	LoadedCount *int                          `json:"loaded_count"`
	PriceSum    string                        `json:"price_sum"`
	Values      map[string]map[string]*string `json:"values"` // event_id → column → text (nil: NULL)
	Rejects     []rowReject                   `json:"rejects"`
	Logged      []string                      `json:"logged"` // messages the services may log about the file: exactly one of them, once
}

type rowReject struct {
	Line int `json:"line"`
	// EitherLine is another line the reject may be at: two copies of one
	// row in parts that load in parallel, where the copy committed first
	// wins.
	EitherLine int     `json:"either_line,omitempty"`
	Column     string  `json:"column"` // empty: not tied to one column
	Reason     string  `json:"reason"`
	Raw        *string `json:"raw"` // the stored raw line, when the case checks it
}

func readManifest(t *testing.T, dir string) manifest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}
	return m
}

// TestCorpus lands every corpus file and checks each expected outcome
// exactly: which rows loaded (with their stored values), which were
// rejected with which line, column and reason, which files were refused
// whole and why, and that nothing else was written.
func TestCorpus(t *testing.T) { runCorpus(t, corpusDir, 30) }

// TestFormatsCorpus does the same with gzip and zstd CSV, NDJSON and
// Parquet files: ordinary ones, and damaged, mislabelled, bombs, every
// kind of value in the wrong column (docs/formats.md).
func TestFormatsCorpus(t *testing.T) { runCorpus(t, formatsDir, 45) }

// runCorpus lands the corpus in dir, which must state at least minCases.
func runCorpus(t *testing.T, dir string, minCases int) {
	m := readManifest(t, dir)
	if len(m.Cases) < minCases {
		t.Fatalf("the corpus has %d cases, want at least %d", len(m.Cases), minCases)
	}
	seen := map[string]bool{}
	for _, c := range m.Cases {
		if seen[c.File] {
			t.Fatalf("manifest lists %s twice", c.File)
		}
		seen[c.File] = true
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if name := e.Name(); !seen[name] && !e.IsDir() && name != "manifest.json" && name != "make_corpus.py" && name != ".gitattributes" {
			t.Errorf("corpus file %s has no case in manifest.json", name)
		}
	}

	p := startPipeline(t, m.Settings)
	content := map[string][]byte{}
	for _, c := range m.Cases {
		b, err := os.ReadFile(filepath.Join(dir, c.File))
		if err != nil {
			t.Fatal(err)
		}
		content[c.File] = b
	}
	// Land in waves: a file with After lands once the wave before is done.
	landed := map[string]bool{}
	for wave := 0; len(landed) < len(m.Cases); wave++ {
		var now []string
		for _, c := range m.Cases {
			if !landed[c.File] && (c.After == "" || landed[c.After]) {
				now = append(now, c.File)
			}
		}
		if len(now) == 0 {
			t.Fatal("manifest: an After names a file that never lands")
		}
		for _, name := range now {
			p.Land(name, content[name])
		}
		p.idle(60 * time.Second)
		for _, name := range now {
			landed[name] = true
		}
		t.Logf("wave %d: %d files landed and settled", wave, len(now))
	}

	var table []string
	wantRows, wantRejects, wantFiles := 0, 0, 0
	for _, c := range m.Cases {
		t.Run(c.File, func(t *testing.T) {
			table = append(table, fmt.Sprintf("| `%s` | %s | %s |", c.File, c.Case, p.outcome(c.File)))
			p.checkCase(t, c, content[c.File])
		})
		wantRejects += len(c.Rejects)
		switch {
		case c.Rejected != "":
			wantFiles++
		case c.LoadedCount != nil:
			wantRows += *c.LoadedCount
		default:
			wantRows += len(c.Loaded)
		}
	}
	// Nothing beyond what the manifest states was written.
	if got := p.Rows(); got != wantRows {
		t.Errorf("user_activity has %d rows, the manifest accounts for %d", got, wantRows)
	}
	if got := p.Count("SELECT count(*) FROM user_activity_rejects"); got != wantRejects {
		t.Errorf("user_activity_rejects has %d rows, the manifest accounts for %d", got, wantRejects)
	}
	if got := p.Count("SELECT count(*) FROM rejected_files"); got != wantFiles {
		t.Errorf("rejected_files has %d rows, the manifest accounts for %d", got, wantFiles)
	}
	if n := p.streamMsgs("INGEST_DLQ"); n != 0 {
		t.Errorf("%d dead letters: no corpus file may poison the loader", n)
	}
	if bad := p.logs.injected(); len(bad) > 0 {
		t.Errorf("log output that is not one JSON record per line: %q", bad)
	}
	t.Logf("corpus: %d cases, %s\n| file | case | outcome |\n|---|---|---|\n%s", len(m.Cases), p.Describe(), strings.Join(table, "\n"))
}

func (p *pipeline) checkCase(t *testing.T, c corpusCase, content []byte) {
	if len(c.Logged) > 0 && p.logs.waitOne(c.Logged, map[string]string{"file": c.File}) != 1 {
		t.Errorf("want one log line, one of %q", c.Logged)
	}
	archived, archErr := os.ReadFile(filepath.Join(p.Data.Path(datadir.Archive), c.File))
	rejected, rejErr := os.ReadFile(filepath.Join(p.Data.Path(datadir.Rejected), c.File))
	if c.Rejected != "" {
		if rejErr != nil || !bytes.Equal(rejected, content) {
			t.Errorf("want the file in rejected/, byte for byte (%v)", rejErr)
		}
		if archErr == nil {
			t.Error("a rejected file is also in archive/")
		}
		reason, err := os.ReadFile(filepath.Join(p.Data.Path(datadir.Rejected), c.File+datadir.ReasonSuffix))
		if err != nil || string(reason) != c.Rejected+"\n" {
			t.Errorf("%s%s = %q (%v), want %q", c.File, datadir.ReasonSuffix, reason, err, c.Rejected+"\n")
		}
		got := p.strings("SELECT reason FROM rejected_files WHERE file_name = $1", c.File)
		if len(got) != 1 || got[0] != c.Rejected {
			t.Errorf("rejected_files reasons = %q, want exactly %q", got, c.Rejected)
		}
	} else {
		if archErr != nil || !bytes.Equal(archived, content) {
			t.Errorf("want the file in archive/, byte for byte (%v)", archErr)
		}
		if rejErr == nil {
			t.Error("a loadable file is also in rejected/")
		}
		if got := p.strings("SELECT reason FROM rejected_files WHERE file_name = $1", c.File); len(got) > 0 {
			t.Errorf("rejected_files has %q for a loadable file", got)
		}
	}

	loaded := p.strings(`SELECT u.event_id FROM user_activity u JOIN ingest_ledger l ON coalesce(l.source_seq, l.stream_seq) = u.source_seq
		WHERE l.file_name = $1 ORDER BY u.event_id`, c.File)
	if c.LoadedCount != nil {
		if len(loaded) != *c.LoadedCount {
			t.Errorf("loaded %d rows, want %d", len(loaded), *c.LoadedCount)
		}
		sum := p.strings(`SELECT coalesce(sum(u.price), 0)::text FROM user_activity u JOIN ingest_ledger l ON coalesce(l.source_seq, l.stream_seq) = u.source_seq
			WHERE l.file_name = $1`, c.File)
		if sum[0] != c.PriceSum {
			t.Errorf("sum(price) = %s, want %s", sum[0], c.PriceSum)
		}
	} else {
		want := slices.Clone(c.Loaded)
		slices.Sort(want)
		if !slices.Equal(loaded, want) {
			t.Errorf("loaded %q, want %q", loaded, want)
		}
	}
	for id, cols := range c.Values {
		p.checkValues(t, id, cols)
	}

	rows, err := p.Pool.Query(t.Context(), `SELECT line_number, coalesce(column_name, ''), reason, raw_line
		FROM user_activity_rejects WHERE file_name = $1 ORDER BY line_number, id`, c.File)
	if err != nil {
		t.Fatal(err)
	}
	var got []rowReject
	for rows.Next() {
		var r rowReject
		var raw string
		if err := rows.Scan(&r.Line, &r.Column, &r.Reason, &raw); err != nil {
			t.Fatal(err)
		}
		r.Raw = &raw
		got = append(got, r)
	}
	if len(got) != len(c.Rejects) {
		t.Errorf("%d rejected rows, want %d:\n%s", len(got), len(c.Rejects), describeRejects(got))
		return
	}
	used := make([]bool, len(got))
	for _, w := range c.Rejects {
		i := -1
		for j, g := range got {
			if !used[j] && (g.Line == w.Line || (w.EitherLine != 0 && g.Line == w.EitherLine)) {
				i = j
				break
			}
		}
		switch {
		case i < 0:
			t.Errorf("no reject at line %d, want column %q reason %q; got:\n%s", w.Line, w.Column, w.Reason, describeRejects(got))
			continue
		case got[i].Column != w.Column || got[i].Reason != w.Reason:
			t.Errorf("reject at line %d = column %q reason %q\n                want column %q reason %q", got[i].Line, got[i].Column, got[i].Reason, w.Column, w.Reason)
		case w.Raw != nil && *got[i].Raw != *w.Raw:
			t.Errorf("reject at line %d: raw %q, want %q", w.Line, *got[i].Raw, *w.Raw)
		}
		used[i] = true
	}
}
