package app

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/services/watcher/internal/contracttest"
)

func TestLogFailureSaysWhyTheWatcherStopped(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	refused := errors.New(`another watcher runs with WATCHER_ID "w1" on this data directory`)
	err := logFailure(log, func(context.Context) error { return refused })(context.Background())
	if !errors.Is(err, refused) {
		t.Fatalf("returned %v", err)
	}
	if out := buf.String(); !strings.Contains(out, "level=ERROR") || !strings.Contains(out, `WATCHER_ID \"w1\"`) {
		t.Errorf("logged %q, want the error", out)
	}

	buf.Reset()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = logFailure(log, func(ctx context.Context) error { return ctx.Err() })(ctx)
	if buf.Len() != 0 {
		t.Errorf("a stop asked for was logged as a failure: %q", buf.String())
	}
}

func TestValidateSaysWhenTheContractsDirCannotBeRead(t *testing.T) {
	c := Config{ID: "w1", Workers: 1, Rescan: time.Second, MaxFileBytes: 1, MaxDecodedBytes: 1, MaxMessageBytes: 4096, BundleFiles: 1, ContractsDir: contracttest.RepoDir()}
	if err := c.Validate(); err != nil {
		t.Fatalf("the repository's contracts: %v", err)
	}
	c.ContractsDir = filepath.Join(t.TempDir(), "missing")
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), `CONTRACTS_DIR "`+c.ContractsDir+`" cannot be read`) {
		t.Fatalf("Validate = %v", err)
	}
}
