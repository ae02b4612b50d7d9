package ndjson

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseMembers(t *testing.T) {
	line := ` { "id" : "a\"b\u00e9\ud83d\ude00", "n": -12.50e+3, "t": true, "z": null, "o": {"x": [1, {"y": []}], "": {}}, "a": [] } ` + "\r\n"
	got, err := Parse([]byte(line), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []Member{
		{Key: "id", Kind: String, Text: "a\"bé😀"},
		{Key: "n", Kind: Number, Text: "-12.50e+3"},
		{Key: "t", Kind: Bool, Text: "true"},
		{Key: "z", Kind: Null, Text: "null"},
		{Key: "o", Kind: Object, Text: `{"x": [1, {"y": []}], "": {}}`},
		{Key: "a", Kind: Array, Text: "[]"},
	}
	if len(got) != len(want) {
		t.Fatalf("members %+v", got)
	}
	for i := range want {
		if got[i].Key != want[i].Key || got[i].Kind != want[i].Kind || got[i].Text != want[i].Text {
			t.Errorf("member %d = %q %s %q, want %q %s %q", i, got[i].Key, got[i].Kind, got[i].Text, want[i].Key, want[i].Kind, want[i].Text)
		}
	}
	if string(got[0].Raw) != `"a\"b\u00e9\ud83d\ude00"` {
		t.Errorf("raw of a string = %s, want it as written", got[0].Raw)
	}
}

func TestParseRefuses(t *testing.T) {
	tests := []struct{ give, want string }{
		{"", "the line is empty"},
		{"[1,2]", "the line is not a JSON object (it starts with '[')"},
		{`"x"`, "the line is not a JSON object"},
		{`{"a":1,"a":2}`, `key "a" appears twice`},
		{`{"a":1} x`, "text after the object"},
		{`{"a":01}`, `expected "," or "}"`},
		{`{"a":1.}`, "invalid number"},
		{`{"a":+1}`, "invalid value"},
		{`{"a":NaN}`, "invalid value"},
		{`{"a":tru}`, "invalid value"},
		{`{"a":"\ud800"}`, "a high surrogate escape without its low surrogate"},
		{`{"a":"\udc00"}`, "a low surrogate escape without its high surrogate"},
		{`{"a":"\x"}`, "invalid escape"},
		{"{\"a\":\"tab\there\"}", "a control character in a string must be escaped"},
		{`{"a":"open`, "unterminated string"},
		{`{"a":[1,2}`, `expected "," or "]"`},
		{`{"a":{"b" 1}}`, `expected ":" after a key`},
		{`{"a":[1,]}`, "invalid value"},
		{`{"a":{"b":1,}}`, "expected a string"},
		{`{"a":{"b":1}`, `expected "," or "}"`},
		{`{"a":[`, "a value is missing"},
		{`{"a":{`, "expected a string"},
		{`{a:1}`, "expected a string"},
		{`{"a":1`, `expected "," or "}"`},
		{`{"a":` + strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth) + `}`, "nested deeper than 1000"},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(tt.give), nil)
		var se *SyntaxError
		if !errors.As(err, &se) || !strings.Contains(se.Reason, tt.want) {
			t.Errorf("Parse(%.40q) = %v, want %q", tt.give, err, tt.want)
		}
	}
	deepest := `{"a":` + strings.Repeat("[", MaxDepth-1) + strings.Repeat("]", MaxDepth-1) + `}`
	if _, err := Parse([]byte(deepest), nil); err != nil {
		t.Errorf("%d levels: %v", MaxDepth, err)
	}
}

// Whatever encoding/json accepts as an object, Parse accepts, and the
// other way round; and each member's text is its value as written.
func FuzzParseAgreesWithEncodingJSON(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `{"a":[1,{"b":null}],"c":"\u00e9"}`, `{}`, `[]`, `{"a":1,}`, `{"a":"\ud800"}`, `{"a":-0.5e-7}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		members, err := Parse([]byte(s), nil)
		var obj map[string]json.RawMessage
		jerr := json.Unmarshal([]byte(s), &obj)
		if jerr != nil || obj == nil {
			if err == nil && !strings.Contains(s, `\u`) && jerr != nil {
				t.Fatalf("Parse accepted %q, which encoding/json refuses: %v", s, jerr)
			}
			return
		}
		if err != nil {
			var se *SyntaxError
			// Stricter than encoding/json: duplicate keys, lone surrogates, nesting.
			if errors.As(err, &se) && (strings.Contains(se.Reason, "twice") || strings.Contains(se.Reason, "surrogate") || strings.Contains(se.Reason, "nested")) {
				return
			}
			t.Fatalf("Parse(%q) = %v, but encoding/json reads it", s, err)
		}
		if !utf8.ValidString(s) {
			return // encoding/json turns invalid UTF-8 into U+FFFD; Parse keeps it for the codec to name
		}
		if len(members) != len(obj) {
			t.Fatalf("Parse(%q) = %d members, encoding/json %d", s, len(members), len(obj))
		}
		for _, m := range members {
			if string(m.Raw) != string(obj[m.Key]) {
				t.Fatalf("Parse(%q): %q = %s, encoding/json %s", s, m.Key, m.Raw, obj[m.Key])
			}
		}
	})
}
