package secrets

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nkeys"
)

func TestEnsureCreatesOnceAndKeeps(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "secrets")
	first, err := Ensure(dir)
	if err != nil {
		t.Fatal(err)
	}
	password, err := first.PasswordFile(Loader)
	if err != nil {
		t.Fatal(err)
	}
	pw1, _ := os.ReadFile(password)
	again, err := Ensure(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := again.PasswordFile(Loader); err != nil {
		t.Fatal(err)
	}
	pw2, _ := os.ReadFile(password)
	if string(pw1) != string(pw2) || len(strings.TrimSpace(string(pw1))) != 32 {
		t.Errorf("password changed or malformed: %q then %q", pw1, pw2)
	}
	if info, _ := os.Stat(dir); info.Mode().Perm() != 0o700 {
		t.Errorf("dir mode %v, want 0700", info.Mode().Perm())
	}
	for _, role := range NATSRoles {
		k := again.NATS[role]
		if k.PublicKey != first.NATS[role].PublicKey || !nkeys.IsValidPublicUserKey(k.PublicKey) {
			t.Errorf("%s: public key %q (was %q)", role, k.PublicKey, first.NATS[role].PublicKey)
		}
		if info, _ := os.Stat(k.SeedFile); info.Mode().Perm() != 0o600 {
			t.Errorf("%s: seed file mode %v, want 0600", role, info.Mode().Perm())
		}
	}
	env := strings.Join(first.ServerEnv(), "\n")
	if !strings.Contains(env, "NATS_WATCHER_NKEY="+first.NATS[Watcher].PublicKey) {
		t.Errorf("server environment:\n%s", env)
	}
	for _, role := range NATSRoles {
		seed, _ := os.ReadFile(first.NATS[role].SeedFile)
		if strings.Contains(env, strings.TrimSpace(string(seed))) {
			t.Errorf("the server environment holds the seed of %s", role)
		}
	}
}

func TestEnsureRefusesAnOpenDirectory(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Ensure(dir); err == nil || !strings.Contains(err.Error(), "chmod 700") {
		t.Errorf("Ensure on a 0755 directory: %v", err)
	}
}

func TestEnsureRejectsAGarbledSeed(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "secrets")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "nats-watcher.nk"), []byte("not-a-seed-but-a-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Ensure(dir)
	if err == nil || strings.Contains(err.Error(), "not-a-seed-but-a-secret") {
		t.Errorf("Ensure with a garbled seed: %v (must fail without echoing it)", err)
	}
}
