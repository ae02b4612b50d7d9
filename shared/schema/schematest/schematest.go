// Package schematest resolves the repository's contracts for tests.
package schematest

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/tributary-dev/tributary/shared/contracts"
	"github.com/tributary-dev/tributary/shared/schema"
)

// Dir is the repository's contracts directory, found from the working
// directory up (tests run in their package's directory).
func Dir(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return filepath.Join(dir, "contracts")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.work above the working directory: cannot find contracts/")
		}
		dir = parent
	}
}

// Resolve resolves the repository's contract name against q's database.
func Resolve(t testing.TB, q schema.Querier, name string) *schema.Table {
	t.Helper()
	set, err := contracts.Load(Dir(t))
	if err != nil {
		t.Fatal(err)
	}
	d, ok := set.Get(name)
	if !ok {
		t.Fatalf("contract %s is not declared (refused: %v)", name, set.Refused[name])
	}
	table, err := schema.Resolve(context.Background(), q, d)
	if err != nil {
		t.Fatal(err)
	}
	return table
}

// UserActivity resolves the user_activity contract.
func UserActivity(t testing.TB, q schema.Querier) *schema.Table {
	t.Helper()
	return Resolve(t, q, "user_activity")
}
