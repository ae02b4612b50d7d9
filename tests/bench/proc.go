package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// proc is one child process: a service or nats-server. Its output goes to
// a log file; its resource use is read from rusage once it has exited.
type proc struct {
	name    string
	log     string // its output
	cmd     *exec.Cmd
	started time.Time
	startup time.Duration // exec until ready
	addr    chan string   // the HTTP address a service logs once it listens
	done    chan struct{}
	err     error
	peakRSS float64 // MiB, read just before it was stopped
}

// ServiceStat is what one child cost.
type ServiceStat struct {
	Name       string  `json:"name"`
	StartupMS  float64 `json:"startup_ms"`
	PeakRSSMB  float64 `json:"peak_rss_mb"`
	CPUSeconds float64 `json:"cpu_seconds"`
	Exit       string  `json:"exit"`
}

// startProc runs path with env added to the bench's own, logging to logPath.
func startProc(name, path string, args, env []string, logPath string) (*proc, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	p := &proc{name: name, log: logPath, addr: make(chan string, 1), done: make(chan struct{})}
	p.cmd = exec.Command(path, args...)
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout = logFile
	p.cmd.SysProcAttr = procAttr()
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		logFile.Close()
		return nil, err
	}
	p.started = time.Now()
	if err := p.cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		p.scan(stderr, logFile)
	}()
	go func() {
		<-scanned // Wait closes the pipe: read it to the end first
		p.err = p.cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	return p, nil
}

// scan copies the child's log to w and picks out the address its
// telemetry server reports (JSON logs: "serving metrics and health").
func (p *proc) scan(r io.Reader, w io.Writer) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		_, _ = w.Write(append(line, '\n'))
		if !strings.Contains(string(line), "serving metrics and health") {
			continue
		}
		var rec struct{ Addr string }
		if json.Unmarshal(line, &rec) == nil && rec.Addr != "" {
			select {
			case p.addr <- rec.Addr:
			default:
			}
		}
	}
	_, _ = io.Copy(w, r)
}

// waitReady polls url until it answers 200 and records the start-up time.
func (p *proc) waitReady(ctx context.Context, url string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: time.Second}
	for {
		resp, err := client.Get(url)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				p.startup = time.Since(p.started)
				return nil
			}
			err = errors.New(resp.Status)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after %s: %w", p.name, timeout, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-p.done:
			return fmt.Errorf("%s exited before it was ready: %v (see %s)", p.name, p.err, p.log)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// serviceAddr waits for the HTTP address a service logs at start.
func (p *proc) serviceAddr(ctx context.Context, timeout time.Duration) (string, error) {
	select {
	case a := <-p.addr:
		return a, nil
	case <-p.done:
		return "", fmt.Errorf("%s exited at start: %v (see %s)", p.name, p.err, p.log)
	case <-ctx.Done():
		return "", ctx.Err()
	case <-time.After(timeout):
		return "", fmt.Errorf("%s did not report its HTTP address within %s (see %s)", p.name, timeout, p.log)
	}
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

// cpu is the CPU seconds the child used so far: from /proc while it runs,
// from rusage once it has exited (the latency run's generator finishes
// before the run does).
func (p *proc) cpu() float64 {
	select {
	case <-p.done:
		return p.stat().CPUSeconds
	default:
		return processCPU(p.pid())
	}
}

// stop sends SIGTERM, waits up to timeout, then kills.
func (p *proc) stop(timeout time.Duration) {
	select {
	case <-p.done:
		return
	default:
	}
	p.peakRSS = peakRSS(p.pid())
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(timeout):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// stat reads rusage of the exited child. Its peak resident set is VmHWM
// as it was stopped where /proc has it; ru_maxrss (KiB on Linux) also
// counts the bench's own, which the child started with (see peakRSS).
func (p *proc) stat() ServiceStat {
	s := ServiceStat{Name: p.name, StartupMS: ms(p.startup), Exit: "ok"}
	if p.err != nil {
		s.Exit = p.err.Error()
	}
	if ps := p.cmd.ProcessState; ps != nil {
		if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
			s.PeakRSSMB = float64(ru.Maxrss) / 1024
		}
		if p.peakRSS > 0 {
			s.PeakRSSMB = p.peakRSS
		}
		s.CPUSeconds = (ps.UserTime() + ps.SystemTime()).Seconds()
	}
	return s
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
