// Command promexprs turns every Prometheus query of Grafana dashboards into a
// recording rule, so that `promtool check rules` parses each one with
// Prometheus's own PromQL parser. Grafana's interval variables become
// fixed durations first.
//
//	go run ./tests/deploy/promexprs deployments/grafana/dashboards/*.json > queries.rules.yml
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
)

var grafanaVariables = strings.NewReplacer("$__rate_interval", "1m", "$__interval", "1m", "$__range", "1h")

type dashboard struct {
	UID    string `json:"uid"`
	Panels []struct {
		Title   string `json:"title"`
		Targets []struct {
			RefID string `json:"refId"`
			Expr  string `json:"expr"`
		} `json:"targets"`
	} `json:"panels"`
}

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "promexprs:", err)
		os.Exit(1)
	}
}

func run(files []string, w io.Writer) error {
	if len(files) == 0 {
		return fmt.Errorf("usage: promexprs DASHBOARD.json...")
	}
	fmt.Fprintln(w, "# Generated from dashboard queries for `promtool check rules`; not for use.\ngroups:")
	n := 0
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		var d dashboard
		if err := json.Unmarshal(b, &d); err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		fmt.Fprintf(w, "  - name: %q\n    rules:\n", d.UID)
		for i, p := range d.Panels {
			for _, t := range p.Targets {
				if t.Expr == "" {
					continue
				}
				expr, _ := json.Marshal(grafanaVariables.Replace(t.Expr)) // a JSON string is a YAML double-quoted scalar
				fmt.Fprintf(w, "      - record: dashboard:panel%d:%s # %s\n        expr: %s\n", i, t.RefID, p.Title, expr)
				n++
			}
		}
	}
	if n == 0 {
		return fmt.Errorf("no Prometheus query in %v", files)
	}
	return nil
}
