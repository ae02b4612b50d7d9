package codec

import (
	"encoding/binary"
	"math"
	"math/big"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgtype"
)

func TestFloatEncodes(t *testing.T) {
	f8 := mustPlan(t, Column{Name: "x", Type: "float8", Typmod: -1, NotNull: true}, Rules{})
	f4 := mustPlan(t, Column{Name: "x", Type: "float4", Typmod: -1, NotNull: true}, Rules{})
	for give, want := range map[string]float64{
		"0": 0, "1.5": 1.5, "-2.25e3": -2250, ".5": 0.5, "5.": 5, "+1E-2": 0.01, "4.9e-324": 5e-324,
		"1.7976931348623157e308": math.MaxFloat64,
	} {
		v, err := encode(t, f8, "x", give)
		if err != nil || binary.BigEndian.Uint64(v) != math.Float64bits(want) {
			t.Errorf("float8 %q = %x, %v; want %v", give, v, err, want)
		}
	}
	v, err := encode(t, f8, "x", "-0")
	if err != nil || binary.BigEndian.Uint64(v) != 1<<63 {
		t.Errorf("float8 -0 = %x, %v; want negative zero", v, err)
	}
	v, err = encode(t, f4, "x", "0.1")
	if err != nil || binary.BigEndian.Uint32(v) != math.Float32bits(0.1) {
		t.Errorf("float4 0.1 = %x, %v; want %x", v, err, math.Float32bits(0.1))
	}
}

func TestFloatRejects(t *testing.T) {
	f8 := mustPlan(t, Column{Name: "x", Type: "float8", Typmod: -1, NotNull: true}, Rules{NonNegative: true})
	f4 := mustPlan(t, Column{Name: "x", Type: "float4", Typmod: -1, NotNull: true}, Rules{})
	wantReason(t, f8, "x", "NaN", `x "NaN" is not a finite number`)
	wantReason(t, f8, "x", "-Infinity", `x "-Infinity" is not a finite number`)
	wantReason(t, f8, "x", "0x1p3", `x "0x1p3" is not a number`)
	wantReason(t, f8, "x", "1e309", `x "1e309" is out of range for DOUBLE PRECISION`)
	wantReason(t, f8, "x", "1e-400", `x "1e-400" is out of range for DOUBLE PRECISION`)
	wantReason(t, f4, "x", "1e-50", `x "1e-50" is out of range for REAL`)
	wantReason(t, f4, "x", "3.5e38", `x "3.5e38" is out of range for REAL`)
	wantReason(t, f8, "x", "-0.5", `x "-0.5" is negative`)
	wantReason(t, f8, "x", "1.5 ", `x "1.5 " has leading or trailing spaces`)
	if _, err := encode(t, f8, "x", "-0"); err != nil {
		t.Errorf("-0 is not negative: %v", err)
	}
}

// tieAbove is the decimal exactly halfway between the largest finite
// float of mantissa bits and exponent maxExp and the next power of two,
// where rounding to even overflows.
func tieAbove(mantissa, maxExp int) string {
	top := new(big.Int).Lsh(big.NewInt(1), uint(maxExp))
	half := new(big.Int).Lsh(big.NewInt(1), uint(maxExp-mantissa-1))
	return top.Sub(top, half).String()
}

// tieBelow is the decimal exactly halfway between zero and the smallest
// subnormal, 2^-minExp / 2, which rounds to zero.
func tieBelow(minExp int) string {
	return new(big.Float).SetPrec(2000).SetMantExp(big.NewFloat(1), -minExp-1).Text('e', 1000)
}

var (
	strictFinite = stricter{"float-finite", func(s string) bool {
		l := strings.ToLower(s)
		return strings.Contains(l, "nan") || strings.Contains(l, "inf")
	}}
	strictFloatDecimal = stricter{"float-decimal-only", func(s string) bool { return strings.Contains(strings.ToLower(s), "0x") }}
)

func TestFloatMatchesPostgres(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	edges := []string{
		"0", "-0", "+0", "0.0", ".0", "0.", "1", "-1.5", "1e308", "1.7976931348623157e308", "1.7976931348623158e308",
		"1.7976931348623159e308", "1e309", "-1e309", "4.9406564584124654e-324", "2.4703282292062328e-324",
		"2.4703282292062327e-324", "1e-310", "1e-400", "-1e-400", "3.4028235e38", "3.4028236e38", "1e39",
		"1.4e-45", "7.1e-46", "7e-46", "1e-40", "1e-50", "0.1", "0.2", "0.3", "123456789012345678901234567890",
		"1e", "e1", ".", "+.", "-.e1", ".e1", "1.e1", ".1e1", "1e+", "1e-5", "1E5", "00001.5", "1_0", "0x1p3", "0X10",
		"0x.8", "infinity", "-INF", "+inf", "inf", "nan", "NaN", "+nan", "-nan", "nan(123)", "inFinity", "Infinit",
		"1.5 ", " 1.5", "\t1", "1\n", "١", "1,5", "1d5", "1f", "1e0001", "1e-0", "--1", "+-1", "1e--1", "1e99999999999999999999",
		"1e-99999999999999999999", "0e99999999999999999999", "0." + strings.Repeat("0", 400) + "1", "1" + strings.Repeat("0", 400),
		tieAbove(53, 1024), tieAbove(24, 128), tieBelow(1074), tieBelow(149), "9007199254740993", "16777217",
	}
	for range 300 {
		s := []string{"", "-", "+"}[rng.IntN(3)] + randomDigits(rng, rng.IntN(20))
		if rng.IntN(2) == 0 {
			s += "." + randomDigits(rng, rng.IntN(20))
		}
		if rng.IntN(2) == 0 {
			s += "e" + []string{"", "-", "+"}[rng.IntN(3)] + strconv.Itoa(rng.IntN(400))
		}
		edges = append(edges, s)
	}
	edges = append(edges, badBytes...)
	var cases []diffCase
	for k, typ := range []string{"real", "double precision"} {
		cases = append(cases, diffCase{
			sqlType:  typ,
			inputs:   inputs(uint64(40+k), 700, "0123456789.-+eExpin ", edges...),
			stricter: []stricter{strictSpaces, strictFinite, strictFloatDecimal},
		})
	}
	runDiffs(t, "float", cases)
}

// floatFuzz: an accepted value decodes, with pgx, to the finite float
// strconv reads from the text.
func floatFuzz() []fuzzCase {
	var cases []fuzzCase
	for _, typ := range []struct {
		typname string
		oid     uint32
		bits    int
	}{{"float8", pgtype.Float8OID, 64}, {"float4", pgtype.Float4OID, 32}} {
		cases = append(cases, fuzzCase{
			col:   Column{Name: "x", Type: typ.typname, Typmod: -1, NotNull: true},
			seeds: []string{"1.5", "-0", "1e-400", "3.4028236e38", "NaN", "0x1p3", ".5e1"},
			check: func(t *testing.T, m *pgtype.Map, s string, v []byte, err error) {
				if err != nil {
					return
				}
				want, werr := strconv.ParseFloat(s, typ.bits)
				var got float64
				if err := m.Scan(typ.oid, pgtype.BinaryFormatCode, v, &got); err != nil || werr != nil ||
					math.Float64bits(got) != math.Float64bits(want) || math.IsInf(got, 0) || math.IsNaN(got) {
					t.Fatalf("%s %q decodes to %v (%v), strconv reads %v (%v)", typ.typname, s, got, err, want, werr)
				}
			},
		})
	}
	return cases
}
