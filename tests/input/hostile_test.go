package input

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/shared/contract"
	"github.com/tributary-dev/tributary/shared/datadir"
	"github.com/tributary-dev/tributary/shared/logging"
)

// secret marks content that lives outside the data directory: it must
// never be read, so it must appear nowhere in PostgreSQL, NATS or the logs.
const secret = "TOPSECRET-0f8e2c"

func csvOf(ids ...string) []byte {
	var b strings.Builder
	b.WriteString(contract.HeaderLine + "\n")
	for _, id := range ids {
		fmt.Fprintf(&b, "%s,2026-11-26 10:00:00,view,1,1.00,1,s\n", id)
	}
	return []byte(b.String())
}

// hostileCase is one thing placed in the input directory.
type hostileCase struct {
	name string
	// make creates the entry at path; an error skips the case with it.
	make     func(t *testing.T, path string) error
	loaded   []string // event ids that must load
	rejected string   // reason the entry is refused; empty when it loads
	ignored  bool     // left in input on purpose (hidden or temporary)
	logged   string   // a message the watcher must also log once about it
}

// TestHostileInputDirectory fills the input directory with links, special
// files, directories and hostile names, and checks that each gets its
// outcome and a log line, that the content of files outside the data
// directory is never read, that no name reaches a NATS subject or breaks a
// log line, and that the watcher keeps going.
func TestHostileInputDirectory(t *testing.T) {
	outside := t.TempDir()
	secretFile := filepath.Join(outside, "secret.csv")
	if err := os.WriteFile(secretFile, csvOf(secret+"-1", secret+"-2"), 0o644); err != nil {
		t.Fatal(err)
	}
	hardSource := filepath.Join(outside, "hard.csv")
	if err := os.WriteFile(hardSource, csvOf(secret+"-hard"), 0o644); err != nil {
		t.Fatal(err)
	}
	const linkReason = "is a symbolic link; links are never followed, only regular files are read"
	regular := func(ids ...string) func(*testing.T, string) error {
		return func(_ *testing.T, path string) error { return landAt(path, csvOf(ids...)) }
	}
	long := strings.Repeat("l", 251) + ".csv" // 255 bytes: the longest name Linux allows
	longRejected := strings.Repeat("r", 251) + ".csv"
	cases := []hostileCase{
		{name: "symlink-outside.csv", make: symlinkTo(secretFile), rejected: linkReason},
		{name: "symlink-outside-dir", make: symlinkTo(outside), rejected: linkReason},
		{name: "symlink-inside.csv", make: symlinkTo("../temp/inside.csv"), rejected: linkReason},
		{name: "symlink-dangling.csv", make: symlinkTo("/nonexistent/nothing.csv"), rejected: linkReason},
		{name: "hardlink-outside.csv", make: func(_ *testing.T, p string) error { return os.Link(hardSource, p) },
			rejected: "has 2 hard links; only single-link files are read, since a link can expose a file from outside the data directory"},
		{name: "fifo.csv", make: func(_ *testing.T, p string) error { return syscall.Mkfifo(p, 0o644) },
			rejected: "is a named pipe (FIFO); only regular files are read"},
		{name: "device.csv", make: makeDevice, rejected: "is a device file; only regular files are read"},
		{name: "socket.csv", make: makeSocket, rejected: "is a socket; only regular files are read"},
		{name: "subdir", make: func(_ *testing.T, p string) error {
			if err := os.Mkdir(p, 0o755); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(p, "inner.csv"), csvOf("inner-1"), 0o644)
		}, rejected: "is a directory; only regular files placed directly in input are read"},
		{name: "name with spaces.csv", make: regular("n-spaces"), loaded: []string{"n-spaces"}},
		{name: "new\nline.csv", make: regular("n-newline"), loaded: []string{"n-newline"}},
		{name: "carriage\rreturn\ttab.csv", make: regular("n-cr-tab"), loaded: []string{"n-cr-tab"}},
		{name: "ünïcødé-日本語-🙂.csv", make: regular("n-unicode"), loaded: []string{"n-unicode"}},
		{name: "star*.csv", make: regular("n-star"), loaded: []string{"n-star"}},
		{name: "gt>.csv", make: regular("n-gt"), loaded: []string{"n-gt"}},
		{name: "ingest.>", make: regular("n-subject"), loaded: []string{"n-subject"}},
		{name: "a..b..csv", make: regular("n-dots"), loaded: []string{"n-dots"}},
		{name: "%2e%2e%2fetc%2fpasswd.csv", make: regular("n-escaped"), loaded: []string{"n-escaped"}},
		{name: "$(touch pwned)`id`.csv", make: regular("n-shell"), loaded: []string{"n-shell"}},
		{name: "esc\x1b[31mred\x1b[0m.csv", make: regular("n-escape"), loaded: []string{"n-escape"}},
		{name: "bad-utf8-\xff\xfe.csv", make: regular("n-badutf8"), loaded: []string{"n-badutf8"}},
		{name: "-rf", make: regular("n-dash"), loaded: []string{"n-dash"}},
		{name: long, make: regular("n-long"), loaded: []string{"n-long"}},
		{name: longRejected, make: func(_ *testing.T, p string) error { return landAt(p, []byte(contract.HeaderLine+"\n")) },
			rejected: "file has a header but no rows"},
		{name: "..dotdot-hidden.csv", make: regular("n-hidden-1"), ignored: true},
		{name: ".hidden.csv", make: regular("n-hidden-2"), ignored: true},
		{name: "partial.csv.tmp", make: regular("n-tmp"), ignored: true},
		{name: "partial.csv.part", make: regular("n-part"), ignored: true},
		{name: "editor.csv~", make: regular("n-tilde"), ignored: true},
		{name: "written-in-place.csv", make: writeInPlace, loaded: []string{"wip-1", "wip-2", "wip-3", "wip-4"},
			logged: "file is still open for writing; waiting until its writer closes it"},
	}

	p := startPipeline(t, nil)
	input := p.Data.Path(datadir.Input)
	if err := os.WriteFile(filepath.Join(p.Data.Path(datadir.Temp), "inside.csv"), csvOf(secret+"-inside"), 0o644); err != nil {
		t.Fatal(err)
	}
	var made []hostileCase
	var ignored []string
	for _, c := range cases {
		if err := c.make(t, filepath.Join(input, c.name)); err != nil {
			t.Logf("SKIPPED case %q: cannot create it here: %v", c.name, err)
			continue
		}
		made = append(made, c)
		if c.ignored {
			ignored = append(ignored, c.name)
		}
	}
	p.idle(60*time.Second, ignored...)

	// The watcher is not stuck on anything: a file landed now still loads.
	p.Land("canary.csv", csvOf("canary-1"))
	p.idle(30*time.Second, ignored...)
	if n := p.Count("SELECT count(*) FROM user_activity WHERE event_id = 'canary-1'"); n != 1 {
		t.Fatalf("a file landed after the hostile ones did not load (%d rows)", n)
	}

	var table []string
	for _, c := range made {
		t.Run(strings.ToValidUTF8(c.name, "?"), func(t *testing.T) {
			outcome := p.checkHostile(t, c)
			table = append(table, fmt.Sprintf("| `%s` | %s |", logging.SafeName(c.name), outcome))
		})
	}

	// The content outside the data directory was never read.
	where := p.pgContains(secret)
	natsHits, natsTotal := p.traffic.matches(secret)
	logHits, logTotal := p.logs.matches(secret)
	t.Logf("outside the data dir: %s (rows %s-1, %s-2), reached by symlink-outside.csv and symlink-outside-dir; %s (row %s-hard), by hardlink-outside.csv",
		secretFile, secret, secret, hardSource, secret)
	t.Logf("%q found in: PostgreSQL tables %v (of %d scanned as text), NATS messages %d of %d recorded (every subject, payload and header), log records %d of %d",
		secret, where, len(p.strings("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")), natsHits, natsTotal, logHits, logTotal)
	if len(where) > 0 || natsHits > 0 || logHits > 0 {
		t.Error("content from outside the data directory leaked")
	}
	// The same searches do find content that was loaded: they can fail.
	const control = "CONTROL-7d1b"
	p.Land("control.csv", csvOf(control))
	p.idle(30*time.Second, ignored...)
	if where, hits := p.pgContains(control), p.traffic.contains(control); len(where) == 0 || !hits {
		t.Fatalf("the leak searches do not find loaded content: tables %v, NATS %v", where, hits)
	}
	if b, _ := os.ReadFile(secretFile); !bytes.Equal(b, csvOf(secret+"-1", secret+"-2")) {
		t.Error("the file outside the data directory was changed")
	}
	// Names never shape a subject, nor break a log line.
	if got := p.traffic.subjects(); !slices.Equal(got, []string{"ingest.data", "ingest.rejected"}) {
		t.Errorf("subjects used: %q, want only ingest.data and ingest.rejected", got)
	}
	if bad := p.logs.injected(); len(bad) > 0 {
		t.Errorf("log output that is not one JSON record per line: %q", bad)
	}
	t.Logf("hostile input directory: %s\n| entry | outcome |\n|---|---|\n%s", p.Describe(), strings.Join(table, "\n"))
}

func (p *pipeline) checkHostile(t *testing.T, c hostileCase) string {
	name := c.name
	stored := strings.ToValidUTF8(strings.ReplaceAll(name, "\x00", "\uFFFD"), "\uFFFD") // as PostgreSQL keeps it
	loaded := p.strings(`SELECT u.event_id FROM user_activity u JOIN ingest_ledger l ON coalesce(l.source_seq, l.stream_seq) = u.source_seq
		WHERE l.file_name = $1 ORDER BY 1`, stored)
	reasons := p.strings("SELECT reason FROM rejected_files WHERE file_name = $1", stored)
	safe := logging.SafeName(name)
	if c.logged != "" && p.logs.wait(c.logged, map[string]string{"file": safe}, 1) != 1 {
		t.Errorf("want one log line %q", c.logged)
	}
	switch {
	case c.ignored:
		if _, err := os.Lstat(filepath.Join(p.Data.Path(datadir.Input), name)); err != nil {
			t.Errorf("an ignored file left input: %v", err)
		}
		if len(loaded)+len(reasons) > 0 {
			t.Errorf("an ignored file was processed: loaded %q, rejected %q", loaded, reasons)
		}
		if p.logs.wait("ignoring hidden or temporary file", map[string]string{"file": safe}, 1) != 1 {
			t.Error("want one log line saying the file is ignored")
		}
		return "ignored (hidden or temporary name), left in input, logged once"
	case c.rejected != "":
		if len(reasons) != 1 || reasons[0] != c.rejected {
			t.Errorf("rejected_files reasons %q, want %q", reasons, c.rejected)
		}
		if len(loaded) > 0 {
			t.Errorf("loaded %q from a rejected entry", loaded)
		}
		moved, reason := p.rejectedEntry(t, name)
		if reason != c.rejected+"\n" {
			t.Errorf("reason file beside %q holds %q, want %q", moved, reason, c.rejected+"\n")
		}
		if p.logs.wait("file rejected", map[string]string{"file": safe, "reason": c.rejected}, 1) != 1 {
			t.Error("want one log line saying the file was rejected, and why")
		}
		return "rejected: " + c.rejected
	default:
		if !slices.Equal(loaded, c.loaded) {
			t.Errorf("loaded %q, want %q", loaded, c.loaded)
		}
		if n := p.Count("SELECT count(*) FROM ingest_ledger WHERE file_name = $1", stored); n != 1 {
			t.Errorf("%d messages for the file, want exactly one: never published half-written", n)
		}
		if p.logs.wait("file published", map[string]string{"file": safe}, 1) != 1 {
			t.Error("want one log line saying the file was published")
		}
		return fmt.Sprintf("loaded %d, archived", len(loaded))
	}
}

// rejectedEntry finds what the watcher moved to rejected/ for name (a name
// too long to take ".reason" is shortened) and the reason beside it.
func (p *pipeline) rejectedEntry(t *testing.T, name string) (string, string) {
	t.Helper()
	dir := p.Data.Path(datadir.Rejected)
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		n := e.Name()
		if strings.HasSuffix(n, datadir.ReasonSuffix) || !(n == name || (len(n) >= 200 && strings.HasPrefix(name, n[:200]))) {
			continue
		}
		reason, err := os.ReadFile(filepath.Join(dir, n+datadir.ReasonSuffix))
		if err != nil {
			t.Errorf("no reason beside rejected/%s: %v", logging.SafeName(n), err)
		}
		return n, string(reason)
	}
	t.Errorf("nothing in rejected/ for %q", logging.SafeName(name))
	return "", ""
}

// pgContains lists the tables of the database with a row mentioning s.
func (p *pipeline) pgContains(s string) []string {
	var found []string
	for _, table := range p.strings("SELECT tablename FROM pg_tables WHERE schemaname = 'public'") {
		n := p.Count(fmt.Sprintf("SELECT count(*) FROM %q t WHERE strpos(to_jsonb(t)::text, $1) > 0", table), s)
		if n > 0 {
			found = append(found, table)
		}
	}
	return found
}
