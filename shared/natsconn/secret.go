package natsconn

import (
	"os"
	"strings"
)

// readSecret reads a secret file, dropping the trailing newline editors add.
func readSecret(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}
