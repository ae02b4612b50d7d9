package codec

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"regexp"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

func TestDateEncodes(t *testing.T) {
	f := mustPlan(t, Column{Name: "d", Type: "date", Typmod: -1, NotNull: true}, Rules{})
	for give, want := range map[string]int32{
		"2000-01-01": 0, "2000-01-02": 1, "1999-12-31": -1, "2024-02-29": 8825, "0001-01-01": -730119, "9999-12-31": 2921939,
	} {
		if v, err := encode(t, f, "d", give); err != nil || int32(binary.BigEndian.Uint32(v)) != want {
			t.Errorf("%q = %x, %v; want %d", give, v, err, want)
		}
	}
	for _, give := range []string{"2023-02-29", "1900-02-29", "0000-01-01", "2026-13-01", "2026-04-31", "2026-1-2", "2026-01-02 00:00:00", "today"} {
		wantReason(t, f, "d", give, "d "+quote(give)+" is not a valid date (want YYYY-MM-DD)")
	}
}

// TestDaysFromCivilMatchesTime checks the day arithmetic every date and
// timestamp relies on against the time package, for every day of years
// 1 to 9999.
func TestDaysFromCivilMatchesTime(t *testing.T) {
	day := time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	for ; day.Year() < 10000; day = day.Add(24 * time.Hour) {
		if got, want := daysFromCivil(day.Year(), int(day.Month()), day.Day()), int(day.Unix()/86400); got != want {
			t.Fatalf("%s: day %d, want %d", day.Format(time.DateOnly), got, want)
		}
	}
}

var isoDate = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)

var strictISODate = stricter{"iso-date-only", func(s string) bool { return !isoDate.MatchString(s) }}

func TestDateMatchesPostgres(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	edges := []string{
		"2000-01-01", "2024-02-29", "2023-02-29", "1900-02-29", "2000-02-29", "0004-02-29", "0001-01-01", "9999-12-31",
		"0000-01-01", "0000-12-31", "10000-01-01", "2026-00-01", "2026-13-01", "2026-04-31", "2026-06-31", "2026-01-32",
		"2026-01-00", "2026-1-2", "20260102", "2026/01/02", "2026.01.02", "01/02/2026", "02-01-2026", "Jan 2 2026",
		"2026-01-02 12:00:00", "2026-01-02T00:00", "2026-01-02 BC", "0001-01-01 BC", "J2451545", "epoch", "infinity",
		"-infinity", "today", "+2026-01-02", "-2026-01-02", "2026-01-02Z", "2026-01-02+02", "２０２６-01-02", "2026-٠1-02",
	}
	for range 200 {
		edges = append(edges, fmt.Sprintf("%04d-%02d-%02d", 1+rng.IntN(9999), 1+rng.IntN(12), 1+rng.IntN(31)))
	}
	edges = append(edges, badBytes...)
	runDiffs(t, "date", []diffCase{{
		sqlType:  "date",
		inputs:   inputs(70, 800, "0123456789-/ T:", edges...),
		stricter: []stricter{strictSpaces, strictISODate},
	}})
}

// dateFuzz: a value is accepted exactly when time.Parse reads it as an
// ISO date of year 1 or later, and decodes, with pgx, to that date.
func dateFuzz() []fuzzCase {
	return []fuzzCase{{
		col:   Column{Name: "d", Type: "date", Typmod: -1, NotNull: true},
		seeds: []string{"2024-02-29", "2023-02-29", "0001-01-01", "9999-12-31", "2026-1-02"},
		check: func(t *testing.T, m *pgtype.Map, s string, v []byte, err error) {
			want, werr := time.Parse(time.DateOnly, s)
			if (err == nil) != (werr == nil && isoDate.MatchString(s) && want.Year() >= 1) {
				t.Fatalf("%q: error %v, time.Parse says %v", s, err, werr)
			}
			if err != nil {
				return
			}
			var got time.Time
			if err := m.Scan(pgtype.DateOID, pgtype.BinaryFormatCode, v, &got); err != nil || !got.Equal(want) {
				t.Fatalf("%q decodes to %v (%v), want %v", s, got, err, want)
			}
		},
	}}
}
