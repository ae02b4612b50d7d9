package input

import (
	"testing"
	"time"
)

// TestSameContentAfterTheDuplicateWindowLoadsOnce lands a file, then the
// same bytes under another name once JetStream's duplicate window has
// passed: the stream stores the copy, the loader's ledger recognises it,
// nothing loads twice, nothing is rejected, and the log says why.
func TestSameContentAfterTheDuplicateWindowLoadsOnce(t *testing.T) {
	p := startPipeline(t, map[string]string{"STREAM_DUPLICATE_WINDOW": "500ms"})
	content := csvOf("same-1", "same-2")
	p.Land("first.csv", content)
	p.idle(30 * time.Second)
	time.Sleep(time.Second) // past the duplicate window
	p.Land("copy-later.csv", content)
	p.idle(30 * time.Second)

	if n := p.Rows(); n != 2 {
		t.Errorf("%d rows, want 2", n)
	}
	if n := p.Count("SELECT count(*) FROM user_activity_rejects"); n != 0 {
		t.Errorf("%d rejects: a copy of a whole file is not a duplicate of its events", n)
	}
	if p.logs.wait("message already loaded; acknowledged without loading it again", map[string]string{"file": "copy-later.csv"}, 1) != 1 {
		t.Error("want one log line saying the copy was already loaded")
	}
	if len(p.logs.find("file content already in the stream; this copy loads nothing", nil)) != 0 {
		t.Error("past the window the stream stored the copy: the ledger, not the stream, must have caught it")
	}
}
