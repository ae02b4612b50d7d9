package codec

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// PostgreSQL's limits of an unconstrained numeric: digits before the
// point (a weight of at most 32767 base-10000 digits) and after it (the
// display scale is 14 bits).
const (
	numericMaxWhole = 131072
	numericMaxScale = 16383
)

// numericField is numeric(p,s) or unconstrained numeric: an optional
// minus, digits, optionally a point and more digits. It never passes
// through a float: the text's digits become base-10000 digits directly.
// With a typmod, fraction digits beyond the scale must be zeros (PostgreSQL
// would round them) and the integer digits must fit p-s.
type numericField struct {
	column
	scale       int    // digits kept after the point; -1 keeps those written
	whole       int    // most digits before the point (p-s, or numericMaxWhole)
	decl        string // "DECIMAL(10,2)" or "NUMERIC", for overflow errors
	nonNegative bool
}

func planNumeric(c column, col Column, r Rules) (Field, error) {
	f := &numericField{column: c, scale: -1, whole: numericMaxWhole, decl: "NUMERIC", nonNegative: r.NonNegative}
	if col.Typmod >= 4 {
		tm := col.Typmod - 4
		p, s := int(tm>>16&0xffff), int((tm&0x7ff)^0x400)-0x400 // the scale is 11 bits, signed (PostgreSQL 15)
		if s < 0 || s > p {
			return nil, fmt.Errorf("column %q has type numeric(%d,%d), which contracts do not support (the scale must be between 0 and the precision)", col.Name, p, s)
		}
		f.scale, f.whole, f.decl = s, p-s, fmt.Sprintf("DECIMAL(%d,%d)", p, s)
	}
	return f, nil
}

func (f *numericField) Append(buf []byte, s string) ([]byte, error) {
	if s == "" {
		return f.empty(buf)
	}
	body, negative := strings.CutPrefix(s, "-")
	whole, frac, hasPoint := strings.Cut(body, ".")
	if whole == "" || !allDigits(whole) || (hasPoint && (frac == "" || !allDigits(frac))) {
		return f.invalid(buf, s, "is not a decimal number")
	}
	scale := len(frac)
	switch {
	case f.scale >= 0 && len(frac) > f.scale:
		if !allZeros(frac[f.scale:]) {
			return buf, f.errorf("%s has more than %d decimal places", quote(s), f.scale)
		}
		frac, scale = frac[:f.scale], f.scale
	case f.scale >= 0:
		scale = f.scale
	case scale > numericMaxScale:
		return buf, f.errorf("%s has more than %d decimal places", quote(s), numericMaxScale)
	}
	whole = strings.TrimLeft(whole, "0")
	if len(whole) > f.whole {
		return buf, f.errorf("%s does not fit %s", quote(s), f.decl)
	}
	zero := whole == "" && allZeros(frac)
	if negative && !zero && f.nonNegative {
		return buf, f.errorf("%s is negative", quote(s))
	}
	return appendNumeric(buf, whole, frac, scale, negative && !zero), nil
}

// appendNumeric encodes the decimal whole.frac (whole without leading
// zeros) as PostgreSQL's numeric: base-10000 digits aligned on the point,
// a weight (the power of 10000 of the first digit), a sign and the
// display scale. Leading and trailing zero groups are left out, as
// PostgreSQL stores them; zero has no digits.
func appendNumeric(buf []byte, whole, frac string, dscale int, negative bool) []byte {
	groups := (len(whole) + 3) / 4 // integer groups
	pad := 4*groups - len(whole)   // zeros that align whole's digits on the point
	digit := func(k int) uint16 {  // the k-th digit of the aligned digits
		if k < 4*groups {
			if k < pad {
				return 0
			}
			return uint16(whole[k-pad] - '0')
		}
		if k -= 4 * groups; k < len(frac) {
			return uint16(frac[k] - '0')
		}
		return 0
	}
	first := -1 // the first nonzero group
	if whole != "" {
		first = 0
	} else if i := firstNonZero(frac); i >= 0 {
		first = groups + i/4
	}
	sign := uint16(0)
	if negative {
		sign = 0x4000
	}
	if first < 0 { // zero
		buf = binary.BigEndian.AppendUint32(buf, 8)
		buf = binary.BigEndian.AppendUint64(buf, uint64(dscale)) // 0 digits, weight 0, positive
		return buf
	}
	last := (pad + lastNonZero(whole)) / 4 // the last nonzero group
	if j := lastNonZero(frac); j >= 0 {
		last = groups + j/4
	}
	n := last - first + 1
	buf = binary.BigEndian.AppendUint32(buf, uint32(8+2*n))
	buf = binary.BigEndian.AppendUint16(buf, uint16(n))
	buf = binary.BigEndian.AppendUint16(buf, uint16(int16(groups-1-first)))
	buf = binary.BigEndian.AppendUint16(buf, sign)
	buf = binary.BigEndian.AppendUint16(buf, uint16(dscale))
	for g := first; g <= last; g++ {
		k := 4 * g
		buf = binary.BigEndian.AppendUint16(buf, digit(k)*1000+digit(k+1)*100+digit(k+2)*10+digit(k+3))
	}
	return buf
}

func firstNonZero(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] != '0' {
			return i
		}
	}
	return -1
}

func lastNonZero(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] != '0' {
			return i
		}
	}
	return -1
}
