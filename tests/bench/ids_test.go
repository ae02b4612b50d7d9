package main

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/tributary-dev/tributary/shared/contract"
)

func TestReplaceIDsWritesV4AndKeepsEveryOtherByte(t *testing.T) {
	rows := []string{
		"0190f6a2-7b1c-7d3e-8f00-0123456789ab,2026-11-26 06:20:00.123456,view,17,12.34,42,s-abc",
		"0190F6A2-7B1C-7D3E-8F00-0123456789AC,2026-11-26 06:20:00.223456,purchase,18,1.00,43,s-abd",
	}
	give := contract.HeaderLine + "\n" + strings.Join(rows, "\n") + "\n"
	b := []byte(give)
	if err := replaceIDs(b, rand.New(rand.NewPCG(1, 2))); err != nil {
		t.Fatal(err)
	}
	if len(b) != len(give) {
		t.Fatalf("length %d, want %d", len(b), len(give))
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if lines[0] != contract.HeaderLine {
		t.Errorf("header = %q", lines[0])
	}
	seen := map[string]bool{}
	for i, line := range lines[1:] {
		id, rest, _ := strings.Cut(line, ",")
		_, wantRest, _ := strings.Cut(rows[i], ",")
		if rest != wantRest {
			t.Errorf("row %d: %q, want the rest unchanged: %q", i, rest, wantRest)
		}
		if !isUUID([]byte(id)) || id[14] != '4' || !strings.ContainsRune("89ab", rune(id[19])) {
			t.Errorf("row %d: id %q is not a UUIDv4 (version 4, variant 10)", i, id)
		}
		if seen[id] {
			t.Errorf("id %q twice", id)
		}
		seen[id] = true
	}
	// The same seed gives the same ids: a dataset is the same every time.
	again := []byte(give)
	_ = replaceIDs(again, rand.New(rand.NewPCG(1, 2)))
	if !bytes.Equal(again, b) {
		t.Error("the same seed gave other ids")
	}
}

func TestReplaceIDsRefusesWhatItCannotRewriteInPlace(t *testing.T) {
	tests := []struct {
		name, give, want string
	}{
		{"no header", "0190f6a2-7b1c-7d3e-8f00-0123456789ab,x\n", "header"},
		{"short id", contract.HeaderLine + "\nabc,2026-11-26 06:20:00,view,1,1.00,1,s\n", "line 2"},
		{"quoted id", contract.HeaderLine + "\n\"0190f6a2-7b1c-7d3e-8f00-0123456789ab\",x\n", "line 2"},
		{"bad third line", contract.HeaderLine + "\n0190f6a2-7b1c-7d3e-8f00-0123456789ab,x\n0190f6a2-7b1c-7d3e-8f00-0123456789zz,x\n", "line 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := []byte(tt.give)
			err := replaceIDs(b, rand.New(rand.NewPCG(1, 2)))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one naming %q", err, tt.want)
			}
		})
	}
}
