package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/tributary-dev/tributary/shared/config"
	"github.com/tributary-dev/tributary/shared/ingest"
	"go.yaml.in/yaml/v4"
)

var rulesTestFile = filepath.Join("..", "..", "deployments", "prometheus", "rules.test.yml")

type ruleFile struct {
	Groups []struct {
		Name  string
		Rules []struct{ Alert, Record, Expr, For string }
	}
}

type ruleTests struct {
	Tests []struct {
		Name          string
		AlertRuleTest []struct {
			Alertname string
			ExpAlerts []any `yaml:"exp_alerts"`
		} `yaml:"alert_rule_test"`
	}
}

func readYAML(t *testing.T, path string, into any) {
	t.Helper()
	if err := yaml.Unmarshal(readFile(t, path), into); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// TestEveryAlertIsTested fails when an alert of rules.yml has no promtool
// test in rules.test.yml that sees it fire and one that sees it quiet.
func TestEveryAlertIsTested(t *testing.T) {
	var rules ruleFile
	var tests ruleTests
	readYAML(t, rulesFile, &rules)
	readYAML(t, rulesTestFile, &tests)
	fires, quiet := map[string]bool{}, map[string]bool{}
	for _, tc := range tests.Tests {
		for _, a := range tc.AlertRuleTest {
			if len(a.ExpAlerts) > 0 {
				fires[a.Alertname] = true
			} else {
				quiet[a.Alertname] = true
			}
		}
	}
	n := 0
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			n++
			if !fires[r.Alert] {
				t.Errorf("%s: no test in rules.test.yml expects it to fire", r.Alert)
			}
			if !quiet[r.Alert] {
				t.Errorf("%s: no test in rules.test.yml expects it to stay quiet", r.Alert)
			}
		}
	}
	if n == 0 {
		t.Fatal("rules.yml has no alert")
	}
}

// TestIngestLimitInRulesIsTheDefault pins the stream limit written into the
// rules and the dashboard (Prometheus cannot read the stream's config) to
// STREAM_MAX_BYTES's default.
func TestIngestLimitInRulesIsTheDefault(t *testing.T) {
	var def string
	for _, v := range config.Variables(ingest.Settings{}) {
		if v.Name == "STREAM_MAX_BYTES" {
			def = v.Default
		}
	}
	if def == "" {
		t.Fatal("ingest.Settings has no STREAM_MAX_BYTES default")
	}
	// The dashboard's JSON escapes the quotes.
	limit := regexp.MustCompile(`jetstream_stream_total_bytes\{stream_name=\\?"INGEST\\?"\}\s*/\s*([0-9]+)`)
	for _, f := range []string{rulesFile, dashboardFile} {
		found := limit.FindAllStringSubmatch(string(readFile(t, f)), -1)
		if len(found) == 0 {
			t.Errorf("%s does not compare INGEST's bytes with its limit", f)
		}
		for _, m := range found {
			if m[1] != def {
				t.Errorf("%s divides INGEST's bytes by %s; STREAM_MAX_BYTES defaults to %s", f, m[1], def)
			}
		}
	}
}

// TestPromtoolRuleTests runs rules.test.yml with promtool when PROMTOOL
// names the binary (go tool task deploy:check runs promtool itself, and
// deploy:alerts sets PROMTOOL for this test).
func TestPromtoolRuleTests(t *testing.T) {
	bin := os.Getenv("PROMTOOL")
	if bin == "" && os.Getenv("ALERTS_E2E") != "" {
		t.Fatal("ALERTS_E2E is set but PROMTOOL names no promtool binary")
	}
	if bin == "" {
		t.Skip("SKIPPED: PROMTOOL is not set; go tool task deploy:check runs `promtool test rules` itself")
	}
	out, err := exec.Command(bin, "test", "rules", rulesTestFile).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool test rules: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "SUCCESS") {
		t.Fatalf("promtool test rules said no SUCCESS:\n%s", out)
	}
	t.Logf("promtool test rules:\n%s", out)

	// The sped-up copy the end-to-end test loads must be valid rules too.
	fast := filepath.Join(t.TempDir(), "fast.rules.yml")
	if err := os.WriteFile(fast, fastRules(t), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "check", "rules", fast).CombinedOutput(); err != nil {
		t.Fatalf("promtool check rules on the sped-up rules: %v\n%s", err, out)
	}
}
