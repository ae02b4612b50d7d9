package codec

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5/pgtype"
)

var intTypes = []struct {
	typname, sql string
	bits         int
	oid          uint32
}{
	{"int2", "smallint", 16, pgtype.Int2OID},
	{"int4", "integer", 32, pgtype.Int4OID},
	{"int8", "bigint", 64, pgtype.Int8OID},
}

func TestIntEncodes(t *testing.T) {
	tests := []struct {
		typ, give string
		want      uint64
	}{
		{"int2", "0", 0}, {"int2", "-0", 0}, {"int2", "+7", 7}, {"int2", "007", 7},
		{"int2", "32767", 0x7fff}, {"int2", "-32768", 0x8000}, {"int2", "-1", 0xffff},
		{"int4", "2147483647", 0x7fffffff}, {"int4", "-2147483648", 0x80000000}, {"int4", "-2", 0xfffffffe},
		{"int8", "9223372036854775807", 1<<63 - 1}, {"int8", "-9223372036854775808", 1 << 63},
	}
	for _, tt := range tests {
		f := mustPlan(t, Column{Name: "n", Type: tt.typ, Typmod: -1, NotNull: true}, Rules{})
		v, err := encode(t, f, "n", tt.give)
		if err != nil {
			t.Errorf("%s %q: %v", tt.typ, tt.give, err)
			continue
		}
		var got uint64
		for _, b := range v {
			got = got<<8 | uint64(b)
		}
		if size := map[string]int{"int2": 2, "int4": 4, "int8": 8}[tt.typ]; len(v) != size || got != tt.want {
			t.Errorf("%s %q = %x, want %d bytes %x", tt.typ, tt.give, v, size, tt.want)
		}
	}
}

func TestIntRejects(t *testing.T) {
	tests := []struct {
		typ   string
		rules Rules
		give  string
		want  string
	}{
		{"int2", Rules{}, "32768", `n "32768" is out of range for SMALLINT`},
		{"int4", Rules{}, "-2147483649", `n "-2147483649" is out of range for INTEGER`},
		{"int8", Rules{}, "9223372036854775808", `n "9223372036854775808" is out of range for BIGINT`},
		{"int4", Rules{}, "99999999999x", `n "99999999999x" is out of range for INTEGER`}, // as contract.Parse says it
		{"int4", Rules{}, "99999999999 ", `n "99999999999 " has leading or trailing spaces`},
		{"int4", Rules{}, "1.0", `n "1.0" is not an integer`},
		{"int4", Rules{}, "1e3", `n "1e3" is not an integer`},
		{"int4", Rules{}, " 1", `n " 1" has leading or trailing spaces`},
		{"int4", Rules{}, "1\xff", `n "1\xff" is not valid UTF-8`},
		{"int4", Rules{}, "1\x00", `n "1\x00" contains a NUL byte`},
		{"int4", Rules{NonNegative: true}, "-1", `n "-1" is negative`},
		{"int8", Rules{NonNegative: true}, "-99999999999999999999", `n "-99999999999999999999" is out of range for BIGINT`},
	}
	for _, tt := range tests {
		wantReason(t, mustPlan(t, Column{Name: "n", Type: tt.typ, Typmod: -1, NotNull: true}, tt.rules), "n", tt.give, tt.want)
	}
	if _, err := encode(t, mustPlan(t, Column{Name: "n", Type: "int4", Typmod: -1}, Rules{NonNegative: true}), "n", "-0"); err != nil {
		t.Errorf("-0 is not negative: %v", err)
	}
}

func TestIntMatchesPostgres(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	edges := []string{
		"0", "-0", "+0", "00", "0000000000000000000000000001", "+", "-", "--1", "+-1", "1-", "1+",
		"32767", "32768", "-32768", "-32769", "65535", "2147483647", "2147483648", "-2147483648", "-2147483649",
		"9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
		"18446744073709551616", "99999999999999999999999999", "1e3", "1E3", "0x10", "0b1", "0o7", "1_000", "1,000",
		"1.0", "1.", ".1", " 1", "1 ", "\t1\n", "1\v", "\f1", "\u00a01", "١", "１", "½", "ⅷ", "NaN", "Infinity",
	}
	for range 150 {
		sign := []string{"", "-", "+"}[rng.IntN(3)]
		edges = append(edges, sign+randomDigits(rng, 1+rng.IntN(20)))
	}
	edges = append(edges, badBytes...)
	var cases []diffCase
	for k, typ := range intTypes {
		cases = append(cases, diffCase{
			sqlType:  typ.sql,
			inputs:   inputs(uint64(10+k), 600, "0123456789+-. e_x\t", edges...),
			stricter: []stricter{strictSpaces},
		})
	}
	runDiffs(t, "int", cases)
}

// intFuzz: an accepted value decodes, with pgx, to the integer the text
// spells; a rejected one is out of range or not an integer for strconv.
func intFuzz() []fuzzCase {
	var cases []fuzzCase
	for _, typ := range intTypes {
		cases = append(cases, fuzzCase{
			col:   Column{Name: "n", Type: typ.typname, Typmod: -1, NotNull: true},
			seeds: []string{"0", "-32768", "32768", "+1", "1e3", " 1", "9223372036854775808", "\xff"},
			check: func(t *testing.T, m *pgtype.Map, s string, v []byte, err error) {
				want, wantErr := strconv.ParseInt(s, 10, typ.bits)
				if (err == nil) != (wantErr == nil) {
					t.Fatalf("%s %q: error %v, strconv says %v", typ.sql, s, err, wantErr)
				}
				if err != nil {
					return
				}
				var got int64
				if err := m.Scan(typ.oid, pgtype.BinaryFormatCode, v, &got); err != nil || got != want {
					t.Fatalf("%s %q decodes to %d (%v), want %d", typ.sql, s, got, err, want)
				}
			},
		})
	}
	return cases
}
