package split

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/tributary-dev/tributary/services/watcher/internal/decode"
)

const jsonLine = `{"event_id":"e%d","price":1.50}`

func ndjsonFile(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(strings.Replace(jsonLine, "%d", strings.Repeat("x", i%7), 1) + "\n")
	}
	return b.String()
}

// NDJSON is cut on line ends as CSV is on row ends, with no header: the
// ranges tile the content, blank lines count as lines but not rows, and
// the file's keys (by_name) are its objects', in order of appearance.
func TestNDJSONIsCutOnLines(t *testing.T) {
	s := "\n" + `{"b":1}` + "\r\n\n" + `[1,2]` + "\n" + `{"a":"x","b":2,"c":{"d":1}}` + "\n" + `{"bad":` + "\n" + ndjsonFile(200) + `{"last":true}`
	got, err := inspectAs(byName(t), s, 2000)
	if err != nil {
		t.Fatal(err)
	}
	if got.Format != NDJSON || got.Rows != 205 || got.Columns != "b,a,c,event_id,price,last" {
		t.Fatalf("format %q rows %d columns %q; want ndjson, 205 rows and the keys of the objects", got.Format, got.Rows, got.Columns)
	}
	from := int64(0)
	for i, p := range got.Parts {
		if p.From != from || p.Offset < p.From || p.Offset+p.Length > p.To || p.Length > 2000-keysRoom(2000) {
			t.Fatalf("part %d = %+v", i, p)
		}
		from = p.To
	}
	if first := got.Parts[0]; first.FirstLine != 2 || first.Offset != 1 {
		t.Errorf("first part %+v, want its body at line 2, byte 1 (the blank line before is not sent)", first)
	}
	if from != int64(len(s)) {
		t.Errorf("ranges end at %d of %d", from, len(s))
	}
}

func TestNDJSONRejects(t *testing.T) {
	tests := []struct {
		name, give, want string
		exact            bool
	}{
		{name: "no line an object, by_name", give: "{\n[1]\n", want: "no line of the file is an object with a key"},
		{name: "one line an object, exact", give: "{\n" + `{"event_id":"a"}`, exact: true},
		{name: "an unknown key, exact", give: `{"event_id":"a","colour":"red"}` + "\n", exact: true,
			want: `the file's objects have key(s) "colour", which contract user_activity does not declare`},
		{name: "no key at all", give: "{}\n{}\n", want: "no line of the file is an object with a key"},
		{name: "a key no column can have", give: `{"a\u0000b":1}` + "\n", want: `the file's keys: column 1's name "a\x00b" is not valid text`},
		{name: "too many keys for the headers", give: `{"` + strings.Repeat("k", 300) + `":1}` + "\n", want: "the file's 1 keys take 321 bytes as a message header, more than the 256 set aside"},
	}
	for _, tt := range tests {
		d := byName(t)
		if tt.exact {
			d = userActivity
		}
		_, err := inspectAs(d, tt.give, 4096)
		var re *RejectError
		if tt.want == "" {
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
			}
			continue
		}
		if !errors.As(err, &re) || !strings.Contains(re.Reason, tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
	if l, err := inspectAs(userActivity, `{"event_id":"a","price":1}`+"\n", 4096); err != nil || l.Columns != "" || l.Format != NDJSON {
		t.Errorf("exact contract, declared keys: %+v, %v; want NDJSON without columns (the declared ones)", l, err)
	}
}

func TestNDJSONLongerThanAMessageIsSetAside(t *testing.T) {
	s := `{"a":1}` + "\n" + `{"a":"` + strings.Repeat("y", 5000) + `"}` + "\n" + `{"z":3}` + "\n"
	got, err := inspectAs(byName(t), s, 4096)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Parts) != 3 || !got.Parts[1].Oversized || got.Parts[1].FirstLine != 2 || got.Columns != "a,z" {
		t.Fatalf("layout %+v, want the long line set aside alone and its key only from the lines read", got)
	}
}

func TestCompressedNDJSON(t *testing.T) {
	s := ndjsonFile(50)
	want, err := inspectAs(byName(t), s, 4096)
	if err != nil {
		t.Fatal(err)
	}
	raw := compress(t, decode.Zstd, s)
	got, err := InspectCompressed(bytes.NewReader(raw), int64(len(raw)), decode.Zstd, decode.NewPool(1), 1<<20, 4096, byName(t))
	if err != nil || got.Format != NDJSON || got.Columns != want.Columns || len(got.Parts) != len(want.Parts) || got.Parts[0] != want.Parts[0] {
		t.Fatalf("zstd NDJSON = %+v, %v; want %+v", got, err, want)
	}
}
