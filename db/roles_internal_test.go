package db

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
)

// parseSCRAM splits a stored verifier into its iterations and salt.
func parseSCRAM(t *testing.T, v string) (int, []byte) {
	t.Helper()
	rest, ok := strings.CutPrefix(v, "SCRAM-SHA-256$")
	params, _, _ := strings.Cut(rest, "$")
	iter, saltB64, _ := strings.Cut(params, ":")
	var iterations int
	if _, err := fmt.Sscan(iter, &iterations); !ok || err != nil {
		t.Fatalf("not a SCRAM-SHA-256 verifier: %q", v)
	}
	salt, err := base64.StdEncoding.DecodeString(saltB64)
	if err != nil {
		t.Fatal(err)
	}
	return iterations, salt
}

func TestSCRAMVerifierRefusesWhatSASLprepWouldChange(t *testing.T) {
	for _, pw := range []string{"has space in it ok", "non-ascii-é-password"} {
		if _, err := scramVerifier(pw); err == nil {
			t.Errorf("scramVerifier(%q) accepted", pw)
		}
	}
}
