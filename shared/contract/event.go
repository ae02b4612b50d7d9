package contract

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Event is one valid row of the contract, typed as it is stored.
type Event struct {
	ID        string
	Time      time.Time // wall clock in UTC: the column is a zone-less TIMESTAMP
	Type      string
	ProductID int32
	Price     Cents
	UserID    int32
	SessionID string // empty means NULL
}

// FieldError says why a record breaks the contract. Column is empty when the
// problem is not tied to one column (a wrong number of fields).
type FieldError struct {
	Column string
	Reason string
}

func (e *FieldError) Error() string { return e.Reason }

// Parse validates a record's fields and returns the typed event. The
// returned event shares no memory with fields beyond the strings themselves.
func Parse(fields []string) (Event, error) {
	if len(fields) != NumColumns {
		noun := "fields"
		if len(fields) == 1 {
			noun = "field"
		}
		return Event{}, &FieldError{Reason: fmt.Sprintf("row has %d %s, want %d (%s)", len(fields), noun, NumColumns, HeaderLine)}
	}
	var (
		ev  Event
		err error
	)
	if ev.ID, err = parseID(ColEventID, fields[ColEventID], true); err != nil {
		return Event{}, err
	}
	if ev.Time, err = parseTime(fields[ColEventTime]); err != nil {
		return Event{}, err
	}
	if ev.Type, err = parseType(fields[ColEventType]); err != nil {
		return Event{}, err
	}
	if ev.ProductID, err = parseInt32(ColProductID, fields[ColProductID]); err != nil {
		return Event{}, err
	}
	if ev.Price, err = parsePrice(fields[ColPrice]); err != nil {
		return Event{}, err
	}
	if ev.UserID, err = parseInt32(ColUserID, fields[ColUserID]); err != nil {
		return Event{}, err
	}
	if ev.SessionID, err = parseID(ColSessionID, fields[ColSessionID], false); err != nil {
		return Event{}, err
	}
	return ev, nil
}

func fieldErr(col int, format string, args ...any) *FieldError {
	name := Columns[col]
	return &FieldError{Column: name, Reason: name + " " + fmt.Sprintf(format, args...)}
}

// quote renders a value for a reason: escaped (no raw control characters
// reach a log line or a terminal) and bounded in length.
func quote(s string) string {
	const max = 64
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return strconv.Quote(s[:cut]) + "..."
	}
	return strconv.Quote(s)
}

func checkText(col int, s string) error {
	if !utf8.ValidString(s) {
		return fieldErr(col, "%s is not valid UTF-8", quote(s))
	}
	if strings.IndexByte(s, 0) >= 0 {
		return fieldErr(col, "%s contains a NUL byte", quote(s))
	}
	if strings.TrimSpace(s) != s {
		return fieldErr(col, "%s has leading or trailing spaces", quote(s))
	}
	return nil
}

func parseID(col int, s string, required bool) (string, error) {
	if s == "" {
		if required {
			return "", fieldErr(col, "is empty")
		}
		return "", nil
	}
	if err := checkText(col, s); err != nil {
		return "", err
	}
	if n := utf8.RuneCountInString(s); n > MaxIDLength {
		return "", fieldErr(col, "%s is %d characters, longer than %d", quote(s), n, MaxIDLength)
	}
	return s, nil
}

func parseType(s string) (string, error) {
	switch s {
	case TypeView, TypePurchase:
		return s, nil
	case "":
		return "", fieldErr(ColEventType, "is empty")
	}
	if err := checkText(ColEventType, s); err != nil {
		return "", err
	}
	return "", fieldErr(ColEventType, "%s is not %s or %s", quote(s), TypeView, TypePurchase)
}

func parseInt32(col int, s string) (int32, error) {
	if s == "" {
		return 0, fieldErr(col, "is empty")
	}
	if err := checkText(col, s); err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return 0, fieldErr(col, "%s is out of range for INTEGER", quote(s))
		}
		return 0, fieldErr(col, "%s is not an integer", quote(s))
	}
	return int32(n), nil
}

// parseTime accepts "YYYY-MM-DD HH:MM:SS" or the ISO "T" form, with up to six
// fractional digits. Anything PostgreSQL would round, shift or refuse (more
// digits, a zone, year 0) is rejected so that what loads is exactly what was
// written.
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, fieldErr(ColEventTime, "is empty")
	}
	bad := func() (time.Time, error) {
		return time.Time{}, fieldErr(ColEventTime, "%s is not a valid time (want YYYY-MM-DD HH:MM:SS[.ffffff])", quote(s))
	}
	if len(s) < timeLayoutLength || len(s) > maxTimeFieldLength {
		return bad()
	}
	if frac := s[timeLayoutLength:]; frac != "" {
		if len(frac) < 2 || frac[0] != '.' || !allDigits(frac[1:]) {
			return bad()
		}
	}
	t, ok := fixedTime(s)
	if !ok {
		return bad()
	}
	return t, nil
}

// fixedTime reads "YYYY-MM-DD HH:MM:SS" (or with "T") and the fraction
// already checked by parseTime, with the rules of time.Parse for that
// layout (two-digit fields in range, the day within its month, year 1 or
// later) at a tenth of its cost: it runs for every row loaded.
func fixedTime(s string) (time.Time, bool) {
	if s[4] != '-' || s[7] != '-' || (s[10] != ' ' && s[10] != 'T') || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	year, ok1 := digits(s[0:4])
	month, ok2 := digits(s[5:7])
	day, ok3 := digits(s[8:10])
	hour, ok4 := digits(s[11:13])
	minute, ok5 := digits(s[14:16])
	sec, ok6 := digits(s[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || year < 1 || month < 1 || month > 12 || day < 1 ||
		day > daysIn(time.Month(month), year) || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	nanos := 0
	if len(s) > timeLayoutLength {
		frac := s[timeLayoutLength+1:]
		nanos, _ = digits(frac)
		for range 9 - len(frac) {
			nanos *= 10
		}
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, nanos, time.UTC), true
}

// digits reads a run of decimal digits.
func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func daysIn(m time.Month, year int) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
