package cluster

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// Proc is a service run as its own OS process, so that SIGKILL is real.
// Its output goes to a log file that survives restarts.
type Proc struct {
	Name string
	path string
	args []string
	env  []string
	log  string

	mu       sync.Mutex
	cmd      *exec.Cmd
	done     chan struct{}
	err      error
	starts   int
	expected bool // the last exit was asked for (Kill, Stop)
}

// NewProc describes a process; Start runs it.
func NewProc(name, path string, args, env []string, logFile string) *Proc {
	return &Proc{Name: name, path: path, args: args, env: env, log: logFile}
}

// Start runs the process. It must not be running.
func (p *Proc) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.running() {
		return fmt.Errorf("%s is already running", p.Name)
	}
	out, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	p.starts++
	fmt.Fprintf(out, "=== %s start #%d at %s\n", p.Name, p.starts, time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(p.path, p.args...)
	cmd.Env = append(os.Environ(), p.env...)
	cmd.Stdout, cmd.Stderr = out, out
	// The kernel kills the child if the test process dies.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		out.Close()
		return fmt.Errorf("start %s: %w", p.Name, err)
	}
	done := make(chan struct{})
	p.cmd, p.done, p.expected = cmd, done, false
	go func() {
		err := cmd.Wait()
		out.Close()
		p.mu.Lock()
		p.err = err
		p.mu.Unlock()
		close(done)
	}()
	return nil
}

func (p *Proc) setEnv(env []string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.running() {
		return fmt.Errorf("%s is running: stop it before changing its environment", p.Name)
	}
	p.env = env
	return nil
}

func (p *Proc) running() bool {
	if p.done == nil {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// Running reports whether the process is alive.
func (p *Proc) Running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.running()
}

// Kill sends SIGKILL and waits for the process to die.
func (p *Proc) Kill() { p.signalAndWait(syscall.SIGKILL, 0) }

// Stop sends SIGTERM and waits up to timeout, then kills.
func (p *Proc) Stop(timeout time.Duration) { p.signalAndWait(syscall.SIGTERM, timeout) }

// Pause stops the process in its tracks (SIGSTOP): it holds whatever it
// holds, sends nothing, answers nothing.
func (p *Proc) Pause() error { return p.signal(syscall.SIGSTOP) }

// Resume continues a paused process.
func (p *Proc) Resume() error { return p.signal(syscall.SIGCONT) }

func (p *Proc) signal(sig syscall.Signal) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.running() {
		return fmt.Errorf("%s is not running", p.Name)
	}
	return p.cmd.Process.Signal(sig)
}

func (p *Proc) signalAndWait(sig syscall.Signal, timeout time.Duration) {
	p.mu.Lock()
	if !p.running() {
		p.mu.Unlock()
		return
	}
	p.expected = true
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	_ = cmd.Process.Signal(syscall.SIGCONT) // a paused process cannot handle SIGTERM
	_ = cmd.Process.Signal(sig)
	if sig == syscall.SIGKILL {
		<-done
		return
	}
	select {
	case <-done:
	case <-time.After(timeout):
		_ = cmd.Process.Kill()
		<-done
	}
}

// Wait waits for the process to exit by itself and returns its error.
func (p *Proc) Wait(timeout time.Duration) error {
	p.mu.Lock()
	done := p.done
	p.mu.Unlock()
	if done == nil {
		return errors.New("never started")
	}
	select {
	case <-done:
	case <-time.After(timeout):
		return fmt.Errorf("%s still running after %s", p.Name, timeout)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// Unexpected returns the error of an exit nobody asked for, if the
// process died by itself.
func (p *Proc) Unexpected() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done == nil || p.running() || p.expected {
		return nil
	}
	if p.err == nil {
		return fmt.Errorf("%s exited by itself", p.Name)
	}
	return fmt.Errorf("%s exited by itself: %w", p.Name, p.err)
}

// Starts counts how many times the process was started.
func (p *Proc) Starts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.starts
}

// LogFile is where the process writes.
func (p *Proc) LogFile() string { return p.log }

// Pid is the process id of the running incarnation, or 0 when it is not
// running: samplers read /proc/PID for it.
func (p *Proc) Pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.running() {
		return 0
	}
	return p.cmd.Process.Pid
}
