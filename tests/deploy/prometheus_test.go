package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"go.yaml.in/yaml/v4"
)

var promConfigFile = filepath.Join("..", "..", "deployments", "prometheus", "prometheus.yml")

// speedup divides the shipped rules' durations for the end-to-end test:
// 2m becomes 2s, 15m 15s, with scrapes and evaluations every second.
const speedup = 60

var rangeWindow = regexp.MustCompile(`\[([0-9]+[smh])\]`)

func scaled(t *testing.T, d string) string {
	t.Helper()
	v, err := time.ParseDuration(d)
	if err != nil {
		t.Fatalf("duration %q: %v", d, err)
	}
	return (v / speedup).String()
}

// fastRules derives the test's rules from the shipped file mechanically:
// every `for:` and every range window divided by speedup, the rest kept.
func fastRules(t *testing.T) []byte {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal(readFile(t, rulesFile), &doc); err != nil {
		t.Fatal(err)
	}
	for _, g := range doc["groups"].([]any) {
		for _, r := range g.(map[string]any)["rules"].([]any) {
			rule := r.(map[string]any)
			if f, ok := rule["for"].(string); ok {
				rule["for"] = scaled(t, f)
			}
			rule["expr"] = rangeWindow.ReplaceAllStringFunc(rule["expr"].(string), func(w string) string {
				return "[" + scaled(t, w[1:len(w)-1]) + "]"
			})
		}
	}
	out, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// fastConfig derives the test's Prometheus configuration from the shipped
// one: its jobs and labels, each target replaced by the address where the
// test runs the service its `service` label names.
func fastConfig(t *testing.T, rules string, addrs map[string]string) []byte {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal(readFile(t, promConfigFile), &doc); err != nil {
		t.Fatal(err)
	}
	doc["global"] = map[string]any{"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"}
	doc["rule_files"] = []any{rules}
	for _, sc := range doc["scrape_configs"].([]any) {
		for _, st := range sc.(map[string]any)["static_configs"].([]any) {
			st := st.(map[string]any)
			svc := st["labels"].(map[string]any)["service"].(string)
			addr, ok := addrs[svc]
			if !ok {
				t.Fatalf("prometheus.yml scrapes %s, which the test does not run", svc)
			}
			st["targets"] = []any{addr}
		}
	}
	out, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// promServer is a real Prometheus server run by the test.
type promServer struct {
	t   *testing.T
	url string
}

func startPrometheus(t *testing.T, bin string, addrs map[string]string) *promServer {
	t.Helper()
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules.yml")
	if err := os.WriteFile(rules, fastRules(t), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfg, fastConfig(t, rules, addrs), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	logFile, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--config.file="+cfg, "--storage.tsdb.path="+filepath.Join(dir, "tsdb"),
		"--web.listen-address="+addr, "--log.level=warn")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("start prometheus: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); logFile.Close(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	p := &promServer{t: t, url: "http://" + addr}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if resp, err := http.Get(p.url + "/-/ready"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(dir, "prometheus.log"))
			t.Fatalf("prometheus not ready after 60s:\n%s", b)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (p *promServer) api(path string, params url.Values, into any) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.url+path+"?"+params.Encode(), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatalf("prometheus %s: %v", path, err)
	}
	defer resp.Body.Close()
	var body struct {
		Status string          `json:"status"`
		Error  string          `json:"error"`
		Data   json.RawMessage `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.Status != "success" {
		p.t.Fatalf("prometheus %s %v: %s %v", path, params, body.Error, err)
	}
	if err := json.Unmarshal(body.Data, into); err != nil {
		p.t.Fatalf("prometheus %s: %v", path, err)
	}
}

type alert struct {
	Labels map[string]string `json:"labels"`
	State  string            `json:"state"`
}

// firing lists the firing alerts named name, as "name{service}".
func (p *promServer) firing(name string) []alert {
	var data struct{ Alerts []alert }
	p.api("/api/v1/alerts", nil, &data)
	var out []alert
	for _, a := range data.Alerts {
		if a.Labels["alertname"] == name && a.State == "firing" {
			out = append(out, a)
		}
	}
	return out
}

// query returns the number of series expr has now.
func (p *promServer) query(expr string) int {
	var data struct{ Result []json.RawMessage }
	p.api("/api/v1/query", url.Values{"query": {expr}}, &data)
	return len(data.Result)
}

// value is the value of expr's first series now, for printing.
func (p *promServer) value(expr string) string {
	var data struct {
		Result []struct{ Value [2]any }
	}
	p.api("/api/v1/query", url.Values{"query": {expr}}, &data)
	if len(data.Result) == 0 {
		return "none"
	}
	return fmt.Sprint(data.Result[0].Value[1])
}

// waitAlert polls until the alert's firing state is want and returns how
// long that took from since.
func (p *promServer) waitAlert(name string, want bool, since time.Time, timeout time.Duration) time.Duration {
	p.t.Helper()
	for (len(p.firing(name)) > 0) != want {
		if time.Since(since) > timeout {
			p.t.Fatalf("%s: firing is not %v after %v", name, want, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return time.Since(since).Round(100 * time.Millisecond)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return "127.0.0.1:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

func fmtDur(d time.Duration) string { return fmt.Sprintf("%.1fs", d.Seconds()) }
