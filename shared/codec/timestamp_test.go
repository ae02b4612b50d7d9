package codec

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

func mustZone(tb testing.TB, name string) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		tb.Fatalf("load zone %s: %v", name, err)
	}
	return loc
}

// micros is t as PostgreSQL's binary timestamp: microseconds since
// 2000-01-01 UTC.
func micros(t time.Time) int64 { return t.UnixMicro() - pgEpochUnix*1e6 }

func TestTimestampEncodes(t *testing.T) {
	ny := mustZone(t, "America/New_York")
	tests := []struct {
		typ  string
		zone *time.Location
		give string
		want time.Time
	}{
		{"timestamp", nil, "2026-03-01 12:30:45", time.Date(2026, 3, 1, 12, 30, 45, 0, time.UTC)},
		{"timestamp", nil, "2026-03-01T12:30:45.123456", time.Date(2026, 3, 1, 12, 30, 45, 123456000, time.UTC)},
		{"timestamp", nil, "0001-01-01 00:00:00", time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"timestamp", nil, "9999-12-31 23:59:59.999999", time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC)},
		{"timestamptz", nil, "2026-03-01 12:30:45", time.Date(2026, 3, 1, 12, 30, 45, 0, time.UTC)},
		{"timestamptz", nil, "2026-03-01 12:30:45.5Z", time.Date(2026, 3, 1, 12, 30, 45, 5e8, time.UTC)},
		{"timestamptz", nil, "2026-03-01 12:30:45+02", time.Date(2026, 3, 1, 10, 30, 45, 0, time.UTC)},
		{"timestamptz", nil, "2026-03-01 12:30:45-05:30", time.Date(2026, 3, 1, 18, 0, 45, 0, time.UTC)},
		{"timestamptz", nil, "2026-03-01T12:30:45+0545", time.Date(2026, 3, 1, 6, 45, 45, 0, time.UTC)},
		{"timestamptz", nil, "0001-01-01 00:00:00+15:59", time.Date(0, 12, 31, 8, 1, 0, 0, time.UTC)},
		{"timestamptz", ny, "2026-07-01 12:00:00", time.Date(2026, 7, 1, 16, 0, 0, 0, time.UTC)},
		{"timestamptz", ny, "2026-01-01 12:00:00", time.Date(2026, 1, 1, 17, 0, 0, 0, time.UTC)},
		{"timestamptz", ny, "2026-07-01 12:00:00Z", time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)},
		{"timestamptz", ny, "1800-01-01 00:00:00", time.Date(1800, 1, 1, 4, 56, 2, 0, time.UTC)}, // local mean time
	}
	for _, tt := range tests {
		f := mustPlan(t, Column{Name: "at", Type: tt.typ, Typmod: -1, NotNull: true}, Rules{Zone: tt.zone})
		if v, err := encode(t, f, "at", tt.give); err != nil || int64(binary.BigEndian.Uint64(v)) != micros(tt.want) {
			t.Errorf("%s %q = %x, %v; want %v", tt.typ, tt.give, v, err, tt.want)
		}
	}
}

func TestTimestampRejects(t *testing.T) {
	ts := mustPlan(t, Column{Name: "event_time", Type: "timestamp", Typmod: -1, NotNull: true}, Rules{})
	for _, give := range []string{
		"2026-13-01 00:00:00", "2026-02-30 00:00:00", "2026-02-01 24:00:00", "2026-02-01 23:59:60", "2026-02-01 10:00:00.1234567",
		"2026-02-01T10:00:00Z", "0000-01-01 00:00:00", "2026-02-01", "2026-02-01 10:00:00,5", "2026-02-01 10:00:00.", "2026-02-01 1:00:00",
	} {
		wantReason(t, ts, "event_time", give, "event_time "+quote(give)+" is not a valid time (want YYYY-MM-DD HH:MM:SS[.ffffff])")
	}
	wantReason(t, ts, "event_time", " 2026-02-01 10:00:00", `event_time " 2026-02-01 10:00:00" is not a valid time (want YYYY-MM-DD HH:MM:SS[.ffffff])`)

	tz := mustPlan(t, Column{Name: "at", Type: "timestamptz", Typmod: -1, NotNull: true}, Rules{})
	for _, give := range []string{"2026-02-01 10:00:00+16", "2026-02-01 10:00:00+5", "2026-02-01 10:00:00 +05", "2026-02-01 10:00:00z", "2026-02-01 10:00:00+05:60", "2026-02-01 10:00:00+05:30:00"} {
		wantReason(t, tz, "at", give, "at "+quote(give)+" is not a valid time (want YYYY-MM-DD HH:MM:SS[.ffffff][Z|±HH[:MM]])")
	}
	ms := mustPlan(t, Column{Name: "at", Type: "timestamp", Typmod: 3, NotNull: true}, Rules{})
	wantReason(t, ms, "at", "2026-02-01 10:00:00.1234", `at "2026-02-01 10:00:00.1234" has more than 3 fractional second digits`)
	if _, err := encode(t, ms, "at", "2026-02-01 10:00:00.123000"); err != nil {
		t.Errorf("zeros beyond the precision are not rounding: %v", err)
	}
	if _, err := Plan(Column{Name: "at", Type: "timestamp", Typmod: 7}, Rules{}); err == nil {
		t.Error("Plan took a precision of 7")
	}

	ny := mustPlan(t, Column{Name: "at", Type: "timestamptz", Typmod: -1, NotNull: true}, Rules{Zone: mustZone(t, "America/New_York")})
	wantReason(t, ny, "at", "2026-03-08 02:30:00", `at "2026-03-08 02:30:00" does not exist in America/New_York (its clocks skip it); write it with its UTC offset`)
	wantReason(t, ny, "at", "2026-11-01 01:30:00", `at "2026-11-01 01:30:00" is ambiguous in America/New_York (its clocks pass it twice); write it with its UTC offset`)
	if _, err := encode(t, ny, "at", "2026-11-01 01:30:00-04"); err != nil {
		t.Errorf("an offset settles an ambiguous time: %v", err)
	}
}

var (
	isoTimestamp   = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?$`)
	isoTimestamptz = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}(:?[0-9]{2})?)?$`)

	strictISOTimestamp   = stricter{"iso-timestamp-only", func(s string) bool { return !isoTimestamp.MatchString(s) }}
	strictISOTimestamptz = stricter{"iso-timestamp-only", func(s string) bool { return !isoTimestamptz.MatchString(s) }}
	strictHour24         = stricter{"no-24:00", func(s string) bool { return len(s) > 13 && s[11:13] == "24" }}
	strictLeapSecond     = stricter{"no-leap-second", func(s string) bool { return len(s) >= 19 && s[17:19] == "60" }}
)

// strictFraction: PostgreSQL rounds fraction digits beyond the precision.
func strictFraction(p int) stricter {
	return stricter{"no-rounding", func(s string) bool {
		if len(s) < 20 || s[19] != '.' {
			return false
		}
		frac := s[20:]
		if end := strings.IndexAny(frac, "Z+-"); end >= 0 {
			frac = frac[:end]
		}
		return len(frac) > p && strings.Trim(frac[p:], "0") != ""
	}}
}

// strictUnambiguous: a naive time the zone's clocks skip or pass twice,
// which PostgreSQL reads with one of the offsets around it. It counts,
// second by second, the offsets within ±16h that put an instant on that
// wall clock: slow, and independent of the codec's way.
func strictUnambiguous(loc *time.Location) stricter {
	return stricter{"unambiguous-local-time", func(s string) bool {
		wall, err := time.Parse("2006-01-02 15:04:05.999999", strings.Replace(s, "T", " ", 1))
		if err != nil {
			return false
		}
		instants := 0
		for off := -16 * 3600; off <= 16*3600; off++ {
			if _, o := time.Unix(wall.Unix()-int64(off), 0).In(loc).Zone(); o == off {
				instants++
			}
		}
		return instants != 1
	}}
}

func timestampEdges(rng *rand.Rand, offsets bool) []string {
	edges := []string{
		"2026-03-01 12:30:45", "2026-03-01T12:30:45", "2026-03-01 12:30:45.123456", "2026-03-01 12:30:45.1234567",
		"2026-03-01 12:30:45.1234560", "2026-03-01 12:30:45.", "2026-03-01 12:30:45.5", "2026-03-01 12:30:45.000",
		"2026-03-01 12:30:45.123", "2026-03-01 12:30:45.1235", "2026-03-01 12:30:45.120000", "2026-03-01 24:00:00",
		"2026-03-01 24:00:00.000001", "2026-12-31 24:00:00", "2026-03-01 23:59:60", "2026-03-01 12:30:60", "2026-03-01 23:60:00",
		"2024-02-29 00:00:00", "2023-02-29 00:00:00", "0001-01-01 00:00:00", "9999-12-31 23:59:59.999999", "0000-01-01 00:00:00",
		"10000-01-01 00:00:00", "2026-03-01", "2026-03-01 12:30", "2026-03-01 1:30:45", "2026-3-1 12:30:45", "2026-03-01t12:30:45",
		"2026-03-01  12:30:45", "2026-03-01 12:30:45 BC", "epoch", "infinity", "now", "2026-03-01 12:30:45,5", "20260301T123045",
		"2026-03-01 12:30:45Z", "2026-03-01 12:30:45z", "2026-03-01 12:30:45+02", "2026-03-01 12:30:45-05:30", "2026-03-01 12:30:45+0530",
		"2026-03-01 12:30:45 +02", "2026-03-01 12:30:45+2", "2026-03-01 12:30:45+15:59", "2026-03-01 12:30:45-15:59",
		"2026-03-01 12:30:45+16", "2026-03-01 12:30:45+05:60", "2026-03-01 12:30:45+05:30:15", "2026-03-01 12:30:45 UTC",
		"2026-03-01 12:30:45 America/New_York", "2026-03-01 12:30:45+00:00", "2026-03-01 12:30:45-00", "0001-01-01 00:00:00+01",
		"9999-12-31 23:59:59-15", "2026-03-01 12:30:45.123456+02", "2026-03-01 12:30:45.+02", "2026-03-01 24:00:00Z",
		// Transitions of America/New_York, Australia/Lord_Howe and Europe/Amsterdam.
		"2026-03-08 01:59:59", "2026-03-08 02:00:00", "2026-03-08 02:30:00", "2026-03-08 02:59:59.999999", "2026-03-08 03:00:00",
		"2026-11-01 00:59:59", "2026-11-01 01:00:00", "2026-11-01 01:30:00", "2026-11-01 01:59:59", "2026-11-01 02:00:00",
		"2026-11-01 01:30:00-04", "2026-11-01 01:30:00-05", "2026-10-04 02:00:00", "2026-10-04 02:15:00", "2026-10-04 02:30:00",
		"2026-04-05 01:29:59", "2026-04-05 01:30:00", "2026-04-05 01:45:00", "2026-04-05 02:00:00", "1800-01-01 00:00:00",
		"1883-11-18 12:03:57", "1883-11-18 12:00:00", "1937-07-01 00:00:00", "1937-07-01 00:00:10", "1940-05-16 00:00:00",
		"1940-05-16 00:30:00", "1945-09-30 02:30:00", "2026-03-29 02:30:00", "2026-10-25 02:30:00", "1854-06-28 00:08:25",
		"1869-12-31 23:50:00", "1906-01-01 00:10:00", "1941-10-01 00:30:00", "1942-05-14 23:30:00", "1942-05-15 00:00:00",
	}
	for range 200 {
		s := fmt.Sprintf("%04d-%02d-%02d%s%02d:%02d:%02d", 1+rng.IntN(9999), 1+rng.IntN(12), 1+rng.IntN(31),
			[]string{" ", "T"}[rng.IntN(2)], rng.IntN(24), rng.IntN(60), rng.IntN(60))
		if rng.IntN(2) == 0 {
			s += "." + randomDigits(rng, 1+rng.IntN(6))
		}
		if offsets && rng.IntN(2) == 0 {
			s += []string{"Z", fmt.Sprintf("%+03d", rng.IntN(31)-15), fmt.Sprintf("%+03d:%02d", rng.IntN(31)-15, rng.IntN(60))}[rng.IntN(3)]
		}
		edges = append(edges, s)
	}
	return append(edges, badBytes...)
}

func TestTimestampMatchesPostgres(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	edges := timestampEdges(rng, true)
	alphabet := "0123456789-: T.Z+"
	base := []stricter{strictSpaces, strictHour24, strictLeapSecond}
	cases := []diffCase{
		{sqlType: "timestamp", inputs: inputs(80, 500, alphabet, edges...), stricter: slices.Concat(base, []stricter{strictISOTimestamp})},
		{sqlType: "timestamp(3)", inputs: inputs(81, 300, alphabet, edges...), stricter: slices.Concat(base, []stricter{strictISOTimestamp, strictFraction(3)})},
		{sqlType: "timestamptz", inputs: inputs(82, 500, alphabet, edges...), stricter: slices.Concat(base, []stricter{strictISOTimestamptz})},
		{sqlType: "timestamptz(0)", inputs: inputs(83, 300, alphabet, edges...), stricter: slices.Concat(base, []stricter{strictISOTimestamptz, strictFraction(0)})},
	}
	for k, zone := range []string{"America/New_York", "Australia/Lord_Howe", "Europe/Amsterdam", "Asia/Kolkata"} {
		loc := mustZone(t, zone)
		cases = append(cases, diffCase{
			label: "timestamptz in " + zone, sqlType: "timestamptz", rules: Rules{Zone: loc}, timeZone: zone, inputs: inputs(uint64(84+k), 300, alphabet, edges...),
			stricter: slices.Concat(base, []stricter{strictISOTimestamptz, strictUnambiguous(loc)}),
		})
	}
	runDiffs(t, "timestamp", cases)
}

// timestampFuzz: an accepted value decodes, with pgx, to the instant
// time.Parse reads from the text (for naive timestamptz values, in the
// declared zone).
func timestampFuzz(tb testing.TB) []fuzzCase {
	var cases []fuzzCase
	for _, c := range []struct {
		typ  string
		zone *time.Location
		oid  uint32
	}{{"timestamp", nil, pgtype.TimestampOID}, {"timestamptz", nil, pgtype.TimestamptzOID}, {"timestamptz", mustZone(tb, "America/New_York"), pgtype.TimestamptzOID}} {
		loc := time.UTC
		if c.zone != nil {
			loc = c.zone
		}
		cases = append(cases, fuzzCase{
			col:   Column{Name: "at", Type: c.typ, Typmod: -1, NotNull: true},
			rules: Rules{Zone: c.zone},
			seeds: []string{"2026-03-01 12:30:45", "2026-03-01T12:30:45.123456Z", "2026-03-08 02:30:00", "2026-11-01 01:30:00-04", "2026-03-01 24:00:00"},
			check: func(t *testing.T, m *pgtype.Map, s string, v []byte, err error) {
				if err != nil {
					return
				}
				text := strings.Replace(s, "T", " ", 1)
				var want time.Time
				var werr error
				for _, layout := range []string{"2006-01-02 15:04:05Z07:00", "2006-01-02 15:04:05Z0700", "2006-01-02 15:04:05Z07", "2006-01-02 15:04:05"} {
					if want, werr = time.ParseInLocation(layout, text, loc); werr == nil {
						break
					}
				}
				var got time.Time
				if err := m.Scan(c.oid, pgtype.BinaryFormatCode, v, &got); err != nil || werr != nil || !got.Equal(want) {
					t.Fatalf("%s %q decodes to %v (%v), time.Parse reads %v (%v)", c.typ, s, got, err, want, werr)
				}
			},
		})
	}
	return cases
}
