package watcher

import (
	"bytes"
	"errors"
	"log/slog"
	"testing"

	"github.com/tributary-dev/tributary/shared/logging"
)

// A file's lines name it (escaped), then its contract and id once known,
// then the line's own attributes.
func TestAFilesLinesNameItsContractAndID(t *testing.T) {
	var out bytes.Buffer
	log := fileLog{log: slog.New(slog.NewJSONHandler(&out, nil)), name: "a\nb.csv"}
	log.Error("cannot open file; will retry", logging.Err(errors.New("boom")))
	log.contract, log.id = "orders", "abc"
	log.Info("file published", logging.KeyRows, 3)
	want := []string{
		`"msg":"cannot open file; will retry","file":"a\\nb.csv","err":"boom"}`,
		`"msg":"file published","file":"a\\nb.csv","contract":"orders","file_id":"abc","rows":3}`,
	}
	lines := bytes.Split(bytes.TrimSpace(out.Bytes()), []byte("\n"))
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), out.String())
	}
	for i, w := range want {
		if !bytes.HasSuffix(lines[i], []byte(w)) {
			t.Errorf("line %d:\n%s\nwant it to end with\n%s", i, lines[i], w)
		}
	}
}
