//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgInstance is a private PostgreSQL server run from the machine's server
// binaries with a configuration of our choosing (-postgres-conf), on its
// own port and data directory: settings are measured without changing the
// server other work shares.
type pgInstance struct {
	dir      string // data/, sock/, postgres.log
	adminURL string
	cmd      *exec.Cmd
	done     chan struct{}
}

// startPostgres initialises an instance under dir with conf included in
// its postgresql.conf and starts it. As root the server runs as the
// postgres user (initdb and postgres refuse root).
func startPostgres(ctx context.Context, dir, conf string) (*pgInstance, error) {
	out, err := exec.CommandContext(ctx, "pg_config", "--bindir").Output()
	if err != nil {
		return nil, fmt.Errorf("pg_config --bindir: %w (install the PostgreSQL server package)", err)
	}
	bin := strings.TrimSpace(string(out))
	cred, err := serverUser()
	if err != nil {
		return nil, err
	}
	if cred != nil && !reachable(dir, cred) {
		// A clone under a private directory (mktemp -d, a 0700 home) cannot
		// be entered by the postgres user: the server lives in the system's
		// temporary directory instead, on its own.
		if dir, err = os.MkdirTemp("", "tributary-bench-postgres-"); err != nil {
			return nil, err
		}
	}
	p := &pgInstance{dir: dir}
	data, sock := filepath.Join(dir, "data"), filepath.Join(dir, "sock")
	for _, d := range []string{dir, sock} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
		if cred != nil {
			if err := os.Chown(d, int(cred.Uid), int(cred.Gid)); err != nil {
				return nil, err
			}
		}
	}
	command := func(name string, args ...string) *exec.Cmd {
		cmd := exec.Command(filepath.Join(bin, name), args...)
		cmd.Dir = dir
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true, Pdeathsig: syscall.SIGTERM}
		return cmd
	}
	if out, err := command("initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8",
		"--no-instructions").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}
	settings, err := os.ReadFile(conf)
	if err != nil {
		return nil, fmt.Errorf("-postgres-conf: %w", err)
	}
	// A copy inside the data directory: the server's user may not read
	// the workspace.
	if err := os.WriteFile(filepath.Join(data, "tributary.conf"), settings, 0o644); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return nil, err
	}
	_, err = fmt.Fprintf(f, "\n# added by the bench: %s\ninclude 'tributary.conf'\n", conf)
	if err = errors.Join(err, f.Close()); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	p.adminURL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	log, err := os.Create(filepath.Join(dir, "postgres.log"))
	if err != nil {
		return nil, err
	}
	defer log.Close() // the child holds its own copy
	// The command line wins over the included file: where it listens.
	p.cmd = command("postgres", "-D", data, "-c", "port="+strconv.Itoa(port), "-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories="+sock)
	p.cmd.Stdout, p.cmd.Stderr = log, log
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	p.done = make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	return p, p.waitReady(ctx)
}

func (p *pgInstance) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(time.Minute)
	for {
		c, err := pgx.Connect(ctx, p.adminURL)
		if err == nil {
			return c.Close(ctx)
		}
		select {
		case <-p.done:
			return fmt.Errorf("postgres exited while starting (see %s): %w", filepath.Join(p.dir, "postgres.log"), err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres not accepting connections after a minute (see %s): %w", filepath.Join(p.dir, "postgres.log"), err)
		}
	}
}

// stop shuts the server down (fast shutdown: sessions ended, a shutdown
// checkpoint) and removes its data unless keep.
func (p *pgInstance) stop(keep bool) error {
	if p.cmd != nil && p.cmd.Process != nil {
		_ = p.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-p.done:
		case <-time.After(2 * time.Minute):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	}
	if keep {
		return nil
	}
	return os.RemoveAll(p.dir)
}

// reachable says whether the server's user may enter every directory on
// the way to dir (the ones that exist: the rest are made and handed over).
func reachable(dir string, cred *syscall.Credential) bool {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return false
	}
	for d := filepath.Dir(abs); ; d = filepath.Dir(d) {
		var st syscall.Stat_t
		if err := syscall.Stat(d, &st); err == nil {
			mode := st.Mode
			ok := mode&0o001 != 0 || (st.Uid == cred.Uid && mode&0o100 != 0) || (st.Gid == cred.Gid && mode&0o010 != 0)
			if !ok {
				return false
			}
		}
		if d == filepath.Dir(d) {
			return true
		}
	}
}

func serverUser() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root and %w: initdb and postgres refuse root", err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, err
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
