package harness

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
)

// WithExamples migrates the tables of the example contracts named (from
// examples/<name>/migration.sql) into pool's database, and returns a
// contracts directory holding the repository's declarations and theirs.
func WithExamples(t testing.TB, pool *pgxpool.Pool, names ...string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(RepoFile("contracts"))); err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		sql, err := os.ReadFile(RepoFile("examples/" + name + "/migration.sql"))
		if err != nil {
			t.Fatal(err)
		}
		up, _, _ := strings.Cut(string(sql), "-- +goose Down")
		if _, err := pool.Exec(context.Background(), up); err != nil {
			t.Fatalf("migrate example %s: %v", name, err)
		}
		decl, err := os.ReadFile(RepoFile("examples/" + name + "/" + name + ".yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".yaml"), decl, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
