//go:build linux

package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// procAttr has the kernel stop a child should the bench die, so no
// nats-server or service outlives an interrupted run.
func procAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} }

// clockTicks is USER_HZ, the unit of /proc CPU times (100 on every Linux
// build that matters).
const clockTicks = 100

// machineBusy returns the CPU seconds all cores spent on anything but idle
// and I/O wait since boot: sampled before and after a run, it shows how much
// of the machine the run (and anything else running) used.
func machineBusy() float64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	fields := strings.Fields(line)
	var total, idle float64
	for i, f := range fields[1:] {
		v, _ := strconv.ParseFloat(f, 64)
		if i == 7 { // steal: time another guest had; not ours, not idle
			continue
		}
		if i >= 8 { // guest times are already in user
			break
		}
		total += v
		if i == 3 || i == 4 { // idle, iowait
			idle += v
		}
	}
	return (total - idle) / clockTicks
}

// processCPU returns the user+system CPU seconds of a live process (a
// PostgreSQL backend, which is not our child and has no rusage for us).
func processCPU(pid int) float64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(b)
	// The command name is in parentheses and may hold spaces.
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 13 {
		return 0
	}
	utime, _ := strconv.ParseFloat(fields[11], 64)
	stime, _ := strconv.ParseFloat(fields[12], 64)
	return (utime + stime) / clockTicks
}

func readTrim(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// cpuModel is the first "model name" of /proc/cpuinfo.
func cpuModel() string {
	for _, line := range strings.Split(readTrim("/proc/cpuinfo"), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// peakRSS is a running process's peak resident set in MiB (VmHWM), or 0.
// The kernel's ru_maxrss cannot serve: a child forked with CLONE_VM, as
// Go forks, starts with its parent's high-water mark, the bench's own.
func peakRSS(pid int) float64 {
	for _, line := range strings.Split(readTrim(fmt.Sprintf("/proc/%d/status", pid)), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

func kernel() string  { return readTrim("/proc/sys/kernel/osrelease") }
func loadAvg() string { return strings.Join(strings.Fields(readTrim("/proc/loadavg"))[:3], " ") }

// syncFS flushes every file of dir's filesystem to disk with one syncfs(2),
// where an fsync per file of a 100,000-file dataset would take minutes.
func syncFS(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := unix.Syncfs(int(f.Fd())); err != nil {
		return fmt.Errorf("syncfs %s: %w", dir, err)
	}
	return nil
}

// freeBytes is the space left to an unprivileged writer on dir's
// filesystem.
func freeBytes(dir string) (int64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return int64(st.Bavail) * st.Bsize, nil
}
