package codec

import (
	"encoding/binary"
	"errors"
	"strconv"
)

// intField is smallint, integer or bigint: an optional sign and decimal
// digits (strconv.ParseInt's base-10 syntax, which is PostgreSQL's without
// its surrounding white space), sent big-endian in 2, 4 or 8 bytes.
type intField struct {
	column
	size        int    // bytes on the wire
	sql         string // SMALLINT, INTEGER or BIGINT, for range errors
	nonNegative bool
}

func planInt(size int, sql string) func(column, Column, Rules) (Field, error) {
	return func(c column, _ Column, r Rules) (Field, error) {
		return &intField{column: c, size: size, sql: sql, nonNegative: r.NonNegative}, nil
	}
}

func (f *intField) Append(buf []byte, s string) ([]byte, error) {
	if s == "" {
		return f.empty(buf)
	}
	n, err := strconv.ParseInt(s, 10, 8*f.size)
	if err != nil {
		// ParseInt reports a range error as soon as the digits overflow,
		// before it reads the rest: bad bytes or spaces are named first.
		if bad := f.badText(s, true); bad != nil {
			return buf, bad
		}
		if errors.Is(err, strconv.ErrRange) {
			return buf, f.errorf("%s is out of range for %s", quote(s), f.sql)
		}
		return buf, f.errorf("%s is not an integer", quote(s))
	}
	if f.nonNegative && n < 0 {
		return buf, f.errorf("%s is negative", quote(s))
	}
	buf = binary.BigEndian.AppendUint32(buf, uint32(f.size))
	for shift := 8 * (f.size - 1); shift >= 0; shift -= 8 {
		buf = append(buf, byte(n>>shift))
	}
	return buf, nil
}
