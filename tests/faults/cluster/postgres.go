package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Postgres is a private PostgreSQL instance run from the machine's server
// binaries: its own data directory, port and socket directory, so a test
// can SIGKILL it and start it again (crash recovery) without touching the
// server the other tests share.
type Postgres struct {
	Dir      string // the instance's root: data/, sock/, postgres.log
	Port     int
	AdminURL string // the maintenance database over TCP, as TEST_DATABASE_URL takes it

	bin  string
	cred *syscall.Credential // the postgres user when we are root; nil runs as ourselves
	cmd  *exec.Cmd
	done chan struct{}
}

// StartPostgres initialises and starts a private instance, removed with
// its directory when the test ends, whatever its outcome. A machine without
// the server binaries (or, as root, without a postgres user) fails the test
// under CI=true and skips it loudly elsewhere.
func StartPostgres(t testing.TB) *Postgres {
	t.Helper()
	p := &Postgres{}
	var err error
	if p.bin, p.cred, err = serverBinaries(); err != nil {
		msg := "cannot run a private PostgreSQL instance: " + err.Error()
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip("SKIPPED, NOT PASSED: " + msg)
	}
	// Not t.TempDir: its parents are private to root, and the server runs
	// as postgres.
	if p.Dir, err = os.MkdirTemp("", "tributary-pg-"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.kill()
		if err := os.RemoveAll(p.Dir); err != nil {
			t.Logf("remove private PostgreSQL instance: %v", err)
		}
	})
	if p.cred != nil {
		if err := os.Chown(p.Dir, int(p.cred.Uid), int(p.cred.Gid)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(p.sockDir(), 0o700); err != nil {
		t.Fatal(err)
	}
	if p.cred != nil {
		if err := os.Chown(p.sockDir(), int(p.cred.Uid), int(p.cred.Gid)); err != nil {
			t.Fatal(err)
		}
	}
	// --no-sync only skips initdb's own flush of the fresh files: the
	// tests crash processes, never the OS, and the server runs with fsync on.
	initdb := p.command(filepath.Join(p.bin, "initdb"), "-D", p.dataDir(), "-U", "postgres",
		"--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions")
	if out, err := initdb.CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	if p.Port, err = freePort(); err != nil {
		t.Fatal(err)
	}
	p.AdminURL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", p.Port)
	if _, err := p.Start(); err != nil {
		t.Fatal(err)
	}
	return p
}

func serverBinaries() (string, *syscall.Credential, error) {
	out, err := exec.Command("pg_config", "--bindir").Output()
	if err != nil {
		return "", nil, fmt.Errorf("pg_config --bindir: %w (install the PostgreSQL server package)", err)
	}
	bin := strings.TrimSpace(string(out))
	for _, name := range []string{"initdb", "postgres"} {
		if _, err := os.Stat(filepath.Join(bin, name)); err != nil {
			return "", nil, fmt.Errorf("no %s in %s: %w", name, bin, err)
		}
	}
	if os.Geteuid() != 0 {
		return bin, nil, nil
	}
	// initdb and postgres refuse to run as root.
	u, err := user.Lookup("postgres")
	if err != nil {
		return "", nil, fmt.Errorf("running as root and %w: initdb and postgres refuse root", err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return "", nil, err
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return "", nil, err
	}
	return bin, &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func (p *Postgres) dataDir() string { return filepath.Join(p.Dir, "data") }
func (p *Postgres) sockDir() string { return filepath.Join(p.Dir, "sock") }

// LogFile is where the server writes, across restarts.
func (p *Postgres) LogFile() string { return filepath.Join(p.Dir, "postgres.log") }

// command runs as the postgres user directly (rather than through
// runuser) so the postmaster is our child and leads its own process group.
func (p *Postgres) command(path string, args ...string) *exec.Cmd {
	cmd := exec.Command(path, args...)
	cmd.Dir = p.Dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred, Setpgid: true, Pdeathsig: syscall.SIGKILL}
	return cmd
}

// Start runs the postmaster and waits until it accepts connections, which
// after a crash is when recovery has replayed the WAL. It returns how long
// that took.
func (p *Postgres) Start() (time.Duration, error) {
	log, err := os.OpenFile(p.LogFile(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return 0, err
	}
	defer log.Close() // the child holds its own copy
	cmd := p.command(filepath.Join(p.bin, "postgres"), "-D", p.dataDir(),
		"-c", "port="+strconv.Itoa(p.Port), "-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories="+p.sockDir(), "-c", "fsync=on", "-c", "synchronous_commit=on",
		"-c", "full_page_writes=on")
	cmd.Stdout, cmd.Stderr = log, log
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("start postgres: %w", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	p.cmd, p.done = cmd, done
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn, err := pgx.Connect(ctx, p.AdminURL)
		if err == nil {
			_ = conn.Close(ctx)
			cancel()
			return time.Since(start), nil
		}
		cancel()
		select {
		case <-done:
			return 0, fmt.Errorf("postgres exited while starting (see %s): %w", p.LogFile(), err)
		default:
		}
		if time.Since(start) > 2*time.Minute {
			return 0, fmt.Errorf("postgres not accepting connections after %s (see %s): %w", time.Since(start), p.LogFile(), err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Crash SIGKILLs the postmaster and every backend, as a lost machine
// would, first the backends of first (those a test caught in the middle of
// something: finding the others takes milliseconds), and returns once none
// of them runs: a backend left alive would keep the next postmaster from
// starting.
func (p *Postgres) Crash(first ...int) error {
	if p.cmd == nil {
		return errors.New("postgres is not running")
	}
	pids := p.kill(first...)
	deadline := time.Now().Add(30 * time.Second)
	for {
		n := alive(pids)
		if n == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d postgres processes still alive 30s after SIGKILL", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// kill SIGKILLs the postmaster and its children and returns their pids.
// Each backend leads a session of its own (PostgreSQL calls setsid), so
// no process group holds them all: the postmaster is stopped first so it
// forks no new one and cannot react to the first deaths, then its
// children are found and killed with it.
func (p *Postgres) kill(first ...int) []int {
	if p.cmd == nil {
		return nil
	}
	pm := p.cmd.Process.Pid
	_ = syscall.Kill(pm, syscall.SIGSTOP)
	for _, pid := range first {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	pids := append(children(pm), pm)
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	<-p.done
	return pids
}

// stat returns the state and parent of a process from /proc/PID/stat.
func stat(pid string) (state, ppid string, ok bool) {
	b, err := os.ReadFile(filepath.Join("/proc", pid, "stat"))
	if err != nil {
		return "", "", false // exited meanwhile
	}
	// pid (comm) state ppid ...; comm may hold spaces and parentheses.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 2 {
		return "", "", false
	}
	return f[0], f[1], true
}

func children(parent int) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if _, ppid, ok := stat(e.Name()); ok && ppid == strconv.Itoa(parent) {
			out = append(out, pid)
		}
	}
	return out
}

// alive counts the processes of pids that are not zombies: orphaned
// backends are reaped by PID 1, which may take its time, and a zombie
// holds no shared memory.
func alive(pids []int) int {
	n := 0
	for _, pid := range pids {
		if state, _, ok := stat(strconv.Itoa(pid)); ok && state != "Z" && state != "X" {
			n++
		}
	}
	return n
}
