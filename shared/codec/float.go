package codec

import (
	"encoding/binary"
	"errors"
	"math"
	"strconv"
)

// floatField is real or double precision: a decimal number with an
// optional sign, point and exponent, rounded to the nearest float by
// strconv.ParseFloat (correctly rounded, as the C library PostgreSQL
// calls), sent as its IEEE 754 bits.
//
// NaN and ±Infinity are rejected although the column could hold them: in
// a CSV they are almost always a producer's division by zero, and one of
// them turns every sum and average over the column into NaN or Infinity.
// Hexadecimal floats, which the C library reads, are rejected too.
// Values too small for the type are out of range, as in PostgreSQL,
// rather than zero.
type floatField struct {
	column
	bits        int    // 32 or 64
	sql         string // REAL or DOUBLE PRECISION, for range errors
	nonNegative bool
}

func planFloat(bits int, sql string) func(column, Column, Rules) (Field, error) {
	return func(c column, _ Column, r Rules) (Field, error) {
		return &floatField{column: c, bits: bits, sql: sql, nonNegative: r.NonNegative}, nil
	}
}

func (f *floatField) Append(buf []byte, s string) ([]byte, error) {
	if s == "" {
		return f.empty(buf)
	}
	if !decimalFloat(s) {
		if special(s) {
			return buf, f.errorf("%s is not a finite number", quote(s))
		}
		return f.invalid(buf, s, "is not a number")
	}
	v, err := strconv.ParseFloat(s, f.bits)
	if errors.Is(err, strconv.ErrRange) || (v == 0 && nonZeroMantissa(s)) {
		return buf, f.errorf("%s is out of range for %s", quote(s), f.sql)
	}
	if f.nonNegative && v < 0 {
		return buf, f.errorf("%s is negative", quote(s))
	}
	if f.bits == 32 {
		buf = binary.BigEndian.AppendUint32(buf, 4)
		return binary.BigEndian.AppendUint32(buf, math.Float32bits(float32(v))), nil
	}
	buf = binary.BigEndian.AppendUint32(buf, 8)
	return binary.BigEndian.AppendUint64(buf, math.Float64bits(v)), nil
}

// decimalFloat reports whether s is [+-]digits[.digits][e[+-]digits],
// with digits on at least one side of the point.
func decimalFloat(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	start := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	mantissa := i - start
	if i < len(s) && s[i] == '.' {
		i++
		frac := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		mantissa += i - frac
	}
	if mantissa == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == exp {
			return false
		}
	}
	return i == len(s)
}

// special reports whether s spells NaN or an infinity as PostgreSQL reads
// them.
func special(s string) bool {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	return equalFoldASCII(s, "nan") || equalFoldASCII(s, "inf") || equalFoldASCII(s, "infinity")
}

// nonZeroMantissa reports whether a digit before the exponent is not 0:
// then a zero from ParseFloat is an underflow.
func nonZeroMantissa(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == 'e' || c == 'E':
			return false
		case c >= '1' && c <= '9':
			return true
		}
	}
	return false
}
