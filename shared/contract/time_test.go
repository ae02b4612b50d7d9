package contract

import (
	"testing"
	"time"
)

// stdParseTime is parseTime as it was written with time.Parse, the oracle
// the hand-written fixedTime must agree with, except for one laxity of
// time.Parse the contract never allowed: a layout's space matches a run of
// spaces and its hour ("15") may have one digit, so "2026-01-01  0:00:00"
// was accepted. The contract's form has a two-digit hour.
func stdParseTime(s string) (time.Time, bool) {
	if len(s) >= 13 && !allDigits(s[11:13]) {
		return time.Time{}, false
	}
	if len(s) < timeLayoutLength || len(s) > maxTimeFieldLength {
		return time.Time{}, false
	}
	if frac := s[timeLayoutLength:]; frac != "" {
		if len(frac) < 2 || frac[0] != '.' || !allDigits(frac[1:]) {
			return time.Time{}, false
		}
	}
	layout := TimeLayout
	if s[10] == 'T' {
		layout = TimeLayoutISO
	}
	t, err := time.Parse(layout, s)
	if err != nil || t.Year() < 1 {
		return time.Time{}, false
	}
	return t, true
}

func FuzzParseTimeMatchesTimeParse(f *testing.F) {
	for _, s := range []string{
		"2026-03-01 12:30:45", "2026-03-01T12:30:45.123456", "2024-02-29 00:00:00", "2023-02-29 00:00:00",
		"0000-01-01 00:00:00", "0001-01-01 00:00:00", "9999-12-31 23:59:59.999999", "2026-04-31 10:00:00",
		"2026-13-01 00:00:00", "2026-00-10 00:00:00", "2026-01-00 00:00:00", "2026-02-01 24:00:00",
		"2026-02-01 23:60:00", "2026-02-01 23:59:60", "2026-02-01 3:04:05.12", "2026-02-01 10:00:00.1234567",
		"2026-02-01x10:00:00", "+026-02-01 10:00:00", "2026-2-01 10:00:00.", "2026-02-01 10:00:00,5",
		"2026-02-01 10:00:00.", "2026-02-01 10:00:00 ", " 2026-02-01 10:00:00", "2026-02-01 1:00:00.12",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, wantOK := stdParseTime(s)
		got, err := parseTime(s)
		if (err == nil) != wantOK {
			t.Fatalf("parseTime(%q) error = %v, time.Parse accepts it: %v", s, err, wantOK)
		}
		if wantOK && !got.Equal(want) {
			t.Fatalf("parseTime(%q) = %v, time.Parse gives %v", s, got, want)
		}
	})
}
