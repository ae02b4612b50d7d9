package input

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/shared/datadir"
	"github.com/tributary-dev/tributary/tests/harness"
)

// TestUnreadableFileIsRejected lands a file the watcher may not read: it
// is rejected with the reason and its content goes nowhere. Root reads any
// file whatever its mode, so when the tests run as root this test runs
// itself again, in a child process of the user nobody, where the
// permission check is real.
func TestUnreadableFileIsRejected(t *testing.T) {
	if os.Geteuid() == 0 {
		runAsNobody(t, "TestUnreadableFileIsRejected")
		return
	}
	p := startPipeline(t, nil)
	tmp := filepath.Join(p.Data.Path(datadir.Temp), "unreadable")
	if err := os.WriteFile(tmp, csvOf(secret+"-unreadable"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(tmp, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := os.ReadFile(tmp); err == nil {
		t.Skip("SKIPPED, NOT PASSED: this user reads files without read permission (CAP_DAC_OVERRIDE?): nothing to check")
	}
	const name = "no-read-permission.csv"
	if err := os.Rename(tmp, filepath.Join(p.Data.Path(datadir.Input), name)); err != nil {
		t.Fatal(err)
	}
	p.idle(30 * time.Second)

	const reason = "cannot be read: permission denied"
	if got := p.strings("SELECT reason FROM rejected_files WHERE file_name = $1", name); len(got) != 1 || got[0] != reason {
		t.Errorf("rejected_files = %q, want %q", got, reason)
	}
	if b, err := os.ReadFile(filepath.Join(p.Data.Path(datadir.Rejected), name+datadir.ReasonSuffix)); err != nil || string(b) != reason+"\n" {
		t.Errorf("reason file = %q, %v", b, err)
	}
	if p.logs.wait("file rejected", map[string]string{"file": name, "reason": reason}, 1) != 1 {
		t.Error("want one log line saying the file was rejected, and why")
	}
	if where := p.pgContains(secret); len(where) > 0 || p.traffic.contains(secret) {
		t.Errorf("the unreadable content leaked: PostgreSQL tables %v, NATS %v", where, p.traffic.contains(secret))
	}
	if p.Rows() != 0 {
		t.Errorf("%d rows loaded from an unreadable file", p.Rows())
	}
}

// runAsNobody runs the named test of this test binary again as the user
// nobody (65534) and fails if it does not pass there.
func runAsNobody(t *testing.T, test string) {
	t.Helper()
	const nobody = 65534
	dir, err := os.MkdirTemp("", "tributary-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	tmp := filepath.Join(dir, "tmp")
	bin := filepath.Join(dir, "input.test")
	if err := os.Mkdir(tmp, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(tmp, 0o777); err != nil { // whatever the umask
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := copyExecutable(bin); err != nil {
		t.Fatal(err)
	}
	// The checkout may be private to its owner (a clone in a 0700 temporary
	// directory): give the child a readable copy of the configuration it loads.
	repo := filepath.Join(dir, "repo")
	for _, sub := range []string{"deployments", "contracts"} {
		if err := os.CopyFS(filepath.Join(repo, sub), os.DirFS(harness.RepoFile(sub))); err != nil {
			t.Fatal(err)
		}
	}
	if err := filepath.WalkDir(repo, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if d.IsDir() {
			mode = 0o755
		}
		return os.Chmod(p, mode)
	}); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^"+test+"$", "-test.v", "-test.count=1", "-test.timeout=2m")
	cmd.Dir = tmp
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp, "HOME="+tmp, harness.RepoEnv+"="+repo)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Skipf("SKIPPED, NOT PASSED: running as root, which reads any file, and cannot start a child as nobody to check the permission rule: %v", err)
	}
	t.Logf("%s, run again as the user nobody (uid %d):\n%s", test, nobody, out)
	if err != nil || !bytes.Contains(out, []byte("--- PASS: "+test)) {
		t.Fatalf("%s did not pass as nobody: %v", test, err)
	}
}

func copyExecutable(dst string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	src, err := os.Open(self)
	if err != nil {
		return err
	}
	defer src.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, src); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
