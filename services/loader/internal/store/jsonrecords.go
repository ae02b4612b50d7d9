package store

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/tributary-dev/tributary/shared/codec"
	"github.com/tributary-dev/tributary/shared/ndjson"
	"github.com/tributary-dev/tributary/shared/schema"
)

// jsonRecords reads the rows of an NDJSON body: one object per line, its
// members placed by key in the order of the mapping's fields. A key the
// mapping does not have, a line that is not one object, are rows
// returned with err set; reading goes on with the next line.
type jsonRecords struct {
	body    []byte
	at      int  // offset of the next line
	line    int  // its line in the file
	rows    bool // positions count rows (a Parquet part), not bytes
	read    int  // rows read
	keys    map[string]int
	header  string
	members []ndjson.Member
	fields  []string
	values  []ndjson.Member
}

// jsonPlan is what reading NDJSON rows of a mapping needs, worked out
// once per mapping: each field by key, and the JSON values and SQL name
// of each field's column.
type jsonPlan struct {
	keys  map[string]int
	takes []codec.JSON
	sql   []string
}

func newJSONPlan(m *schema.Mapping) *jsonPlan {
	p := &jsonPlan{keys: make(map[string]int, len(m.Keys)), takes: make([]codec.JSON, m.Width), sql: make([]string, m.Width)}
	for i, k := range m.Keys {
		p.keys[k] = i
		p.takes[i], p.sql[i] = codec.Accepts(m.Catalog[i].Type)
	}
	return p
}

func newJSONRecords(body []byte, firstLine int, rows bool, m *schema.Mapping, keys map[string]int) *jsonRecords {
	return &jsonRecords{body: body, line: firstLine, rows: rows, keys: keys, header: strings.Join(m.Keys, ","),
		fields: make([]string, m.Width), values: make([]ndjson.Member, m.Width)}
}

func (r *jsonRecords) next() (record, bool) {
	for r.at < len(r.body) {
		end := len(r.body)
		if i := bytes.IndexByte(r.body[r.at:], '\n'); i >= 0 {
			end = r.at + i + 1
		}
		line, number := r.body[r.at:end], r.line
		r.at, r.line = end, r.line+1
		raw := bytes.TrimRight(line, "\r\n")
		if len(bytes.TrimSpace(raw)) == 0 {
			continue // blank, as the watcher counts them
		}
		rec := record{line: number, end: int64(end), raw: raw}
		if r.read++; r.rows {
			rec.end = int64(r.read)
		}
		rec.err = r.parse(line)
		rec.fields, rec.json = r.fields, r.values
		return rec, true
	}
	return record{}, false
}

// parse places the members of line by key, or says why it cannot.
func (r *jsonRecords) parse(line []byte) string {
	members, err := ndjson.Parse(line, r.members[:0])
	r.members = members
	if err != nil {
		var se *ndjson.SyntaxError
		if errors.As(err, &se) && (strings.HasPrefix(se.Reason, "the line") || strings.HasPrefix(se.Reason, "key")) {
			return se.Reason
		}
		return "the line is not valid JSON: " + err.Error()
	}
	clear(r.values)
	for i := range r.fields {
		r.fields[i] = ""
	}
	for _, m := range members {
		i, ok := r.keys[m.Key]
		if !ok {
			return fmt.Sprintf("key %s is not one of the contract's columns (%s)", strconv.Quote(m.Key), r.header)
		}
		r.values[i], r.fields[i] = m, m.Text
	}
	return ""
}

// appendJSON appends the field of value v for field i of mapping m: the
// value's kind must be one its column takes, and its text is what the
// column's codec parses (a jsonb column takes the value as written).
func appendJSON(buf []byte, m *schema.Mapping, p *jsonPlan, i int, f codec.Field, v ndjson.Member) ([]byte, error) {
	col, takes, sql := m.Catalog[i], p.takes[i], p.sql[i]
	switch {
	case v.Kind == ndjson.Null:
		out, err := f.Append(buf, "")
		if err != nil {
			what := "is null"
			if v.Raw == nil {
				what = "is missing (the line has no such key)"
			}
			return buf, &codec.Error{Column: col.Name, Reason: col.Name + " " + what}
		}
		return out, nil
	case takes&codec.JSONDocument != 0:
		return f.Append(buf, string(v.Raw))
	case !takesKind(takes, v.Kind):
		return buf, &codec.Error{Column: col.Name, Reason: fmt.Sprintf("%s is a JSON %s%s; %s takes a JSON %s%s",
			col.Name, v.Kind, bounded(v), sql, wanted(takes), containers(v.Kind))}
	case v.Kind == ndjson.String && v.Text == "":
		if e, ok := f.(codec.EmptyAppender); ok {
			return e.AppendEmpty(buf)
		}
		return buf, &codec.Error{Column: col.Name, Reason: col.Name + ` is an empty string, which is not a ` + sql}
	}
	return f.Append(buf, v.Text)
}

func takesKind(takes codec.JSON, k ndjson.Kind) bool {
	switch k {
	case ndjson.String:
		return takes&codec.JSONString != 0
	case ndjson.Number:
		return takes&codec.JSONNumber != 0
	case ndjson.Bool:
		return takes&codec.JSONBool != 0
	}
	return false
}

func wanted(takes codec.JSON) string {
	switch {
	case takes&codec.JSONNumber != 0:
		return "number"
	case takes&codec.JSONBool != 0:
		return "boolean (true or false)"
	}
	return "string"
}

func containers(k ndjson.Kind) string {
	if k == ndjson.Object || k == ndjson.Array {
		return " (objects and arrays load only into jsonb columns)"
	}
	return ""
}

// bounded renders a value for a reason: a string's text, a number or a
// boolean as written, quoted and cut short; nothing for an object or an
// array, which the rejected line shows whole.
func bounded(v ndjson.Member) string {
	const max = 64
	if v.Kind == ndjson.Object || v.Kind == ndjson.Array {
		return ""
	}
	s := v.Text
	if len(s) > max {
		return " " + strconv.Quote(s[:max]) + "..."
	}
	return " " + strconv.Quote(s)
}
