package harness

import (
	"errors"
	"os"
	"path/filepath"
)

// WorkspaceRoot finds the directory holding go.work, from the working
// directory up: programs and tests that build the binaries run from it.
func WorkspaceRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.work above the working directory: run from the repository")
		}
		dir = parent
	}
}
