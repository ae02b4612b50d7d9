package secrets

import (
	"os"
	"strings"
)

// Read returns the secret held in a file (the *_FILE convention), without
// the trailing newline editors add.
func Read(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}
