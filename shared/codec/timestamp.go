package codec

import (
	"encoding/binary"
	"fmt"
	"time"
)

// Forms of timestamp values, for reasons.
const (
	timestampForm   = "YYYY-MM-DD HH:MM:SS[.ffffff]"
	timestamptzForm = "YYYY-MM-DD HH:MM:SS[.ffffff][Z|±HH[:MM]]"
)

// pgEpochUnix is PostgreSQL's timestamp zero, 2000-01-01 00:00:00 UTC, in
// Unix seconds.
const pgEpochUnix = pgEpochDays * 86400

// timestampField is timestamp or timestamptz: "YYYY-MM-DD HH:MM:SS" (or
// with "T"), up to six fraction digits, and for timestamptz an offset
// (Z, ±HH, ±HH:MM or ±HHMM) or none, the value then being read in the
// declared zone. It is sent as microseconds since 2000-01-01 (UTC for
// timestamptz, the wall clock for timestamp). Anything PostgreSQL would
// round, shift or guess is rejected: more fraction digits than the
// column keeps, 24:00:00, leap seconds, and naive times a zone's clocks
// skip or pass twice.
type timestampField struct {
	column
	precision int            // fraction digits the column keeps
	tz        bool           // timestamptz: an offset may follow
	zone      *time.Location // naive timestamptz values' zone; nil is UTC
	form      string
}

func planTimestamp(tz bool) func(column, Column, Rules) (Field, error) {
	return func(c column, col Column, r Rules) (Field, error) {
		f := &timestampField{column: c, precision: 6, tz: tz, form: timestampForm}
		if tz {
			f.form = timestamptzForm
			if r.Zone != nil && r.Zone != time.UTC {
				f.zone = r.Zone
			}
		}
		if col.Typmod >= 0 {
			if col.Typmod > 6 {
				return nil, fmt.Errorf("column %q has a timestamp precision of %d, above PostgreSQL's 6", col.Name, col.Typmod)
			}
			f.precision = int(col.Typmod)
		}
		return f, nil
	}
}

func (f *timestampField) Append(buf []byte, s string) ([]byte, error) {
	if s == "" {
		return f.empty(buf)
	}
	secs, frac, rest, ok := wallClock(s)
	offset := 0
	if ok && rest != "" && f.tz {
		offset, ok = utcOffset(rest)
	}
	if !ok || len(frac) > 6 || (rest != "" && !f.tz) {
		// One reason for every malformed time, bad bytes and spaces
		// included, as the original contract gave it: the form to write.
		return buf, f.errorf("%s is not a valid time (want %s)", quote(s), f.form)
	}
	if len(frac) > f.precision && !allZeros(frac[f.precision:]) {
		return buf, f.errorf("%s has more than %d fractional second digits", quote(s), f.precision)
	}
	if rest == "" && f.zone != nil {
		var err error
		if offset, err = f.localOffset(s, secs); err != nil {
			return buf, err
		}
	}
	micros, _ := digits(frac)
	for range 6 - len(frac) {
		micros *= 10
	}
	buf = binary.BigEndian.AppendUint32(buf, 8)
	return binary.BigEndian.AppendUint64(buf, uint64((secs-int64(offset))*1e6+int64(micros))), nil
}

// wallClock reads "YYYY-MM-DD HH:MM:SS" (or with "T") and an optional
// fraction from the start of s: the wall clock in seconds since
// 2000-01-01, the fraction's digits and what follows.
func wallClock(s string) (secs int64, frac, rest string, ok bool) {
	if len(s) < 19 || (s[10] != ' ' && s[10] != 'T') || s[13] != ':' || s[16] != ':' {
		return 0, "", "", false
	}
	days, ok1 := civilDate(s)
	hour, ok2 := digits(s[11:13])
	minute, ok3 := digits(s[14:16])
	sec, ok4 := digits(s[17:19])
	if !(ok1 && ok2 && ok3 && ok4) || hour > 23 || minute > 59 || sec > 59 {
		return 0, "", "", false
	}
	rest = s[19:]
	if rest != "" && rest[0] == '.' {
		n := 1
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			n++
		}
		if n == 1 {
			return 0, "", "", false
		}
		frac, rest = rest[1:n], rest[n:]
	}
	secs = int64(days-pgEpochDays)*86400 + int64(hour*3600+minute*60+sec)
	return secs, frac, rest, true
}

// utcOffset reads Z, ±HH, ±HH:MM or ±HHMM as seconds east of UTC, up to
// PostgreSQL's ±15:59.
func utcOffset(s string) (int, bool) {
	if s == "Z" {
		return 0, true
	}
	if len(s) < 3 || (s[0] != '+' && s[0] != '-') {
		return 0, false
	}
	var mm string
	switch len(s) {
	case 3:
	case 5:
		mm = s[3:5]
	case 6:
		if s[3] != ':' {
			return 0, false
		}
		mm = s[4:6]
	default:
		return 0, false
	}
	hours, ok1 := digits(s[1:3])
	minutes, ok2 := digits(mm)
	if !ok1 || !ok2 || hours > 15 || minutes > 59 {
		return 0, false
	}
	offset := hours*3600 + minutes*60
	if s[0] == '-' {
		offset = -offset
	}
	return offset, true
}

// localOffset is the zone's offset at the wall clock secs, which must
// name exactly one instant. The offsets in force a day either side are
// the candidates: a wall clock is the instant wall-offset for each one
// in force at that instant.
func (f *timestampField) localOffset(s string, secs int64) (int, error) {
	wall := secs + pgEpochUnix
	offsetAt := func(unix int64) int {
		_, off := time.Unix(unix, 0).In(f.zone).Zone()
		return off
	}
	found, offset := 0, 0
	var tried [3]int
	for i, at := range [3]int64{wall - 86400, wall, wall + 86400} {
		o := offsetAt(at)
		tried[i] = o
		if (i > 0 && o == tried[0]) || (i > 1 && o == tried[1]) {
			continue
		}
		if offsetAt(wall-int64(o)) == o {
			found, offset = found+1, o
		}
	}
	switch found {
	case 0:
		return 0, f.errorf("%s does not exist in %s (its clocks skip it); write it with its UTC offset", quote(s), f.zone)
	case 1:
		return offset, nil
	}
	return 0, f.errorf("%s is ambiguous in %s (its clocks pass it twice); write it with its UTC offset", quote(s), f.zone)
}
