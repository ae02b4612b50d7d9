package contractdir

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/services/watcher/internal/contracttest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const ordersYAML = "table: orders\nfiles: \"orders-*.csv\"\nheader: by_name\n"

type loads struct {
	mu    sync.Mutex
	names [][]string
}

func (l *loads) ContractsLoaded(names []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.names = append(l.names, names)
}

// syncBuffer is a log sink safe for a Run goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func open(t *testing.T, dir string) (*Dir, *syncBuffer, *loads) {
	t.Helper()
	var logs syncBuffer
	obs := &loads{}
	d, err := Open(dir, time.Hour, slog.New(slog.NewTextHandler(&logs, nil)), obs)
	if err != nil {
		t.Fatal(err)
	}
	return d, &logs, obs
}

// matches routes a file found now.
func matches(t *testing.T, d *Dir, name string) string {
	t.Helper()
	return matchesFound(t, d, name, time.Now())
}

func matchesFound(t *testing.T, d *Dir, name string, found time.Time) string {
	t.Helper()
	c, err := d.Match(name, found)
	if err != nil {
		return "error: " + err.Error()
	}
	return c.Name
}

func TestOpenRefusesAnUnreadableDirectory(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	_, err := Open(missing, time.Hour, slog.New(slog.DiscardHandler), &loads{})
	if err == nil || !strings.Contains(err.Error(), "contracts dir "+missing+" (CONTRACTS_DIR)") {
		t.Fatalf("Open = %v, want an error naming the directory and CONTRACTS_DIR", err)
	}
}

// A refused declaration is logged with its reason; the others route.
func TestOpenLogsARefusedDeclarationAndLoadsTheOthers(t *testing.T) {
	d, logs, obs := open(t, contracttest.Dir(t, map[string]string{
		"orders.yaml":  ordersYAML,
		"returns.yaml": "table: returns\nfiles: \"returns-*.csv\"\nheader: sideways\n",
	}))
	if got := matches(t, d, "orders-1.csv"); got != "orders" {
		t.Errorf("orders-1.csv routed to %s", got)
	}
	if got := matches(t, d, "returns-1.csv"); got != "user_activity" {
		t.Errorf("returns-1.csv routed to %s, want user_activity (returns is refused)", got)
	}
	out := logs.String()
	if !strings.Contains(out, `level=ERROR msg="contract refused" contract=returns`) || !strings.Contains(out, `want exact or by_name`) {
		t.Errorf("log does not say why returns is refused:\n%s", out)
	}
	if !slices.Equal(obs.names[0], []string{"orders", "user_activity"}) {
		t.Errorf("observer saw %v", obs.names)
	}
}

func TestReloadPicksUpChanges(t *testing.T) {
	dir := contracttest.Dir(t, nil)
	d, logs, obs := open(t, dir)
	if got := matches(t, d, "orders-1.csv"); got != "user_activity" {
		t.Fatalf("before: %s", got)
	}
	d.reload() // nothing changed: nothing logged
	if strings.Contains(logs.String(), "contracts reloaded") || len(obs.names) != 1 {
		t.Errorf("an unchanged directory was reloaded:\n%s", logs.String())
	}
	contracttest.Write(t, dir, "orders.yaml", ordersYAML)
	d.reload()
	if got := matches(t, d, "orders-1.csv"); got != "orders" {
		t.Errorf("after adding orders: %s", got)
	}
	if !strings.Contains(logs.String(), `msg="contracts reloaded" dir=`+dir+` contracts="[orders user_activity]"`) {
		t.Errorf("reload not logged with the names:\n%s", logs.String())
	}
	if err := os.Remove(filepath.Join(dir, "orders.yaml")); err != nil {
		t.Fatal(err)
	}
	d.reload()
	if got := matches(t, d, "orders-1.csv"); got != "user_activity" {
		t.Errorf("after removing orders: %s", got)
	}
}

// An edit that breaks a declaration keeps its last valid version in force:
// its files must not suddenly be routed to another contract.
func TestABrokenEditKeepsTheLastValidVersion(t *testing.T) {
	dir := contracttest.Dir(t, map[string]string{"orders.yaml": ordersYAML})
	d, logs, _ := open(t, dir)
	contracttest.Write(t, dir, "orders.yaml", "table: orders\nfiles: \"orders-*.csv\"\nheader: by_name\nunknown_colums: ignore\n")
	d.reload()
	if got := matches(t, d, "orders-1.csv"); got != "orders" {
		t.Fatalf("a broken edit rerouted orders-1.csv to %s", got)
	}
	out := logs.String()
	if !strings.Contains(out, `level=ERROR msg="contract refused on reload; keeping its last valid version" contract=orders`) ||
		!strings.Contains(out, "field unknown_colums not found") || strings.Contains(out, `msg="contract refused"`) {
		t.Errorf("log:\n%s", out)
	}
	// The fix is installed, and the broken version never was.
	contracttest.Write(t, dir, "orders.yaml", "table: orders\nfiles: \"orders-[0-9]*.csv\"\nheader: by_name\n")
	d.reload()
	if got := matches(t, d, "orders-x.csv"); got != "user_activity" {
		t.Errorf("the fixed pattern is not in force: orders-x.csv routed to %s", got)
	}
	if got := matches(t, d, "orders-1.csv"); got != "orders" {
		t.Errorf("orders-1.csv routed to %s", got)
	}
}

func TestAnUnreadableDirectoryKeepsTheContractsInForce(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "contracts")
	if err := os.Rename(contracttest.Dir(t, map[string]string{"orders.yaml": ordersYAML}), dir); err != nil {
		t.Fatal(err)
	}
	d, logs, _ := open(t, dir)
	if err := os.Rename(dir, dir+".gone"); err != nil {
		t.Fatal(err)
	}
	d.reload()
	d.reload()
	if got := matches(t, d, "orders-1.csv"); got != "orders" {
		t.Errorf("orders-1.csv routed to %s", got)
	}
	if n := strings.Count(logs.String(), "cannot reload contracts; keeping those in force"); n != 1 {
		t.Errorf("logged the failure %d times, want once:\n%s", n, logs.String())
	}
}

// Run reloads on its own, and Match is safe while it does (go test -race).
func TestRunReloadsWhileFilesAreMatched(t *testing.T) {
	dir := contracttest.Dir(t, nil)
	d, _, _ := open(t, dir)
	d.interval = time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	contracttest.Write(t, dir, "orders.yaml", ordersYAML)
	deadline := time.Now().Add(5 * time.Second)
	for matches(t, d, "orders-1.csv") != "orders" {
		if time.Now().After(deadline) {
			t.Fatal("Run did not reload")
		}
		time.Sleep(time.Millisecond)
	}
}

// With no valid declaration every file would be rejected: that is said.
func TestAnEmptyDirectoryIsAWarning(t *testing.T) {
	d, logs, _ := open(t, t.TempDir())
	if !strings.Contains(logs.String(), `level=WARN msg="no contract is declared; every landed file will be rejected"`) {
		t.Errorf("log:\n%s", logs.String())
	}
	if got := matches(t, d, "a.csv"); got != "error: the name matches no contract's files pattern (no contract is declared)" {
		t.Errorf("a.csv: %s", got)
	}
}

// A declaration added to the directory is in force for the next file
// matched, before any poll: a file landed right after its contract's
// declaration must not go to the catch-all contract (and be rejected for
// its header, as it was when only the poll reloaded).
func TestADeclarationAddedIsInForceForTheNextFile(t *testing.T) {
	dir := contracttest.Dir(t, nil)
	d, _, _ := open(t, dir) // polls every hour: only Match can notice
	if got := matches(t, d, "orders-1.csv"); got != "user_activity" {
		t.Fatalf("before: %s", got)
	}
	contracttest.Write(t, dir, "orders.yaml", ordersYAML)
	if got := matches(t, d, "orders-2.csv"); got != "orders" {
		t.Errorf("a file matched right after orders.yaml was added went to %s, want orders", got)
	}
}

// A file found before the directory was last looked at is routed by what
// that look saw, without another stat: it landed before anything added
// since. A backlog thus costs a stat per burst, not one per file.
func TestAFileFoundBeforeTheLastLookIsNotLookedAgain(t *testing.T) {
	dir := contracttest.Dir(t, nil)
	d, _, _ := open(t, dir) // polls every hour: only Match can notice
	early := time.Now()
	if got := matchesFound(t, d, "orders-1.csv", early); got != "user_activity" {
		t.Fatalf("before: %s", got)
	}
	contracttest.Write(t, dir, "orders.yaml", ordersYAML)
	if got := matchesFound(t, d, "orders-1.csv", early); got != "user_activity" {
		t.Errorf("a file found before orders.yaml was added went to %s: the directory was looked at again", got)
	}
	if got := matchesFound(t, d, "orders-2.csv", time.Now()); got != "orders" {
		t.Errorf("a file found after orders.yaml was added went to %s, want orders", got)
	}
	if got := matchesFound(t, d, "orders-3.csv", time.Time{}); got != "orders" {
		t.Errorf("a file of unknown finding went to %s, want orders", got)
	}
}
