package codec

import (
	"encoding/binary"
	"fmt"
	"math/big"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgtype"
)

// numericTypmod is atttypmod of numeric(p,s).
func numericTypmod(p, s int) int32 { return int32(p<<16|s) + 4 }

func TestNumericEncodes(t *testing.T) {
	tests := []struct {
		typmod int32
		give   string
		want   []uint16 // ndigits, weight, sign, dscale, digits...
	}{
		{numericTypmod(10, 2), "19.99", []uint16{2, 0, 0, 2, 19, 9900}},
		{numericTypmod(10, 2), "0", []uint16{0, 0, 0, 2}},
		{numericTypmod(10, 2), "-0.00", []uint16{0, 0, 0, 2}},
		{numericTypmod(10, 2), "00012.5", []uint16{2, 0, 0, 2, 12, 5000}},
		{numericTypmod(10, 2), "1.500", []uint16{2, 0, 0, 2, 1, 5000}},
		{numericTypmod(10, 2), "99999999.99", []uint16{3, 1, 0, 2, 9999, 9999, 9900}},
		{numericTypmod(10, 2), "12345678.9", []uint16{3, 1, 0, 2, 1234, 5678, 9000}},
		{numericTypmod(10, 2), "-10000", []uint16{1, 1, 0x4000, 2, 1}},
		{numericTypmod(3, 3), "0.001", []uint16{1, 0xffff, 0, 3, 10}},
		{-1, "0.0001", []uint16{1, 0xffff, 0, 4, 1}},
		{-1, "0.00001", []uint16{1, 0xfffe, 0, 5, 1000}},
		{-1, "1.500", []uint16{2, 0, 0, 3, 1, 5000}},
		{-1, "100000000", []uint16{1, 2, 0, 0, 1}},
		{-1, "-123456789.000000001", []uint16{6, 2, 0x4000, 9, 1, 2345, 6789, 0, 0, 1000}},
	}
	for _, tt := range tests {
		f := mustPlan(t, Column{Name: "price", Type: "numeric", Typmod: tt.typmod, NotNull: true}, Rules{})
		v, err := encode(t, f, "price", tt.give)
		if err != nil {
			t.Errorf("%q: %v", tt.give, err)
			continue
		}
		var want []byte
		for _, w := range tt.want {
			want = binary.BigEndian.AppendUint16(want, w)
		}
		if string(v) != string(want) {
			t.Errorf("%q = %x, want %x", tt.give, v, want)
		}
	}
}

func TestNumericRejects(t *testing.T) {
	price := mustPlan(t, Column{Name: "price", Type: "numeric", Typmod: numericTypmod(10, 2), NotNull: true}, Rules{NonNegative: true})
	for give, want := range map[string]string{
		"-50.00":        `price "-50.00" is negative`,
		"1.234":         `price "1.234" has more than 2 decimal places`,
		"-1.505":        `price "-1.505" has more than 2 decimal places`,
		"123456789.00":  `price "123456789.00" does not fit DECIMAL(10,2)`,
		"-123456789.00": `price "-123456789.00" does not fit DECIMAL(10,2)`,
		"1e3":           `price "1e3" is not a decimal number`,
		"12.":           `price "12." is not a decimal number`,
		".5":            `price ".5" is not a decimal number`,
		"NaN":           `price "NaN" is not a decimal number`,
		"+1.00":         `price "+1.00" is not a decimal number`,
		" 1":            `price " 1" has leading or trailing spaces`,
		"1\xff":         `price "1\xff" is not valid UTF-8`,
	} {
		wantReason(t, price, "price", give, want)
	}
	free := mustPlan(t, Column{Name: "x", Type: "numeric", Typmod: -1, NotNull: true}, Rules{})
	wantReason(t, free, "x", "1"+strings.Repeat("0", numericMaxWhole), `x "1`+strings.Repeat("0", 63)+`"... does not fit NUMERIC`)
	wantReason(t, free, "x", "0."+strings.Repeat("0", numericMaxScale+1), `x "0.`+strings.Repeat("0", 62)+`"... has more than 16383 decimal places`)
}

// plainDecimal is the only form the numeric codec reads.
var plainDecimal = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

// Stricter rules of numeric.
var (
	strictNumericForm = stricter{"numeric-plain-decimal", func(s string) bool { return !plainDecimal.MatchString(s) }}
	strictNonNegative = stricter{"non-negative", func(s string) bool {
		return strings.HasPrefix(s, "-") && strings.Trim(s, "-0.") != ""
	}}
)

// strictNoRounding: PostgreSQL rounds fraction digits beyond the scale.
func strictNoRounding(scale int) stricter {
	return stricter{"no-rounding", func(s string) bool {
		_, frac, _ := strings.Cut(s, ".")
		return len(frac) > scale && strings.Trim(frac[scale:], "0") != ""
	}}
}

func TestNumericMatchesPostgres(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	edges := []string{
		"0", "-0", "-0.00", "0.00000", "00000000000012.50", "19.99", "99999999.99", "99999999.994", "99999999.995",
		"100000000", "100000000.00", "-99999999.99", "0.005", "0.004", "0.01", "1.505", "1.500", "999.9995",
		"0.001", "0.0005", "1", "99999", "100000", "123.45", "12345.6789012345", "0.1234567891", "0.12345678905",
		".5", "5.", "+1", "1e2", "1E-2", "-1e-2", "NaN", "nan", "Infinity", "-Infinity", "inf", "+inf",
		"1.2.3", "1..2", "--1", "1-", "-", ".", "", " 1", "1 ", "\t1", "1\n", "1,5", "1_000", "0x1F", "١", "1e", "e1",
		"1" + strings.Repeat("0", numericMaxWhole-1), "1" + strings.Repeat("0", numericMaxWhole),
		"0." + strings.Repeat("0", numericMaxScale-1) + "1", "0." + strings.Repeat("0", numericMaxScale) + "1",
		strings.Repeat("9", 38) + "." + strings.Repeat("9", 10),
	}
	for range 200 {
		s := []string{"", "-"}[rng.IntN(2)] + randomDigits(rng, 1+rng.IntN(15))
		if rng.IntN(3) > 0 {
			s += "." + randomDigits(rng, 1+rng.IntN(12))
		}
		edges = append(edges, s)
	}
	edges = append(edges, badBytes...)
	alphabet := "0123456789.-+eE "
	var cases []diffCase
	for k, tm := range []struct{ p, s int }{{10, 2}, {5, 0}, {3, 3}, {38, 10}, {1000, 500}} {
		cases = append(cases, diffCase{
			sqlType:  fmt.Sprintf("numeric(%d,%d)", tm.p, tm.s),
			inputs:   inputs(uint64(20+k), 400, alphabet, edges...),
			stricter: []stricter{strictSpaces, strictNumericForm, strictNoRounding(tm.s)},
		})
	}
	cases = append(cases,
		diffCase{sqlType: "numeric", inputs: inputs(30, 600, alphabet, edges...), stricter: []stricter{strictSpaces, strictNumericForm}},
		diffCase{
			label: "user_activity.price numeric(10,2) NonNegative", sqlType: "numeric(10,2)", rules: Rules{NonNegative: true}, inputs: inputs(31, 600, alphabet, edges...),
			stricter: []stricter{strictSpaces, strictNumericForm, strictNoRounding(2), strictNonNegative},
		})
	runDiffs(t, "numeric", cases)
}

// numericFuzz: an accepted value decodes, with pgx, to exactly the
// decimal the text spells, with the column's scale.
func numericFuzz() []fuzzCase {
	var cases []fuzzCase
	for _, typmod := range []int32{numericTypmod(10, 2), -1, numericTypmod(3, 3), numericTypmod(20, 0)} {
		cases = append(cases, fuzzCase{
			col:   Column{Name: "x", Type: "numeric", Typmod: typmod, NotNull: true},
			seeds: []string{"19.99", "-0.00", "0.0001", "99999999.995", "1e3", "00012.50", "123456789.123456789"},
			check: func(t *testing.T, m *pgtype.Map, s string, v []byte, err error) {
				if err != nil {
					return
				}
				want, ok := new(big.Rat).SetString(s)
				if !ok || !plainDecimal.MatchString(s) {
					t.Fatalf("accepted %q, which is not a plain decimal", s)
				}
				var got pgtype.Numeric
				if err := m.Scan(pgtype.NumericOID, pgtype.BinaryFormatCode, v, &got); err != nil {
					t.Fatalf("%q: decode %x: %v", s, v, err)
				}
				value := new(big.Rat).SetInt(got.Int)
				scale := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(got.Exp))), nil))
				if got.Exp < 0 {
					value.Quo(value, scale)
				} else {
					value.Mul(value, scale)
				}
				_, frac, _ := strings.Cut(s, ".")
				wantScale := len(frac)
				if typmod != -1 {
					wantScale = int(typmod-4) & 0xffff
				}
				if value.Cmp(want) != 0 || int(binary.BigEndian.Uint16(v[6:])) != wantScale {
					t.Fatalf("%q decodes to %s with scale %d, want %s with scale %d", s, value.FloatString(12), binary.BigEndian.Uint16(v[6:]), want.FloatString(12), wantScale)
				}
			},
		})
	}
	return cases
}

func abs(n int32) int32 {
	if n < 0 {
		return -n
	}
	return n
}
