package app

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
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
