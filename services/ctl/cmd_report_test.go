package main

import (
	"strings"
	"testing"
	"time"
)

func TestReportRange(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 30, 15, 0, time.UTC)
	day := func(d, h, m int) time.Time { return time.Date(2026, 11, d, h, m, 0, 0, time.UTC) }
	tests := []struct {
		from, to, day string
		wantFrom      time.Time
		wantTo        time.Time
		wantErr       string
	}{
		{wantFrom: day(25, 10, 31), wantTo: day(26, 10, 31)}, // the last 24 hours, whole minutes
		{day: "2026-11-20", wantFrom: day(20, 0, 0), wantTo: day(21, 0, 0)},
		{from: "2026-11-20T06:00", to: "2026-11-20 12:00", wantFrom: day(20, 6, 0), wantTo: day(20, 12, 0)},
		{from: "2026-11-20T06:00:00+01:00", to: "2026-11-21", wantFrom: day(20, 5, 0), wantTo: day(21, 0, 0)},
		{day: "2026-11-20", from: "2026-11-19", wantErr: "-day excludes"},
		{day: "20/11/2026", wantErr: "not 2006-01-02"},
		{to: "yesterday", wantErr: "-to: \"yesterday\" is not a time"},
	}
	for _, tt := range tests {
		from, to, err := reportRange(tt.from, tt.to, tt.day, now)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("reportRange(%q, %q, %q) error = %v, want %q", tt.from, tt.to, tt.day, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !from.Equal(tt.wantFrom) || !to.Equal(tt.wantTo) {
			t.Errorf("reportRange(%q, %q, %q) = %s, %s, %v; want %s, %s", tt.from, tt.to, tt.day, from, to, err, tt.wantFrom, tt.wantTo)
		}
	}
}
