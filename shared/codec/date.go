package codec

import "encoding/binary"

// pgEpochDays is PostgreSQL's day zero, 2000-01-01, in days since the Unix
// epoch.
const pgEpochDays = 10957

// dateField is date in the ISO form YYYY-MM-DD, years 1 to 9999, sent as
// days since 2000-01-01. PostgreSQL reads many more forms (named months,
// DateStyle orders, BC, "today", a time it then drops); a CSV's dates
// should not depend on a session setting, so only the ISO form loads.
type dateField struct{ column }

func planDate(c column, _ Column, _ Rules) (Field, error) { return &dateField{c}, nil }

func (f *dateField) Append(buf []byte, s string) ([]byte, error) {
	if s == "" {
		return f.empty(buf)
	}
	days, ok := civilDate(s)
	if !ok || len(s) != 10 {
		return buf, f.errorf("%s is not a valid date (want YYYY-MM-DD)", quote(s)) // the form says it all, as for times
	}
	buf = binary.BigEndian.AppendUint32(buf, 4)
	return binary.BigEndian.AppendUint32(buf, uint32(int32(days-pgEpochDays))), nil
}

// civilDate reads the "YYYY-MM-DD" that starts s as days since the Unix
// epoch: two-digit fields in range, the day within its month, year 1 or
// later.
func civilDate(s string) (int, bool) {
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return 0, false
	}
	year, ok1 := digits(s[0:4])
	month, ok2 := digits(s[5:7])
	day, ok3 := digits(s[8:10])
	if !(ok1 && ok2 && ok3) || year < 1 || month < 1 || month > 12 || day < 1 || day > daysIn(month, year) {
		return 0, false
	}
	return daysFromCivil(year, month, day), true
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil is the proleptic Gregorian date's day number since
// 1970-01-01 (Howard Hinnant's days_from_civil, for years 1 and later),
// without time.Date's cost: it runs for every timestamp loaded.
func daysFromCivil(y, m, d int) int {
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	doy := (153*((m+9)%12)+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}
