package up

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/tributary-dev/tributary/shared/config"
	"github.com/tributary-dev/tributary/shared/ingest"
	"github.com/tributary-dev/tributary/shared/secrets"
	"github.com/tributary-dev/tributary/shared/testkit/natstest"
)

func TestUpSavesTheReaderContext(t *testing.T) {
	root := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", root)
	set, err := secrets.Ensure(filepath.Join(t.TempDir(), "secrets"))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	saveReaderContext(Config{NATSPort: 4999}, set, log)
	saveReaderContext(Config{NATSPort: 4322}, set, log) // a second run follows the port

	path := filepath.Join(root, "nats", "context", "tributary.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("%s is not JSON: %v", path, err)
	}
	want := map[string]string{
		"url":          "nats://127.0.0.1:4322",
		"nkey":         set.NATS[secrets.Reader].SeedFile,
		"inbox_prefix": "_INBOX.reader",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s = %v, want %q", path, k, got[k], v)
		}
	}
	seed, _ := os.ReadFile(set.NATS[secrets.Reader].SeedFile)
	if strings.Contains(string(data), strings.TrimSpace(string(seed))) {
		t.Error("the context holds the seed itself, not its file")
	}
	for p, mode := range map[string]os.FileMode{path: 0o600, filepath.Dir(path): 0o700} {
		if info, err := os.Stat(p); err != nil || info.Mode().Perm() != mode {
			t.Errorf("%s: mode %v (%v), want %v", p, info.Mode().Perm(), err, mode)
		}
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("context dir holds %d files, want only tributary.json", len(entries))
	}
}

// TestNATSCLIUsesTheContext runs the real nats CLI (the workspace's tool)
// with nothing but --context against the shipped server configuration.
func TestNATSCLIUsesTheContext(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the nats CLI on first use")
	}
	ctx := context.Background()
	set, err := secrets.Ensure(filepath.Join(t.TempDir(), "secrets"))
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range set.ServerEnv() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	opts, err := server.ProcessConfigFile("../../../../deployments/nats/nats.conf")
	if err != nil {
		t.Fatal(err)
	}
	opts.Host, opts.Port, opts.HTTPPort = "127.0.0.1", -1, 0
	opts.StoreDir, opts.NoLog, opts.NoSigs = t.TempDir(), true, true
	ns := natstest.Start(t, opts)

	// The stream, with two messages, as the watcher (here the admin) makes it.
	admin, err := nats.NkeyOptionFromSeed(set.NATS[secrets.Admin].SeedFile)
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(ns.ClientURL(), admin)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	st, err := config.FromMap[ingest.Settings](map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(ctx, st.StreamConfig()); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := js.Publish(ctx, st.DataSubject(), []byte("x")); err != nil {
			t.Fatal(err)
		}
	}

	root := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", root)
	saveReaderContext(Config{NATSPort: ns.Addr().(*net.TCPAddr).Port}, set, slog.New(slog.NewTextHandler(io.Discard, nil)))
	bin, err := exec.Command("go", "tool", "-n", "nats").Output()
	if err != nil {
		t.Fatalf("go tool -n nats: %v", err)
	}
	cmd := exec.Command(strings.TrimSpace(string(bin)), "--context", NATSContext, "stream", "info", st.Stream)
	cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+root)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("nats --context %s stream info %s: %v\n%s", NATSContext, st.Stream, err, out)
	}
	if !strings.Contains(string(out), "Information for Stream "+st.Stream) || !regexp.MustCompile(`Messages:\s+2\b`).Match(out) {
		t.Errorf("nats stream info did not show the stream with 2 messages:\n%s", out)
	}
}
