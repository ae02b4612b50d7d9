package codec

import (
	"math/rand/v2"
	"strings"
	"unicode/utf8"
)

// inputs builds a differential test's inputs: the edge cases, then n
// mutants of them (characters inserted from alphabet, deleted, replaced,
// duplicated, swapped, or white space added), the same on every run.
func inputs(seed uint64, n int, alphabet string, edges ...string) []string {
	rng := rand.New(rand.NewPCG(seed, 0x636f646563))
	letters := []rune(alphabet)
	out := append([]string(nil), edges...)
	seen := map[string]bool{}
	for _, s := range edges {
		seen[s] = true
	}
	for tries := 0; len(out) < len(edges)+n && tries < 20*n; tries++ {
		s := edges[rng.IntN(len(edges))]
		for range 1 + rng.IntN(3) {
			s = mutate(rng, s, letters)
		}
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// mutate changes s in one random way.
func mutate(rng *rand.Rand, s string, letters []rune) string {
	r := []rune(s)
	at := 0
	if len(r) > 0 {
		at = rng.IntN(len(r))
	}
	letter := letters[rng.IntN(len(letters))]
	switch op := rng.IntN(8); {
	case op == 0 || len(r) == 0:
		return string(r[:at]) + string(letter) + string(r[at:])
	case op == 1:
		return string(r[:at]) + string(r[at+1:])
	case op <= 3:
		r[at] = letter
		return string(r)
	case op == 4:
		end := at + 1 + rng.IntN(len(r)-at)
		return string(r[:end]) + string(r[at:])
	case op == 5 && at+1 < len(r):
		r[at], r[at+1] = r[at+1], r[at]
		return string(r)
	case op == 6:
		return []string{" ", "\t", "\n", "\u00a0"}[rng.IntN(4)] + s
	default:
		return s + []string{" ", "\t", "\r\n", "\u3000"}[rng.IntN(4)]
	}
}

// randomDigits is a string of n random decimal digits.
func randomDigits(rng *rand.Rand, n int) string {
	var b strings.Builder
	for range n {
		b.WriteByte(byte('0' + rng.IntN(10)))
	}
	return b.String()
}

// badBytes are values no text column can hold, to pass through every
// codec: PostgreSQL's own verdict on them comes from a CSV COPY.
var badBytes = []string{"a\x00b", "\x00", "\xff", "1\xfe", "\xc3", "\xed\xa0\x80"}

// validUTF8 reports whether s could be sent as text at all.
func validUTF8(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }
