package app

import (
	"strings"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/shared/config"
)

func TestEventDay(t *testing.T) {
	tests := []struct {
		give    map[string]string
		wantErr string
	}{
		{map[string]string{"GENERATOR_EVENT_DAY": "2026-11-20", "GENERATOR_FILES": "2"}, ""},
		{map[string]string{"GENERATOR_EVENT_DAY": "2026-11-20"}, "needs GENERATOR_FILES"},
		{map[string]string{"GENERATOR_EVENT_DAY": "20.11.2026", "GENERATOR_FILES": "2"}, "is not a date"},
		{map[string]string{"GENERATOR_IDS": "v4"}, ""},
		{map[string]string{"GENERATOR_IDS": "v5"}, `GENERATOR_IDS is "v5", want v7 or v4`},
	}
	for _, tt := range tests {
		_, err := config.FromMap[Config](tt.give)
		if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("FromMap(%v) = %v, want %q", tt.give, err, tt.wantErr)
		}
	}
	c, err := config.FromMap[Config](map[string]string{"GENERATOR_EVENT_DAY": "2026-11-20", "GENERATOR_FILES": "2", "GENERATOR_ROWS_PER_FILE": "2"})
	if err != nil {
		t.Fatal(err)
	}
	clock := c.eventClock() // 4 events over the day: every 6 hours
	for _, want := range []string{"00:00", "06:00", "12:00", "18:00"} {
		if got := clock().Format("15:04"); got != want {
			t.Errorf("event at %s, want %s", got, want)
		}
	}
	if now := (Config{}).eventClock()(); time.Since(now) > time.Minute {
		t.Errorf("without GENERATOR_EVENT_DAY events are stamped %s, want now", now)
	}
}
