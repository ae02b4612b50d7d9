package security

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/tributary-dev/tributary/shared/contract"
	"github.com/tributary-dev/tributary/shared/secrets"
	"github.com/tributary-dev/tributary/tests/harness"
)

// Runs the pipeline with the shipped least-privilege settings (nkeys,
// per-service permissions, the loader as a member of tributary_loader with
// a password file), logging everything at debug level and the NATS server
// at trace level, including failed logins and the duplicate-event path;
// then greps the logs, /metrics and /readyz for every configured secret.
func TestSecretsStayOutOfLogsAndMetrics(t *testing.T) {
	env := harness.NewSecure(t)
	run := t.TempDir()
	logs := &lockedFile{f: create(t, filepath.Join(run, "services.log"))}
	env.Logs = logs
	env.NATS.SetLoggerV2(&natsLogger{w: &lockedFile{f: create(t, filepath.Join(run, "nats-server.log"))}}, true, true, false)
	env.Vars["HTTP_ADDR"] = "127.0.0.1:0"
	env.Vars["LOG_LEVEL"] = "debug"

	env.Loader(nil)
	env.Watcher(nil)
	// A watcher with a key the server does not know: its failures are logged too.
	stranger := harness.Credentials(t)
	env.Watcher(map[string]string{"WATCHER_ID": "intruder", "NATS_NKEY_FILE": stranger.NATS[secrets.Watcher].SeedFile})

	const files, rows = 5, 100
	env.Generate(files, rows, nil)
	env.Land("dup-a.csv", csvFile("dup-1", "dup-2"))
	env.Eventually(30*time.Second, "first file loaded", func() bool { return env.Rows() == files*rows+2 })
	env.Land("dup-b.csv", csvFile("dup-2", "dup-3")) // dup-2 again: the staging path, as the loader role
	env.Eventually(30*time.Second, "all rows loaded", func() bool { return env.Rows() == files*rows+3 })
	if n := env.Count("SELECT count(*) FROM user_activity_rejects WHERE file_name = 'dup-b.csv'"); n != 1 {
		t.Fatalf("%d duplicate rejects, want 1", n)
	}
	// The loader's acks pass its permissions: the work queue empties.
	js, err := jetstream.New(harness.Admin(t, env.Creds, env.NATS))
	if err != nil {
		t.Fatal(err)
	}
	env.Eventually(10*time.Second, "the work queue empty", func() bool {
		s, err := js.Stream(t.Context(), "INGEST")
		return err == nil && s.CachedInfo().State.Msgs == 0
	})
	var user string
	var super bool
	if err := env.Pool.QueryRow(t.Context(), `SELECT a.usename, r.rolsuper FROM pg_stat_activity a JOIN pg_roles r ON r.rolname = a.usename
		WHERE a.datname = current_database() AND a.application_name = 'tributary-loader' LIMIT 1`).Scan(&user, &super); err != nil {
		t.Fatalf("the loader's session: %v", err)
	}
	if !strings.HasPrefix(user, "tributary_loader_") || super {
		t.Fatalf("the loader runs as %s (superuser %v), want its least-privilege login", user, super)
	}

	// The endpoints of every service, found in the log.
	addrs := regexp.MustCompile(`"msg":"serving metrics and health","addr":"([^"]+)"`).FindAllSubmatch(logs.bytes(t), -1)
	// Watcher, intruder, loader, then the generator, which has finished its
	// files and stopped serving: its endpoints are not there to read.
	if len(addrs) != 4 {
		t.Fatalf("found %d telemetry addresses in the log, want 4", len(addrs))
	}
	for i, a := range addrs[:3] {
		for _, path := range []string{"/metrics", "/readyz"} {
			body := get(t, "http://"+string(a[1])+path)
			if path == "/metrics" && !bytes.Contains(body, []byte("tributary_")) {
				t.Fatalf("%s%s has no tributary metrics", a[1], path)
			}
			name := fmt.Sprintf("endpoint-%d%s.txt", i, strings.ReplaceAll(path, "/", "-"))
			if err := os.WriteFile(filepath.Join(run, name), body, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}

	// The secrets: every nkey seed and the database password.
	var patterns []string
	for _, dir := range []string{env.Creds.Dir, stranger.Dir} {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			if s := strings.TrimSpace(string(b)); len(s) >= 16 {
				patterns = append(patterns, s)
			}
		}
	}
	if len(patterns) != 9 { // 4 + 4 seeds, 1 password
		t.Fatalf("%d secrets, want 9", len(patterns))
	}
	patternFile := filepath.Join(t.TempDir(), "secrets.txt")
	if err := os.WriteFile(patternFile, []byte(strings.Join(patterns, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	// The grep must work: it finds what is there, the failed logins included.
	for _, control := range []string{"batch committed", "Authorization Violation", "CONNECT"} {
		if out, err := exec.Command("grep", "-rlF", control, run).Output(); err != nil || len(out) == 0 {
			t.Fatalf("control grep for %q found nothing (%v)", control, err)
		}
	}
	// And it finds no secret. Exit status 1 means no line matched.
	out, err := exec.Command("grep", "-rF", "-f", patternFile, run).CombinedOutput()
	var exitErr *exec.ExitError
	if err == nil || !asExit(err, &exitErr) || exitErr.ExitCode() != 1 {
		t.Fatalf("grep found secrets (%v):\n%s", err, out)
	}
	t.Logf("$ grep -rF -f secrets.txt (%d secrets) %s  -> exit status 1, no match in:", len(patterns), run)
	entries, _ := os.ReadDir(run)
	for _, e := range entries {
		info, _ := e.Info()
		t.Logf("    %-28s %8d bytes", e.Name(), info.Size())
	}
	// The same check in Go, independent of grep.
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(run, e.Name()))
		for _, p := range patterns {
			if bytes.Contains(b, []byte(p)) {
				t.Errorf("%s contains a secret", e.Name())
			}
		}
	}
}

func csvFile(ids ...string) []byte {
	var b strings.Builder
	b.WriteString(contract.HeaderLine + "\n")
	for _, id := range ids { // one time: a repeated id is the same event
		fmt.Fprintf(&b, "%s,2026-11-26 10:00:00,view,1,1.50,1,s\n", id)
	}
	return []byte(b.String())
}

func get(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func asExit(err error, target **exec.ExitError) bool {
	e, ok := err.(*exec.ExitError)
	*target = e
	return ok
}

func create(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// lockedFile serialises writes of several goroutines.
type lockedFile struct {
	mu sync.Mutex
	f  *os.File
}

func (l *lockedFile) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.f.Write(p)
}

func (l *lockedFile) bytes(t *testing.T) []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, err := os.ReadFile(l.f.Name())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// natsLogger writes the server's log, trace included.
type natsLogger struct{ w io.Writer }

func (l *natsLogger) logf(level, format string, v ...any) {
	fmt.Fprintf(l.w, "[%s] %s\n", level, fmt.Sprintf(format, v...))
}
func (l *natsLogger) Noticef(format string, v ...any) { l.logf("INF", format, v...) }
func (l *natsLogger) Warnf(format string, v ...any)   { l.logf("WRN", format, v...) }
func (l *natsLogger) Fatalf(format string, v ...any)  { l.logf("FTL", format, v...) }
func (l *natsLogger) Errorf(format string, v ...any)  { l.logf("ERR", format, v...) }
func (l *natsLogger) Debugf(format string, v ...any)  { l.logf("DBG", format, v...) }
func (l *natsLogger) Tracef(format string, v ...any)  { l.logf("TRC", format, v...) }
