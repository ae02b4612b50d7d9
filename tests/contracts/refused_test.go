package contracts

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/tributary-dev/tributary/tests/harness"
	"go.uber.org/fx"
)

// A contract whose table does not exist yet is refused, with its reason,
// while user_activity loads; its files wait in the stream. Once its
// migration is applied the running loader picks it up and the waiting
// files load, with no restart.
func TestRefusedContractWaitsAndOthersLoad(t *testing.T) {
	env := harness.NewSecure(t)
	book := &logBook{}
	env.Logs = book
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(env.Vars["CONTRACTS_DIR"])); err != nil {
		t.Fatal(err)
	}
	decl, err := os.ReadFile(harness.RepoFile("examples/orders/orders.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "orders.yaml"), decl, 0o644); err != nil {
		t.Fatal(err)
	}
	env.Vars["CONTRACTS_DIR"] = dir
	env.Watcher(nil)
	var reg *prometheus.Registry
	env.Loader(nil, fx.Populate(&reg))

	env.Land("orders-early.csv", csvFile(orderColumns, order(orderColumns, "20000000-0000-4000-8000-000000000001", nil)))
	env.Generate(3, 100, nil)
	env.Eventually(30*time.Second, "user_activity loaded beside the refused contract", func() bool { return env.Rows() == 300 })
	if got := gauge(t, reg, "tributary_loader_contract_loading", "orders"); got != 0 {
		t.Errorf("contract_loading{orders} = %v, want 0", got)
	}
	if got := gauge(t, reg, "tributary_loader_contract_loading", "user_activity"); got != 1 {
		t.Errorf("contract_loading{user_activity} = %v, want 1", got)
	}
	const reason = `contract orders: table "orders" does not exist (has its migration been applied?)`
	if !book.has("contract refused; its files wait in the stream until it is fixed", reason) {
		t.Errorf("no refusal logged with %q", reason)
	}

	sql, err := os.ReadFile(harness.RepoFile("examples/orders/migration.sql"))
	if err != nil {
		t.Fatal(err)
	}
	up, _, _ := strings.Cut(string(sql), "-- +goose Down")
	migrated := time.Now()
	if _, err := env.Pool.Exec(context.Background(), up); err != nil {
		t.Fatal(err)
	}
	env.Eventually(30*time.Second, "the waiting orders file loaded", func() bool {
		n := 0
		_ = env.Pool.QueryRow(context.Background(), "SELECT count(*) FROM orders").Scan(&n)
		return n == 1
	})
	t.Logf("orders' first rows in PostgreSQL %s after its table was created", time.Since(migrated).Round(10*time.Millisecond))
	if got := gauge(t, reg, "tributary_loader_contract_loading", "orders"); got != 1 {
		t.Errorf("contract_loading{orders} = %v after the migration, want 1", got)
	}
}

func gauge(t *testing.T, reg *prometheus.Registry, name, contract string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "contract" && l.GetValue() == contract {
					return m.GetGauge().GetValue()
				}
			}
		}
	}
	return -1
}
