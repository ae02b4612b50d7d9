package codec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func mustPlan(tb testing.TB, col Column, r Rules) Field {
	tb.Helper()
	f, err := Plan(col, r)
	if err != nil {
		tb.Fatalf("Plan(%+v, %+v): %v", col, r, err)
	}
	return f
}

// prefix stands for the fields already in a buffer: Append must leave it
// alone.
var prefix = []byte("earlier fields")

// encode appends s after prefix and checks what every Field promises: an
// *Error naming the column with buf unchanged, or one field whose length
// word matches what follows it. It returns the value's bytes, nil for
// NULL.
func encode(tb testing.TB, f Field, column, s string) ([]byte, error) {
	tb.Helper()
	buf := append(make([]byte, 0, len(prefix)+8), prefix...)
	out, err := f.Append(buf, s)
	if err != nil {
		var e *Error
		if !errors.As(err, &e) || e.Column != column {
			tb.Fatalf("Append(%q) error %#v is not an *Error of column %q", s, err, column)
		}
		if !strings.HasPrefix(e.Reason, column+" ") || len(e.Reason) > 400 || !utf8.ValidString(e.Reason) || strings.ContainsAny(e.Reason, "\x00\r\n") {
			tb.Fatalf("Append(%q): unsafe or unnamed reason %q", s, e.Reason)
		}
		if !bytes.Equal(out, prefix) || len(out) != len(prefix) {
			tb.Fatalf("Append(%q) failed but changed buf to %q", s, out)
		}
		return nil, err
	}
	if !bytes.Equal(out[:len(prefix)], prefix) || len(out) < len(prefix)+4 {
		tb.Fatalf("Append(%q) = %q: the earlier fields changed or no length word", s, out)
	}
	field := out[len(prefix):]
	n := int32(binary.BigEndian.Uint32(field))
	if n == -1 && len(field) == 4 {
		return nil, nil
	}
	if int(n) != len(field)-4 {
		tb.Fatalf("Append(%q): length word %d, %d bytes follow", s, n, len(field)-4)
	}
	return field[4:], nil
}

// wantReason checks that appending s is refused with exactly reason.
func wantReason(t *testing.T, f Field, column, s, reason string) {
	t.Helper()
	_, err := encode(t, f, column, s)
	if err == nil || err.Error() != reason {
		t.Errorf("Append(%q) error = %v, want %q", s, err, reason)
	}
}

func TestPlanRefusesWhatItCannotHonour(t *testing.T) {
	tests := []struct {
		name  string
		col   Column
		rules Rules
		want  string
	}{
		{"array", Column{Name: "tags", Type: "_text", Typmod: -1},
			Rules{}, `column "tags" has type _text, which contracts do not support (supported: smallint, integer, bigint, numeric, real, double precision, boolean, text, varchar, char, date, timestamp, timestamptz, uuid, jsonb)`},
		{"non-negative text", Column{Name: "name", Type: "text", Typmod: -1},
			Rules{NonNegative: true}, `column "name" has type text, to which NonNegative does not apply`},
		{"one of an integer", Column{Name: "n", Type: "int4", Typmod: -1},
			Rules{OneOf: []string{"1"}, NonNegative: true}, `column "n" has type integer, to which OneOf does not apply`},
		{"zone of a timestamp", Column{Name: "at", Type: "timestamp", Typmod: -1},
			Rules{Zone: time.UTC}, `column "at" has type timestamp, to which Zone does not apply`},
		{"negative scale", Column{Name: "p", Type: "numeric", Typmod: (3<<16 | 0x7ff) + 4},
			Rules{}, `column "p" has type numeric(3,-1), which contracts do not support (the scale must be between 0 and the precision)`},
		{"scale above precision", Column{Name: "p", Type: "numeric", Typmod: (2<<16 | 5) + 4},
			Rules{}, `column "p" has type numeric(2,5), which contracts do not support (the scale must be between 0 and the precision)`},
		{"one of too long", Column{Name: "kind", Type: "varchar", Typmod: 3 + 4},
			Rules{OneOf: []string{"view", "buy"}}, `column "kind": OneOf value: kind "view" is 4 characters, longer than 3`},
		{"one of empty", Column{Name: "kind", Type: "text", Typmod: -1},
			Rules{OneOf: []string{"a", ""}}, `column "kind": OneOf lists an empty value, which CSV cannot tell from NULL`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Plan(tt.col, tt.rules)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("Plan = %v, %v; want error %q", f, err, tt.want)
			}
		})
	}
}

func TestEmptyIsNullOrRejected(t *testing.T) {
	for _, typ := range []string{"int2", "int4", "int8", "numeric", "float4", "float8", "bool", "text", "varchar", "bpchar", "date", "timestamp", "timestamptz", "uuid", "jsonb"} {
		nullable := mustPlan(t, Column{Name: "c", Type: typ, Typmod: -1}, Rules{})
		if v, err := encode(t, nullable, "c", ""); err != nil || v != nil {
			t.Errorf("%s nullable: Append(\"\") = %q, %v; want NULL", typ, v, err)
		}
		wantReason(t, mustPlan(t, Column{Name: "c", Type: typ, Typmod: -1, NotNull: true}, Rules{}), "c", "", "c is empty")
	}
}

func TestQuoteIsBoundedAndEscaped(t *testing.T) {
	f := mustPlan(t, Column{Name: "n", Type: "int4", Typmod: -1}, Rules{})
	_, err := encode(t, f, "n", strings.Repeat("é", 1000))
	if err == nil || len(err.Error()) > 100 || !strings.HasSuffix(err.Error(), `"... is not an integer`) {
		t.Errorf("reason = %v, want a short one", err)
	}
	wantReason(t, f, "n", "1\n2", `n "1\n2" is not an integer`)
}
