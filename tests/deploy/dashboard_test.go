// Package deploy checks the monitoring files of deployments/ against what
// they describe: the Grafana dashboard against Grafana's own schema (the
// grafana-foundation-sdk's strict decoder), its SQL against the migrated
// schema, and every metric it or the Prometheus rules name against the
// metrics the services really register. promtool checks the Prometheus files
// themselves (go tool task deploy:check).
package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/tributary-dev/tributary/tests/harness"
)

var (
	dashboardFile   = filepath.Join("..", "..", "deployments", "grafana", "dashboards", "tributary.json")
	datasourcesFile = filepath.Join("..", "..", "deployments", "grafana", "provisioning", "datasources", "datasources.yml")
	rulesFile       = filepath.Join("..", "..", "deployments", "prometheus", "rules.yml")
)

// panel is the part of a dashboard panel these checks read.
type panel struct {
	ID         int                `json:"id"`
	Type       string             `json:"type"`
	Title      string             `json:"title"`
	Datasource *datasourceRef     `json:"datasource"`
	GridPos    struct{ X, W int } `json:"gridPos"`
	Targets    []target           `json:"targets"`
}

type datasourceRef struct{ Type, UID string }

type target struct {
	RefID      string         `json:"refId"`
	Datasource *datasourceRef `json:"datasource"`
	Expr       string         `json:"expr"`
	RawSQL     string         `json:"rawSql"`
	Format     string         `json:"format"`
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func panels(t *testing.T) []panel {
	t.Helper()
	var d struct{ Panels []panel }
	if err := json.Unmarshal(readFile(t, dashboardFile), &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Panels) == 0 {
		t.Fatal("the dashboard has no panels")
	}
	return d.Panels
}

func TestDashboardFollowsGrafanaSchema(t *testing.T) {
	plugins.RegisterDefaultPlugins()
	var d dashboard.Dashboard
	// Strict: unknown fields, wrong types and missing required fields of the
	// dashboard, its panels and the options of known panel types all fail.
	err := d.UnmarshalJSONStrict(readFile(t, dashboardFile))
	if be := (cog.BuildErrors)(nil); errors.As(err, &be) && len(be) == 0 {
		err = nil // the SDK returns an empty, typed list on success
	}
	if err != nil {
		t.Fatalf("%s does not follow Grafana's dashboard schema:\n%v", dashboardFile, err)
	}
	if d.Uid == nil || *d.Uid == "" || d.Title == nil || *d.Title == "" {
		t.Error("the dashboard needs a uid (links and provisioning rely on it) and a title")
	}

	provisioned := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\s+uid:\s*(\S+)`).FindAllStringSubmatch(string(readFile(t, datasourcesFile)), -1) {
		provisioned[m[1]] = true
	}
	ids := map[int]bool{}
	for _, p := range panels(t) {
		if ids[p.ID] {
			t.Errorf("panel id %d is used twice", p.ID)
		}
		ids[p.ID] = true
		if p.GridPos.X+p.GridPos.W > 24 {
			t.Errorf("panel %q is wider than the 24-column grid", p.Title)
		}
		refs := map[string]bool{}
		for _, tg := range p.Targets {
			if refs[tg.RefID] {
				t.Errorf("panel %q: refId %s is used twice", p.Title, tg.RefID)
			}
			refs[tg.RefID] = true
			for _, ds := range []*datasourceRef{p.Datasource, tg.Datasource} {
				if ds == nil || !provisioned[ds.UID] {
					t.Errorf("panel %q queries datasource %+v, which %s does not provision", p.Title, ds, datasourcesFile)
				}
			}
			if (tg.Expr == "") == (tg.RawSQL == "") {
				t.Errorf("panel %q target %s needs exactly one of expr and rawSql", p.Title, tg.RefID)
			}
		}
	}
}

// grafanaMacros stand in for what Grafana substitutes before running SQL.
var grafanaMacros = strings.NewReplacer(
	"$__timeFrom()", "'2026-11-20T00:00:00Z'",
	"$__timeTo()", "'2026-11-21T00:00:00Z'",
)

func TestDashboardSQLRunsOnTheSchema(t *testing.T) {
	env := harness.New(t) // a migrated database
	ctx := context.Background()
	if _, err := env.Pool.Exec(ctx, `INSERT INTO user_activity VALUES
		('a', '2026-11-20 10:00:00', 'view', 1, 2.50, 1, 's1', 1),
		('b', '2026-11-20 10:01:00', 'purchase', 1, 2.50, 1, 's1', 1)`); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range panels(t) {
		for _, tg := range p.Targets {
			if tg.RawSQL == "" {
				continue
			}
			for _, bucket := range []string{"minute", "hour", "day"} {
				sql := strings.ReplaceAll(grafanaMacros.Replace(tg.RawSQL), "$bucket", bucket)
				rows, err := env.Pool.Query(ctx, sql)
				if err != nil {
					t.Fatalf("panel %q: %v\n%s", p.Title, err, sql)
				}
				fields := rows.FieldDescriptions()
				got := 0
				for rows.Next() {
					got++
				}
				if err := rows.Err(); err != nil {
					t.Fatalf("panel %q: %v\n%s", p.Title, err, sql)
				}
				if got == 0 {
					t.Errorf("panel %q returned no row on a day with a purchase:\n%s", p.Title, sql)
				}
				if tg.Format == "time_series" && (len(fields) < 2 || fields[0].Name != "time") {
					t.Errorf("panel %q: a time series needs a first column named time, has %v", p.Title, fields)
				}
			}
			n++
		}
	}
	if n == 0 {
		t.Error("the dashboard has no PostgreSQL panel (revenue)")
	}
}

// metricNames finds the product's metric names in PromQL text, reduced to
// family names (a histogram's _bucket, _sum and _count series belong to it).
func metricNames(text string) map[string]bool {
	out := map[string]bool{}
	for _, m := range regexp.MustCompile(`tributary_[a-z_]+`).FindAllString(text, -1) {
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			m = strings.TrimSuffix(m, suffix)
		}
		out[m] = true
	}
	return out
}
