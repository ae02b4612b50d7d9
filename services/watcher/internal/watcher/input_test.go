package watcher

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tributary-dev/tributary/shared/datadir"
)

const rowsHeader = "event_id,event_time,event_type,product_id,price,user_id,session_id\n"

// openTestWatcher is newWatcher, with its data dir.
func openTestWatcher(t *testing.T, pub Publisher) (*Watcher, string) {
	w := newWatcher(t, pub)
	return w, w.dirs.Dir
}

func TestFileStillOpenForWritingWaitsForItsWriter(t *testing.T) {
	pub := &fakePublisher{}
	w, dir := openTestWatcher(t, pub)
	f, err := os.Create(filepath.Join(dir, datadir.Input, "slow.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if writing, known := openForWriting(f.Fd()); !known || !writing {
		t.Skipf("SKIPPED: file leases are not available here (writing=%v known=%v)", writing, known)
	}
	f.WriteString(rowsHeader + "a,2026-01-01 00:00:00,view,1,1.00,1,s\n")

	// Found by a scan after a pause longer than the settle time.
	it := claimFile(t, w, "slow.csv")
	w.handle(context.Background(), it)
	claimed := filepath.Join(dir, w.claimDir(), "slow.csv")
	if len(pub.files)+len(pub.rejected) > 0 {
		t.Fatalf("a file still open for writing was published: %+v %+v", pub.files, pub.rejected)
	}
	if _, err := os.Stat(claimed); err != nil {
		t.Fatalf("the file should wait in the claim directory: %v", err)
	}

	f.WriteString("b,2026-01-01 00:00:00,view,1,1.00,1,s\n")
	f.Close()
	w.handle(context.Background(), it) // the next rescan
	if len(pub.files) != 1 || pub.files[0].Layout.Rows != 2 {
		t.Fatalf("want the whole file published once its writer closed it, got %+v", pub.files)
	}
}

func TestNamesAtTheLengthLimitKeepTheirReason(t *testing.T) {
	pub := &fakePublisher{}
	w, dir := openTestWatcher(t, pub)
	name := strings.Repeat("é", 125) + ".csv" // 254 bytes
	if err := os.WriteFile(filepath.Join(dir, datadir.Input, name), []byte(rowsHeader), 0o644); err != nil {
		t.Fatal(err)
	}
	w.handle(context.Background(), claimFile(t, w, name))
	if len(pub.rejected) != 1 {
		t.Fatalf("rejections = %+v", pub.rejected)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, datadir.Rejected))
	if len(entries) != 2 {
		t.Fatalf("rejected/ holds %d entries, want the file and its reason", len(entries))
	}
	moved := entries[0].Name()
	reason, err := os.ReadFile(filepath.Join(dir, datadir.Rejected, moved+datadir.ReasonSuffix))
	if err != nil || string(reason) != "file has a header but no rows\n" {
		t.Fatalf("reason beside %q: %q, %v", moved, reason, err)
	}
	if !strings.HasPrefix(name, moved) || !utf8.ValidString(moved) {
		t.Errorf("rejected as %q, want a prefix of the name cut between characters", moved)
	}
}

func TestFitted(t *testing.T) {
	long := strings.Repeat("x", 251) + ".csv"
	tests := []struct {
		name    string
		n, room int
		want    string
	}{
		{"a.csv", 0, 7, "a.csv"},
		{"a.csv", 2, 7, "a.2.csv"},
		{long, 0, 0, long},
		{long, 0, 7, strings.Repeat("x", 248)},
		{long, 12, 0, long[:252] + ".12"},
		{strings.Repeat("é", 127) + "x", 0, 7, strings.Repeat("é", 124)},
	}
	for _, tt := range tests {
		if got := fitted(tt.name, tt.n, tt.room); got != tt.want {
			t.Errorf("fitted(%d bytes, %d, %d) = %q, want %q", len(tt.name), tt.n, tt.room, got, tt.want)
		}
	}
}
