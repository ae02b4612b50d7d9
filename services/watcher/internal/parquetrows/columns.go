package parquetrows

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// appendFunc appends a non-null value as JSON text.
type appendFunc func(buf []byte, v parquet.Value) []byte

// planColumn chooses how a top-level column's values are written, from its
// physical and logical types, or says why contracts cannot load it.
func planColumn(name string, n parquet.Node) (appendFunc, error) {
	switch {
	case n.Repeated():
		return nil, fmt.Errorf("column %q is repeated (a list), which contracts do not load", name)
	case !n.Leaf():
		return nil, fmt.Errorf("column %q is a group (a struct or a map), which contracts do not load", name)
	}
	t := n.Type()
	if lt := t.LogicalType(); lt != nil && lt.Value != nil {
		return planLogical(name, t, lt.Value)
	}
	switch t.Kind() {
	case parquet.Boolean:
		return func(b []byte, v parquet.Value) []byte { return strconv.AppendBool(b, v.Boolean()) }, nil
	case parquet.Int32:
		return func(b []byte, v parquet.Value) []byte { return strconv.AppendInt(b, int64(v.Int32()), 10) }, nil
	case parquet.Int64:
		return func(b []byte, v parquet.Value) []byte { return strconv.AppendInt(b, v.Int64(), 10) }, nil
	case parquet.Int96:
		return appendInt96, nil
	case parquet.Float:
		return func(b []byte, v parquet.Value) []byte { return appendFloat(b, float64(v.Float()), 32) }, nil
	case parquet.Double:
		return func(b []byte, v parquet.Value) []byte { return appendFloat(b, v.Double(), 64) }, nil
	}
	return nil, fmt.Errorf("column %q is binary (%s without a STRING, UUID, DECIMAL or JSON annotation), which contracts do not load", name, t.Kind())
}

func planLogical(name string, t parquet.Type, lt format.LogicalTypeValue) (appendFunc, error) {
	switch lt := lt.(type) {
	case *format.StringType, *format.EnumType:
		return func(b []byte, v parquet.Value) []byte { return appendString(b, v.ByteArray()) }, nil
	case *format.JsonType:
		return appendJSON, nil
	case *format.UUIDType:
		return appendUUID, nil
	case *format.DateType:
		return func(b []byte, v parquet.Value) []byte {
			return appendStamp(b, time.Unix(int64(v.Int32())*86400, 0).UTC(), false, false)
		}, nil
	case *format.TimestampType:
		unit := lt.Unit.Value.Duration()
		utc := lt.IsAdjustedToUTC
		return func(b []byte, v parquet.Value) []byte { return appendTime(b, v.Int64(), unit, utc) }, nil
	case *format.DecimalType:
		scale := int(lt.Scale)
		switch t.Kind() {
		case parquet.Int32:
			return func(b []byte, v parquet.Value) []byte { return appendScaled(b, int64(v.Int32()), scale) }, nil
		case parquet.Int64:
			return func(b []byte, v parquet.Value) []byte { return appendScaled(b, v.Int64(), scale) }, nil
		}
		return func(b []byte, v parquet.Value) []byte {
			return appendDecimal(b, []byte(twosComplement(v.ByteArray()).String()), scale)
		}, nil
	case *format.IntType:
		if lt.IsSigned {
			if t.Kind() == parquet.Int32 {
				return func(b []byte, v parquet.Value) []byte { return strconv.AppendInt(b, int64(v.Int32()), 10) }, nil
			}
			return func(b []byte, v parquet.Value) []byte { return strconv.AppendInt(b, v.Int64(), 10) }, nil
		}
		if t.Kind() == parquet.Int32 {
			return func(b []byte, v parquet.Value) []byte { return strconv.AppendUint(b, uint64(v.Uint32()), 10) }, nil
		}
		return func(b []byte, v parquet.Value) []byte { return strconv.AppendUint(b, v.Uint64(), 10) }, nil
	}
	return nil, fmt.Errorf("column %q has logical type %s, which contracts do not load", name, lt)
}

// appendTime writes a timestamp of n units since the epoch as
// "YYYY-MM-DD HH:MM:SS[.fffffffff]", the fraction as long as it needs,
// with "Z" when the file says it is an instant (isAdjustedToUTC): such a
// value loads into timestamptz; a local one into timestamp.
func appendTime(b []byte, n int64, unit time.Duration, utc bool) []byte {
	per := int64(time.Second / unit)
	secs, frac := n/per, n%per
	if frac < 0 {
		secs, frac = secs-1, frac+per
	}
	return appendStamp(b, time.Unix(secs, frac*int64(unit)).UTC(), true, utc)
}

// appendStamp writes t as a quoted "YYYY-MM-DD", or with clock
// "YYYY-MM-DD HH:MM:SS[.f…]" and "Z" for an instant, the fraction without
// its trailing zeros: time.Format's layout parsing was a third of the
// watcher's work per Parquet row.
func appendStamp(b []byte, t time.Time, clock, utc bool) []byte {
	y, mo, d := t.Date()
	b = append(b, '"')
	if y < 0 || y > 9999 {
		b = strconv.AppendInt(b, int64(y), 10) // no column takes it: the codec says so
	} else {
		b = appendDigits(b, y, 4)
	}
	b = appendDigits(append(b, '-'), int(mo), 2)
	b = appendDigits(append(b, '-'), d, 2)
	if clock {
		h, m, sec := t.Clock()
		b = appendDigits(append(b, ' '), h, 2)
		b = appendDigits(append(b, ':'), m, 2)
		b = appendDigits(append(b, ':'), sec, 2)
		if ns := t.Nanosecond(); ns > 0 {
			digits := 9
			for ns%10 == 0 {
				ns, digits = ns/10, digits-1
			}
			b = appendDigits(append(b, '.'), ns, digits)
		}
		if utc {
			b = append(b, 'Z')
		}
	}
	return append(b, '"')
}

// appendDigits writes n with exactly width digits, zero-padded.
func appendDigits(b []byte, n, width int) []byte {
	var d [9]byte
	for i := width - 1; i >= 0; i-- {
		d[i] = byte('0' + n%10)
		n /= 10
	}
	return append(b, d[:width]...)
}

// appendInt96 writes an INT96 timestamp (Impala's and older Spark's): the
// nanoseconds of the day and the Julian day, an instant in UTC.
func appendInt96(b []byte, v parquet.Value) []byte {
	x := v.Int96()
	nanos := int64(x[1])<<32 | int64(x[0])
	days := int64(x[2]) - 2440588 // the Unix epoch's Julian day
	return appendTime(b, days*86400*int64(time.Second)+nanos, time.Nanosecond, true)
}

// appendScaled writes unscaled × 10^-scale, an INT32 or INT64 decimal,
// without a big.Int.
func appendScaled(b []byte, unscaled int64, scale int) []byte {
	var d [20]byte
	return appendDecimal(b, strconv.AppendInt(d[:0], unscaled, 10), scale)
}

// appendDecimal writes unscaled × 10^-scale exactly, as a JSON number,
// from the unscaled integer's decimal digits (after an optional minus).
func appendDecimal(b []byte, digits []byte, scale int) []byte {
	if digits[0] == '-' {
		b, digits = append(b, '-'), digits[1:]
	}
	if scale <= 0 {
		b = append(b, digits...)
		for range -scale {
			b = append(b, '0')
		}
		return b
	}
	if len(digits) <= scale {
		b = append(b, "0."...)
		for range scale - len(digits) {
			b = append(b, '0')
		}
		return append(b, digits...)
	}
	b = append(b, digits[:len(digits)-scale]...)
	b = append(b, '.')
	return append(b, digits[len(digits)-scale:]...)
}

// twosComplement reads a big-endian two's complement integer.
func twosComplement(raw []byte) *big.Int {
	n := new(big.Int).SetBytes(raw)
	if len(raw) > 0 && raw[0]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(len(raw))*8))
	}
	return n
}

// appendFloat writes a float as the shortest text that reads back the
// same; NaN and the infinities, which JSON cannot write as numbers, as
// strings (a numeric column refuses them with the reason).
func appendFloat(b []byte, f float64, bits int) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return appendQuoted(b, strconv.AppendFloat(nil, f, 'g', -1, bits))
	}
	return strconv.AppendFloat(b, f, 'g', -1, bits)
}

func appendUUID(b []byte, v parquet.Value) []byte {
	raw := v.ByteArray()
	if len(raw) != 16 {
		return appendString(b, raw)
	}
	var s [36]byte
	hex.Encode(s[0:8], raw[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], raw[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], raw[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], raw[8:10])
	s[23] = '-'
	hex.Encode(s[24:], raw[10:])
	return appendQuoted(b, s[:])
}

// appendJSON writes a JSON column's document as it is, on one line; text
// that is not JSON is written as a string, so that the line stays one
// line and the loader names the value.
func appendJSON(b []byte, v parquet.Value) []byte {
	var out bytes.Buffer
	if err := json.Compact(&out, v.ByteArray()); err != nil {
		return appendString(b, v.ByteArray())
	}
	return append(b, out.Bytes()...)
}

// appendString writes s as a JSON string. Bytes that are not UTF-8 are
// kept as they are, for the loader to name, never replaced.
func appendString(b, s []byte) []byte {
	b = append(b, '"')
	for _, c := range s {
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, `\u00`...)
			b = append(b, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

func appendQuoted(b, s []byte) []byte {
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
