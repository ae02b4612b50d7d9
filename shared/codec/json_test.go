package codec

import (
	"bytes"
	"testing"
)

func TestAcceptsJSON(t *testing.T) {
	tests := []struct {
		typname string
		want    JSON
		sql     string
	}{
		{"int8", JSONNumber, "bigint"}, {"numeric", JSONNumber, "numeric"}, {"float4", JSONNumber, "real"},
		{"bool", JSONBool, "boolean"}, {"varchar", JSONString, "varchar"}, {"timestamptz", JSONString, "timestamptz"},
		{"uuid", JSONString, "uuid"}, {"jsonb", JSONDocument, "jsonb"}, {"xml", 0, "xml"},
	}
	for _, tt := range tests {
		if got, sql := Accepts(tt.typname); got != tt.want || sql != tt.sql {
			t.Errorf("Accepts(%s) = %v, %s; want %v, %s", tt.typname, got, sql, tt.want, tt.sql)
		}
	}
	for _, ct := range registry {
		if ct.json == 0 {
			t.Errorf("%s takes no JSON value", ct.typname)
		}
	}
}

// JSON can say "" where CSV cannot: text loads it as the empty string,
// char(n) as n spaces, a list of values refuses it.
func TestAppendEmpty(t *testing.T) {
	plan := func(col Column, r Rules) EmptyAppender {
		f, err := Plan(col, r)
		if err != nil {
			t.Fatal(err)
		}
		return f.(EmptyAppender)
	}
	if got, err := plan(Column{Name: "t", Type: "text", Typmod: -1, NotNull: true}, Rules{}).AppendEmpty(nil); err != nil || !bytes.Equal(got, []byte{0, 0, 0, 0}) {
		t.Errorf("text: %v, %v", got, err)
	}
	if got, err := plan(Column{Name: "c", Type: "bpchar", Typmod: 4 + 3}, Rules{}).AppendEmpty(nil); err != nil || !bytes.Equal(got, []byte{0, 0, 0, 3, ' ', ' ', ' '}) {
		t.Errorf("char(3): %v, %v", got, err)
	}
	if _, err := plan(Column{Name: "s", Type: "varchar", Typmod: -1}, Rules{OneOf: []string{"a", "b"}}).AppendEmpty(nil); err == nil || err.Error() != `s "" is not a or b` {
		t.Errorf("one_of: %v", err)
	}
}
