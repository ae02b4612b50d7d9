package faults

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tributary-dev/tributary/tests/faults/cluster"
)

// target is one service process the soak watches.
type target struct {
	name string
	proc func() *cluster.Proc // the current incarnation (the generator is respawned as a new Proc)
	addr string               // its HTTP_ADDR; "" when it serves no Prometheus metrics (nats-server)
	hist string               // the latency histogram it serves, "" for none
}

// sample is one reading of one process.
type sample struct {
	at         time.Time
	pid        int // incarnations are told apart by pid: a restart resets RSS, fds and goroutines
	rss        float64
	fds        float64
	goroutines float64 // -1 when not served
}

// series is everything sampled from one target.
type series struct {
	target
	samples []sample
	lat     histAcc
	misses  int // samples skipped: the process was down, paused or did not answer
}

// histAcc sums a cumulative Prometheus histogram over incarnations: a
// restarted process starts again from zero, so a scrape from a new pid
// counts whole and one from the same pid counts as the difference.
type histAcc struct {
	bounds  []float64 // upper bounds, +Inf last
	total   []float64 // cumulative counts per bound, over the run
	last    []float64
	lastPid int
}

func (h *histAcc) add(pid int, bounds, counts []float64) {
	if len(h.bounds) == 0 {
		h.bounds, h.total = bounds, make([]float64, len(bounds))
	}
	if len(counts) != len(h.total) {
		return // a different bucket layout: never from the same binary
	}
	for i, c := range counts {
		if pid == h.lastPid && h.last != nil {
			c -= h.last[i]
		}
		h.total[i] += max(0, c)
	}
	h.last, h.lastPid = counts, pid
}

// quantile interpolates linearly inside the bucket the q-th observation
// falls in, as Prometheus's histogram_quantile does.
func (h *histAcc) quantile(q float64) float64 {
	n := len(h.total)
	if n == 0 || h.total[n-1] == 0 {
		return math.NaN()
	}
	rank := q * h.total[n-1]
	lower, below := 0.0, 0.0
	for i, c := range h.total {
		if c >= rank {
			if math.IsInf(h.bounds[i], 1) {
				return lower // past the last finite bound: its bound is all that is known
			}
			if c == below {
				return h.bounds[i]
			}
			return lower + (h.bounds[i]-lower)*(rank-below)/(c-below)
		}
		lower, below = h.bounds[i], c
	}
	return lower
}

func (h *histAcc) count() float64 {
	if len(h.total) == 0 {
		return 0
	}
	return h.total[len(h.total)-1]
}

// sampleOnce reads the process's RSS and open files from /proc and its
// goroutines and latency histogram from /metrics.
func (s *series) sampleOnce(ctx context.Context, client *http.Client) {
	pid := s.proc().Pid()
	if pid == 0 {
		s.misses++
		return
	}
	rss, err := procRSS(pid)
	if err != nil {
		s.misses++
		return
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		s.misses++
		return
	}
	smp := sample{at: time.Now(), pid: pid, rss: rss, fds: float64(len(fds)), goroutines: -1}
	if s.addr != "" {
		m, err := scrape(ctx, client, "http://"+s.addr+"/metrics")
		if err != nil || s.proc().Pid() != pid { // a paused or restarted process: skip rather than mix incarnations
			s.misses++
			return
		}
		smp.goroutines = m.value("go_goroutines")
		if s.hist != "" {
			bounds, counts := m.buckets(s.hist)
			s.lat.add(pid, bounds, counts)
		}
	}
	s.samples = append(s.samples, smp)
}

func procRSS(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

// metrics is a scraped /metrics page: series line (name and labels) to value.
type metrics map[string]float64

// scrape reads the Prometheus text format; only plain samples are needed,
// so a line split beats a parser dependency.
func scrape(ctx context.Context, client *http.Client, url string) (metrics, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil, fmt.Errorf("scrape %s: %s", url, resp.Status)
	}
	m := metrics{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		m[line[:i]] = v
	}
	return m, sc.Err()
}

func (m metrics) value(name string) float64 {
	if v, ok := m[name]; ok {
		return v
	}
	return -1
}

// buckets returns a histogram's upper bounds and cumulative counts, sorted.
func (m metrics) buckets(name string) (bounds, counts []float64) {
	prefix := name + `_bucket{le="`
	type b struct{ le, n float64 }
	var bs []b
	for k, v := range m {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		le, err := strconv.ParseFloat(strings.TrimSuffix(rest, `"}`), 64)
		if err != nil {
			continue
		}
		bs = append(bs, b{le, v})
	}
	sort.Slice(bs, func(i, j int) bool { return bs[i].le < bs[j].le })
	for _, x := range bs {
		bounds, counts = append(bounds, x.le), append(counts, x.n)
	}
	return bounds, counts
}
