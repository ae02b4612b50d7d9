// Package contracttest gives the watcher's tests contract declarations: the
// repository's own (contracts/ at the workspace root) and directories of
// them with others added, as a deployment would hold.
package contracttest

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/tributary-dev/tributary/shared/contracts"
)

// RepoDir is the repository's contracts directory, found from this file so
// that it does not depend on the test's working directory.
func RepoDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "..", "contracts")
}

// UserActivity is the repository's user_activity declaration, the default
// contract. It panics when the repository's declaration is missing or
// invalid, so that tests may keep it in a package variable.
func UserActivity() *contracts.Declaration {
	s, err := contracts.Load(RepoDir())
	if err != nil {
		panic(err)
	}
	d, ok := s.Get("user_activity")
	if !ok {
		panic(fmt.Sprintf("contracts/user_activity.yaml is not a valid declaration: %v", s.Refused["user_activity"]))
	}
	return d
}

// Dir returns a fresh directory holding the repository's
// user_activity.yaml and extra, file name to content.
func Dir(t testing.TB, extra map[string]string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(RepoDir(), "user_activity.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	Write(t, dir, "user_activity.yaml", string(raw))
	for name, body := range extra {
		Write(t, dir, name, body)
	}
	return dir
}

// Write writes a declaration file into dir the way an operator's deploy
// does: a whole new file renamed over the old one.
func Write(t testing.TB, dir, name, body string) {
	t.Helper()
	tmp := filepath.Join(dir, "."+name+".tmp")
	if err := os.WriteFile(tmp, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
}
