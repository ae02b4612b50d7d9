package codec

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgtype"
)

func TestTextEncodes(t *testing.T) {
	tests := []struct {
		typ    string
		typmod int32
		give   string
		want   string
	}{
		{"text", -1, " any text \t", " any text \t"},
		{"varchar", 5 + 4, "ééééé", "ééééé"},
		{"varchar", -1, strings.Repeat("x", 10000), strings.Repeat("x", 10000)},
		{"bpchar", 4 + 4, "ab", "ab  "},
		{"bpchar", 4 + 4, "日本", "日本  "},
		{"bpchar", 4 + 4, "abcd", "abcd"},
		{"bpchar", -1, "ab ", "ab "},
	}
	for _, tt := range tests {
		f := mustPlan(t, Column{Name: "s", Type: tt.typ, Typmod: tt.typmod, NotNull: true}, Rules{})
		if v, err := encode(t, f, "s", tt.give); err != nil || string(v) != tt.want {
			t.Errorf("%s(%d) %q = %q, %v; want %q", tt.typ, tt.typmod, tt.give, v, err, tt.want)
		}
	}
}

func TestTextRejects(t *testing.T) {
	id := mustPlan(t, Column{Name: "event_id", Type: "varchar", Typmod: 50 + 4, NotNull: true}, Rules{RejectSpaces: true})
	wantReason(t, id, "event_id", strings.Repeat("x", 51), `event_id "`+strings.Repeat("x", 51)+`" is 51 characters, longer than 50`)
	wantReason(t, id, "event_id", "a\xffb", `event_id "a\xffb" is not valid UTF-8`)
	wantReason(t, id, "event_id", "a\x00b", `event_id "a\x00b" contains a NUL byte`)
	wantReason(t, id, "event_id", "e-1 ", `event_id "e-1 " has leading or trailing spaces`)
	short := mustPlan(t, Column{Name: "c", Type: "bpchar", Typmod: 2 + 4, NotNull: true}, Rules{})
	wantReason(t, short, "c", "ab ", `c "ab " is 3 characters, longer than 2`)
	if _, err := encode(t, short, "c", " a"); err != nil {
		t.Errorf("spaces are allowed without RejectSpaces: %v", err)
	}

	kind := mustPlan(t, Column{Name: "event_type", Type: "varchar", Typmod: 20 + 4, NotNull: true}, Rules{OneOf: []string{"view", "purchase"}})
	wantReason(t, kind, "event_type", "unknown_event", `event_type "unknown_event" is not view or purchase`)
	wantReason(t, kind, "event_type", "VIEW", `event_type "VIEW" is not view or purchase`)
	wantReason(t, kind, "event_type", "view ", `event_type "view " has leading or trailing spaces`)
	wantReason(t, kind, "event_type", "", `event_type is empty`)
	if v, err := encode(t, kind, "event_type", "purchase"); err != nil || string(v) != "purchase" {
		t.Errorf("purchase = %q, %v", v, err)
	}
	three := mustPlan(t, Column{Name: "k", Type: "bpchar", Typmod: 3 + 4}, Rules{OneOf: []string{"a", "b", "c"}})
	wantReason(t, three, "k", "d", `k "d" is not a, b or c`)
	if v, err := encode(t, three, "k", "b"); err != nil || string(v) != "b  " {
		t.Errorf("b = %q, %v; want it padded", v, err)
	}
	if v, err := encode(t, three, "k", ""); err != nil || v != nil {
		t.Errorf("empty = %q, %v; want NULL", v, err)
	}
}

// strictNoTrim: PostgreSQL cuts a too long value whose excess is spaces.
func strictNoTrim(n int) stricter {
	return stricter{"text-no-silent-trim", func(s string) bool { return utf8.RuneCountInString(s) > n }}
}

func strictOneOf(values ...string) stricter {
	return stricter{"one-of", func(s string) bool { return !slices.Contains(values, s) }}
}

func TestTextMatchesPostgres(t *testing.T) {
	edges := []string{
		"a", "ab", "abc", "abcd", "abcde", "abcdef", "abcde ", "abcde  ", "abc  ", "ab   ", "    ", "     ", "      ",
		" a", "a ", "\ta", "a\n", "a\r\n", "ééééé", "éééééé", "ééééé ", "日本語テキスト", "🙂🙂🙂🙂🙂", "🙂🙂🙂🙂🙂 ",
		"e\u0301e\u0301e\u0301", "\u00a0", "a\u200db", "\ufeffbom", "\\N", `"quoted"`, "comma,separated", "back\\slash",
		"view", "purchase", "View", "view ", " view", "purchases", "vie", "\x7f", "\u2028", "\U0010ffff",
		strings.Repeat("x", 50), strings.Repeat("x", 51), strings.Repeat("x", 50) + " ", strings.Repeat("é", 50), strings.Repeat("é", 51),
	}
	edges = append(edges, badBytes...)
	alphabet := "abcvieweé日🙂 \t\n\u00a0\u3000,\"\\"
	oneOf := strictOneOf("view", "purchase")
	runDiffs(t, "text", []diffCase{
		{sqlType: "text", inputs: inputs(60, 400, alphabet, edges...)},
		{sqlType: "varchar(5)", inputs: inputs(61, 400, alphabet, edges...), stricter: []stricter{strictNoTrim(5)}},
		{sqlType: "varchar", inputs: inputs(62, 200, alphabet, edges...)},
		{sqlType: "char(4)", inputs: inputs(63, 400, alphabet, edges...), stricter: []stricter{strictNoTrim(4)}},
		{sqlType: "char", inputs: inputs(64, 200, alphabet, edges...), stricter: []stricter{strictNoTrim(1)}},
		{sqlType: "bpchar", inputs: inputs(65, 200, alphabet, edges...)},
		{
			label: "user_activity.event_id varchar(50) RejectSpaces", sqlType: "varchar(50)", rules: Rules{RejectSpaces: true}, inputs: inputs(66, 400, alphabet, edges...),
			stricter: []stricter{strictSpaces}, // its only trimmable excess is trailing spaces
		},
		{
			label: "user_activity.event_type varchar(20) OneOf", sqlType: "varchar(20)", rules: Rules{OneOf: []string{"view", "purchase"}}, inputs: inputs(67, 400, alphabet, edges...),
			stricter: []stricter{oneOf},
		},
	})
}

// textFuzz: an accepted value decodes, with pgx, to the text as written,
// padded to n characters for char(n), and fits the column.
func textFuzz() []fuzzCase {
	var cases []fuzzCase
	for _, c := range []struct {
		typ    string
		typmod int32
		rules  Rules
	}{
		{"text", -1, Rules{}}, {"varchar", 5 + 4, Rules{RejectSpaces: true}}, {"varchar", 20 + 4, Rules{OneOf: []string{"view", "purchase"}}},
		{"bpchar", 4 + 4, Rules{}},
	} {
		cases = append(cases, fuzzCase{
			col:   Column{Name: "s", Type: c.typ, Typmod: c.typmod, NotNull: true},
			rules: c.rules,
			seeds: []string{"abc", "ab ", "ééééé", "a\x00", "\xff", "view"},
			check: func(t *testing.T, m *pgtype.Map, s string, v []byte, err error) {
				if err != nil {
					return
				}
				var got string
				if err := m.Scan(pgtype.TextOID, pgtype.BinaryFormatCode, v, &got); err != nil {
					t.Fatalf("%q: decode %q: %v", s, v, err)
				}
				want := s
				if c.typ == "bpchar" {
					want += strings.Repeat(" ", 4-utf8.RuneCountInString(s))
				}
				if got != want || !utf8.ValidString(got) || strings.ContainsRune(got, 0) ||
					(c.typmod > 0 && utf8.RuneCountInString(got) > int(c.typmod-4)) || (c.rules.OneOf != nil && !slices.Contains(c.rules.OneOf, got)) {
					t.Fatalf("%s(%d) %q decodes to %q, want %q", c.typ, c.typmod, s, got, want)
				}
			},
		})
	}
	return cases
}
