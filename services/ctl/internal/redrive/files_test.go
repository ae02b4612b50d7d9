package redrive

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tributary-dev/tributary/shared/datadir"
)

func dataDir(t *testing.T) datadir.Config {
	t.Helper()
	dirs := datadir.Config{Dir: t.TempDir()}
	if err := dirs.Ensure(); err != nil {
		t.Fatal(err)
	}
	return dirs
}

func put(t *testing.T, dirs datadir.Config, sub, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dirs.Path(sub), name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func read(dirs datadir.Config, sub, name string) (string, bool) {
	b, err := os.ReadFile(filepath.Join(dirs.Path(sub), name))
	return string(b), err == nil
}

func TestFileGoesBackToInputWithoutItsReason(t *testing.T) {
	dirs := dataDir(t)
	put(t, dirs, datadir.Rejected, "a.csv", "fixed content")
	put(t, dirs, datadir.Rejected, "a.csv.reason", "file has a header but no rows\n")
	put(t, dirs, datadir.Rejected, "b.csv", "other")
	if err := File(dirs, "a.csv"); err != nil {
		t.Fatal(err)
	}
	if got, ok := read(dirs, datadir.Input, "a.csv"); !ok || got != "fixed content" {
		t.Errorf("input/a.csv = %q, %v", got, ok)
	}
	if _, ok := read(dirs, datadir.Rejected, "a.csv"); ok {
		t.Error("rejected/a.csv is still there")
	}
	if _, ok := read(dirs, datadir.Rejected, "a.csv.reason"); ok {
		t.Error("rejected/a.csv.reason is still there")
	}
	if _, ok := read(dirs, datadir.Rejected, "b.csv"); !ok {
		t.Error("another rejected file was touched")
	}
}

func TestFileNeverReplacesAFileInInput(t *testing.T) {
	dirs := dataDir(t)
	put(t, dirs, datadir.Rejected, "a.csv", "fixed")
	put(t, dirs, datadir.Rejected, "a.csv.reason", "why\n")
	put(t, dirs, datadir.Input, "a.csv", "newer file of the same name")
	err := File(dirs, "a.csv")
	if err == nil || !strings.Contains(err.Error(), "input/a.csv already exists; nothing was replaced") {
		t.Fatalf("err = %v", err)
	}
	if got, _ := read(dirs, datadir.Input, "a.csv"); got != "newer file of the same name" {
		t.Errorf("input/a.csv was replaced: %q", got)
	}
	if got, _ := read(dirs, datadir.Rejected, "a.csv.reason"); got != "why\n" {
		t.Errorf("the reason was not put back: %q", got)
	}
}

func TestFileRefusesWhatTheWatcherWouldRejectAgain(t *testing.T) {
	dirs := dataDir(t)
	outside := filepath.Join(t.TempDir(), "secret.csv")
	os.WriteFile(outside, []byte("secret"), 0o644)
	os.Symlink(outside, filepath.Join(dirs.Path(datadir.Rejected), "link.csv"))
	os.Mkdir(filepath.Join(dirs.Path(datadir.Rejected), "dir"), 0o755)
	put(t, dirs, datadir.Rejected, "linked.csv", "x")
	os.Link(filepath.Join(dirs.Path(datadir.Rejected), "linked.csv"), filepath.Join(t.TempDir(), "second-name"))
	tests := []struct{ name, want string }{
		{"link.csv", "is not a regular file"},
		{"dir", "is not a regular file"},
		{"linked.csv", "has 2 hard links"},
		{"missing.csv", "rejected/missing.csv does not exist"},
		{"../input/x", "is not a plain file name"},
		{"..", "is not a plain file name"},
		{"", "is not a plain file name"},
	}
	for _, tt := range tests {
		err := File(dirs, tt.name)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("File(%q) = %v, want %q", tt.name, err, tt.want)
		}
	}
	if entries, _ := os.ReadDir(dirs.Path(datadir.Input)); len(entries) != 0 {
		t.Errorf("input holds %d entries, want none", len(entries))
	}
}

func TestListRejected(t *testing.T) {
	dirs := dataDir(t)
	put(t, dirs, datadir.Rejected, "b.csv", "")
	put(t, dirs, datadir.Rejected, "b.csv.reason", "file is empty (0 bytes)\n")
	put(t, dirs, datadir.Rejected, "a.csv", "")
	got, err := ListRejected(dirs)
	if err != nil {
		t.Fatal(err)
	}
	want := []Rejected{{Name: "a.csv"}, {Name: "b.csv", Reason: "file is empty (0 bytes)"}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("ListRejected = %+v, want %+v", got, want)
	}
}
