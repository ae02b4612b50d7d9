package codec

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgtype"
)

func TestJSONBAccepts(t *testing.T) {
	f := mustPlan(t, Column{Name: "data", Type: "jsonb", Typmod: -1, NotNull: true}, Rules{})
	for _, give := range []string{
		`{}`, `[]`, `null`, `true`, `-0`, `1.5e10`, `"é"`, `"\ud83d\ude00"`, `{"a":1,"a":2}`, `{ "a" : [1, {"b": null}] }`,
		`"\/\b\f\n\r\t\"\\"`, "\"\x7f\"", `1e131071`, `1.0e-16382`, `0e1073741822`, strings.Repeat("[", 1000) + strings.Repeat("]", 1000),
	} {
		if v, err := encode(t, f, "data", give); err != nil || string(v) != "\x01"+give {
			t.Errorf("%q = %q, %v", give, v, err)
		}
	}
}

func TestJSONBRejects(t *testing.T) {
	f := mustPlan(t, Column{Name: "data", Type: "jsonb", Typmod: -1, NotNull: true}, Rules{})
	for give, why := range map[string]string{
		`"\u0000"`:          `\u0000 cannot be stored in jsonb at byte 1`,
		`"\ud800"`:          `a high surrogate without its low surrogate at byte 1`,
		`"\ud800\u0041"`:    `a high surrogate without its low surrogate at byte 1`,
		`["\udc00"]`:        `a low surrogate without its high surrogate at byte 2`,
		`"\x"`:              `invalid escape at byte 1`,
		"\"a\tb\"":          `a control character must be escaped at byte 2`,
		`{"a":1,}`:          `expected a string key at byte 7`,
		`[1,]`:              `invalid token at byte 3`,
		`{"a" 1}`:           `expected ":" at byte 5`,
		`[1 2]`:             `expected "," or "]" at byte 3`,
		`01`:                `text after the value at byte 1`,
		`1.`:                `invalid number at byte 2`,
		`"abc`:              `unterminated string at byte 4`,
		`[`:                 `a value is missing at byte 1`,
		`{"a":1`:            `unexpected end at byte 6`,
		`NaN`:               `invalid token at byte 0`,
		`1e131072`:          `a number out of numeric's range at byte 0`,
		`[0.0e-16383]`:      `a number out of numeric's range at byte 1`,
		`0e1073741823`:      `a number out of numeric's range at byte 0`,
		`[[[` + `]]]` + `]`: `text after the value at byte 6`,
	} {
		wantReason(t, f, "data", give, "data "+quote(give)+" is not valid JSON for jsonb ("+why+")")
	}
	deep := strings.Repeat("[", 1001) + strings.Repeat("]", 1001)
	wantReason(t, f, "data", deep, "data "+quote(deep)+" is not valid JSON for jsonb (nested deeper than 1000 at byte 1000)")
	wantReason(t, f, "data", " {}", `data " {}" has leading or trailing spaces`)
}

// jsonDepth is the deepest nesting of s, read without the codec's scanner.
func jsonDepth(s string) int {
	depth, deepest, inString := 0, 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case !inString && (c == '[' || c == '{'):
			depth++
			deepest = max(deepest, depth)
		case !inString && (c == ']' || c == '}'):
			depth--
		}
	}
	return deepest
}

var strictJSONDepth = stricter{"jsonb-max-depth", func(s string) bool { return jsonDepth(s) > jsonMaxDepth }}

// randomJSON is a random document of depth at most depth, with strings
// that need escapes and numbers of every shape.
func randomJSON(rng *rand.Rand, depth int) string {
	switch k := rng.IntN(9); {
	case k < 2 && depth > 0:
		var items []string
		for range rng.IntN(4) {
			items = append(items, randomJSON(rng, depth-1))
		}
		return "[" + strings.Join(items, ", ") + "]"
	case k < 4 && depth > 0:
		var items []string
		for range rng.IntN(4) {
			items = append(items, randomJSONString(rng)+":"+randomJSON(rng, depth-1))
		}
		return "{" + strings.Join(items, ",") + "}"
	case k < 6:
		return randomJSONString(rng)
	case k < 8:
		n := []string{"", "-"}[rng.IntN(2)] + []string{"0", randomDigits(rng, 1+rng.IntN(20))}[rng.IntN(2)]
		n = strings.TrimLeft(n, "0")
		if n == "" || n == "-" {
			n += "0"
		}
		if rng.IntN(2) == 0 {
			n += "." + randomDigits(rng, 1+rng.IntN(10))
		}
		if rng.IntN(3) == 0 {
			n += fmt.Sprintf("e%s%d", []string{"", "+", "-"}[rng.IntN(3)], rng.IntN(20000))
		}
		return n
	}
	return []string{"true", "false", "null"}[rng.IntN(3)]
}

func randomJSONString(rng *rand.Rand) string {
	parts := []string{"a", "é", "日本", "🙂", `\n`, `\"`, `\\`, `\/`, `\u00e9`, `\ud83d\ude00`, `\u0000`, `\ud800`, `\udc00`, `\u12`, " ", "\t", `\x`}
	var b strings.Builder
	b.WriteByte('"')
	for range rng.IntN(5) {
		b.WriteString(parts[rng.IntN(len(parts))])
	}
	b.WriteByte('"')
	return b.String()
}

func TestJSONBMatchesPostgres(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	edges := []string{
		`{}`, `[]`, `null`, `true`, `false`, `0`, `-0`, `1.5e10`, `"str"`, `{"a":1,"a":2}`, `{"a":[1,{"b":null}]}`, `"\u00e9"`,
		`"\ud83d\ude00"`, `"é"`, `"\/"`, `[1, 2 ,3 ]`, `{ "a" : 1 }`, `{`, `}`, `[1,]`, `{"a":1,}`, `{"a"}`, `{1:2}`, `'a'`,
		`"\u0000"`, `"a\u0000b"`, `"\ud800"`, `"\udc00"`, `"\ud800\u0041"`, `"\ud800\udbff"`, `"\uDC00\uD800"`, `"\x"`, `"\u12"`,
		`"\u12g4"`, `"\U0041"`, `01`, `-01`, `1.`, `.5`, `+1`, `1e`, `1e+`, `-`, `NaN`, `Infinity`, `-Infinity`, `tru`, `nul`,
		`truex`, `True`, `[true false]`, "\"a\tb\"", "\"a\x01b\"", "\"a\x7fb\"", `1 2`, `""`, `"\"`, `"a`, `1E+2`, `1e-0`,
		" {}", "{} ", "\n[]", "\t1\r", "\u00a0{}", "{}\u00a0", "[\u00a01]", "[\f1]", "/* c */ 1", "[1]//",
		`1e131071`, `1e131072`, `0e1073741822`, `0e1073741823`, `-0e1073741822`, `0.0e1073741822`, `1e-16383`, `1e-16384`,
		`0.0e-16383`, `1.0e-16382`, `0.00e-16381`, `12345e131067`, `12345e131068`, `0.1e131072`, `0.1e131073`, `-0.000e-16380`,
		`0e-16384`, `1e99999999999`, `0e-99999999999`, `0.` + strings.Repeat("0", 16382) + `1`, `0.` + strings.Repeat("0", 16383) + `1`,
		`1` + strings.Repeat("0", 131071), `1` + strings.Repeat("0", 131072),
		strings.Repeat("[", 1000) + strings.Repeat("]", 1000), strings.Repeat("[", 1001) + strings.Repeat("]", 1001),
		strings.Repeat(`{"a":`, 1001) + "1" + strings.Repeat("}", 1001), strings.Repeat("[", 5000) + strings.Repeat("]", 5000),
		strings.Repeat("[", 20000) + strings.Repeat("]", 20000), strings.Repeat("[", 1001) + strings.Repeat("]", 1000),
	}
	for range 300 {
		edges = append(edges, randomJSON(rng, 4))
	}
	edges = append(edges, badBytes...)
	runDiffs(t, "jsonb", []diffCase{{
		sqlType:  "jsonb",
		inputs:   inputs(100, 700, `{}[]",:0123456789.eE-+ \u`+"trufalsné\t", edges...),
		stricter: []stricter{strictSpaces, strictJSONDepth},
	}})
}

// jsonbFuzz: an accepted value is JSON (json.Valid), decodes, with pgx, to
// the text as written, and holds no NUL or lone surrogate; plain JSON (no
// escapes, exponents or deep nesting) is never refused.
func jsonbFuzz() []fuzzCase {
	return []fuzzCase{{
		col:   Column{Name: "data", Type: "jsonb", Typmod: -1, NotNull: true},
		seeds: []string{`{"a":[1,2,{"b":null}]}`, `"\ud800"`, `"\u0000"`, `[1,]`, `1e131072`, `  []`, `"\ud83d\ude00"`, `1e01000`},
		check: func(t *testing.T, m *pgtype.Map, s string, v []byte, err error) {
			plain := json.Valid([]byte(s)) && utf8.ValidString(s) && strings.TrimSpace(s) == s && jsonDepth(s) <= jsonMaxDepth &&
				!strings.Contains(s, `\u`) && !strings.ContainsAny(s, "eE\x00") && len(s) < 10000
			if err != nil {
				if plain {
					t.Fatalf("refused %q, which is plain JSON: %v", s, err)
				}
				return
			}
			if !json.Valid([]byte(s)) {
				t.Fatalf("accepted %q, which is not JSON", s)
			}
			var got []byte
			if err := m.Scan(pgtype.JSONBOID, pgtype.BinaryFormatCode, v, &got); err != nil || string(got) != s {
				t.Fatalf("%q decodes to %q (%v)", s, got, err)
			}
			var doc any
			dec := json.NewDecoder(strings.NewReader(s))
			dec.UseNumber() // numeric holds numbers far beyond float64
			if err := dec.Decode(&doc); err != nil ||
				strings.ContainsAny(fmt.Sprint(doc), "\x00\ufffd") && !strings.Contains(s, "\ufffd") && !strings.Contains(strings.ToLower(s), `\ufffd`) {
				t.Fatalf("%q holds a NUL or a lone surrogate: %v", s, err)
			}
		},
	}}
}
