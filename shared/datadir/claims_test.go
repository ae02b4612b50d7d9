package datadir

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestIsClaimSlot(t *testing.T) {
	tests := []struct {
		give string
		want bool
	}{
		{".1", true}, {".12", true}, {".0", false}, {".01", false}, {".", false},
		{"1", false}, {".1a", false}, {".lock", false}, {"a.csv", false},
	}
	for _, tt := range tests {
		if got := IsClaimSlot(tt.give); got != tt.want {
			t.Errorf("IsClaimSlot(%q) = %v, want %v", tt.give, got, tt.want)
		}
	}
	if got := ClaimSlot("w1", 3); got != "claimed/w1/.3" || !IsClaimSlot(filepath.Base(got)) {
		t.Errorf("ClaimSlot(w1, 3) = %q", got)
	}
	if got := ClaimSlot("w1", 0); got != ClaimDir("w1") {
		t.Errorf("ClaimSlot(w1, 0) = %q, want the claim directory", got)
	}
}

// Both ways of renaming without replacing: renameat2 where the filesystem
// has it, link and unlink where it does not.
func TestRenameNoReplaceNeverReplaces(t *testing.T) {
	for name, rename := range map[string]func(*os.Root, string, string) error{
		"RenameNoReplace": RenameNoReplace, "linkNoReplace": linkNoReplace,
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			write := func(name, content string) {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			write("a", "first")
			write("b", "second")
			root, err := os.OpenRoot(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer root.Close()
			if err := rename(root, "b", "a"); !errors.Is(err, fs.ErrExist) {
				t.Fatalf("rename onto an existing file: %v, want fs.ErrExist", err)
			}
			if b, _ := os.ReadFile(filepath.Join(dir, "a")); string(b) != "first" {
				t.Fatalf("a = %q: replaced", b)
			}
			if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := rename(root, "b", "sub/b"); err != nil {
				t.Fatal(err)
			}
			if b, _ := os.ReadFile(filepath.Join(dir, "sub", "b")); string(b) != "second" || exists(filepath.Join(dir, "b")) {
				t.Fatalf("b not moved: sub/b = %q", b)
			}
			if err := rename(root, "gone", "c"); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("rename of a missing file: %v, want fs.ErrNotExist", err)
			}
			// A directory cannot be linked: it is still moved, never onto a file.
			if err := os.Mkdir(filepath.Join(dir, "d"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := rename(root, "d", "a"); !errors.Is(err, fs.ErrExist) {
				t.Fatalf("directory renamed onto a file: %v", err)
			}
			if err := rename(root, "d", "e"); err != nil || !exists(filepath.Join(dir, "e")) {
				t.Fatalf("directory not moved: %v", err)
			}
		})
	}
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}
