package codec

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"

	"github.com/jackc/pgx/v5/pgtype"
)

func TestBoolSpellings(t *testing.T) {
	f := mustPlan(t, Column{Name: "b", Type: "bool", Typmod: -1, NotNull: true}, Rules{})
	for give, want := range map[string]byte{
		"t": 1, "TRUE": 1, "True": 1, "y": 1, "Yes": 1, "on": 1, "ON": 1, "1": 1,
		"f": 0, "false": 0, "FALSE": 0, "n": 0, "no": 0, "off": 0, "Off": 0, "0": 0,
	} {
		if v, err := encode(t, f, "b", give); err != nil || len(v) != 1 || v[0] != want {
			t.Errorf("%q = %x, %v; want %d", give, v, err, want)
		}
	}
	for _, give := range []string{"tr", "fals", "of", "o", "yeſ", "2", "truee", "\x11"} {
		wantReason(t, f, "b", give, `b `+quote(give)+` is not a boolean (want true/false, t/f, yes/no, y/n, on/off or 1/0)`)
	}
	wantReason(t, f, "b", "true ", `b "true " has leading or trailing spaces`)
}

// strictBoolPrefix: PostgreSQL takes any unique prefix of a spelling.
var strictBoolPrefix = stricter{"bool-whole-words", func(s string) bool {
	l := strings.ToLower(s)
	for _, w := range []string{"true", "false", "yes", "no", "on", "off"} {
		if len(l) > 1 && len(l) < len(w) && strings.HasPrefix(w, l) {
			return true
		}
	}
	return false
}}

func TestBoolMatchesPostgres(t *testing.T) {
	edges := []string{
		"t", "true", "TRUE", "tRuE", "tr", "tru", "y", "ye", "yes", "YES", "on", "On", "o", "of", "off", "OFF",
		"1", "0", "f", "fa", "fal", "fals", "false", "n", "no", "NO", "2", "-1", "01", "10", "truee", "yess", "nope",
		"t ", " f", "\ttrue\n", "yeſ", "ｔｒｕｅ", "ON\r", "null", "", "\u00a0t",
	}
	rng := rand.New(rand.NewPCG(51, 52))
	for range 100 { // every spelling in random case
		w := []byte(boolSpellings[rng.IntN(len(boolSpellings))].word)
		for i := range w {
			if rng.IntN(2) == 0 {
				w[i] = byte(unicode.ToUpper(rune(w[i])))
			}
		}
		edges = append(edges, string(w))
	}
	edges = append(edges, badBytes...)
	runDiffs(t, "bool", []diffCase{{
		sqlType:  "boolean",
		inputs:   inputs(50, 500, "tfyesnorualTFYESNORUAL01 ", edges...),
		stricter: []stricter{strictSpaces, strictBoolPrefix},
	}})
}

// boolFuzz: an accepted value decodes, with pgx, to the boolean its word
// means.
func boolFuzz() []fuzzCase {
	return []fuzzCase{{
		col:   Column{Name: "b", Type: "bool", Typmod: -1, NotNull: true},
		seeds: []string{"t", "FALSE", "of", "yes", "1", " on"},
		check: func(t *testing.T, m *pgtype.Map, s string, v []byte, err error) {
			if err != nil {
				return
			}
			var got bool
			if err := m.Scan(pgtype.BoolOID, pgtype.BinaryFormatCode, v, &got); err != nil {
				t.Fatalf("%q: decode %x: %v", s, v, err)
			}
			if want := strings.ContainsRune("tTyY1", rune(s[0])) || strings.EqualFold(s, "on"); got != want {
				t.Fatalf("%q decodes to %v", s, got)
			}
		},
	}}
}
