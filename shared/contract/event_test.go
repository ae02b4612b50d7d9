package contract

import (
	"strings"
	"testing"
	"time"
)

func valid() []string {
	return []string{"e-1", "2026-03-01 12:30:45", "purchase", "42", "19.99", "7", "s-1"}
}

func with(col int, v string) []string {
	f := valid()
	f[col] = v
	return f
}

func TestParseValid(t *testing.T) {
	tests := []struct {
		name string
		give []string
		want Event
	}{
		{
			name: "plain",
			give: valid(),
			want: Event{ID: "e-1", Time: time.Date(2026, 3, 1, 12, 30, 45, 0, time.UTC), Type: "purchase", ProductID: 42, Price: 1999, UserID: 7, SessionID: "s-1"},
		},
		{
			name: "iso time with micros",
			give: with(ColEventTime, "2026-03-01T12:30:45.123456"),
			want: Event{ID: "e-1", Time: time.Date(2026, 3, 1, 12, 30, 45, 123456000, time.UTC), Type: "purchase", ProductID: 42, Price: 1999, UserID: 7, SessionID: "s-1"},
		},
		{
			name: "empty session is null",
			give: with(ColSessionID, ""),
			want: Event{ID: "e-1", Time: time.Date(2026, 3, 1, 12, 30, 45, 0, time.UTC), Type: "purchase", ProductID: 42, Price: 1999, UserID: 7},
		},
		{
			name: "unicode id of 50 characters",
			give: with(ColEventID, strings.Repeat("é", 50)),
			want: Event{ID: strings.Repeat("é", 50), Time: time.Date(2026, 3, 1, 12, 30, 45, 0, time.UTC), Type: "purchase", ProductID: 42, Price: 1999, UserID: 7, SessionID: "s-1"},
		},
		{
			name: "comma and newline inside a quoted id",
			give: with(ColSessionID, "a,b\nc"),
			want: Event{ID: "e-1", Time: time.Date(2026, 3, 1, 12, 30, 45, 0, time.UTC), Type: "purchase", ProductID: 42, Price: 1999, UserID: 7, SessionID: "a,b\nc"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.give)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got != tt.want {
				t.Errorf("Parse = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct {
		name       string
		give       []string
		wantColumn string
		wantReason string
	}{
		{"too few fields", valid()[:6], "", "row has 6 fields, want 7"},
		{"too many fields", append(valid(), "x"), "", "row has 8 fields, want 7"},
		{"empty event_id", with(ColEventID, ""), "event_id", "event_id is empty"},
		{"long event_id", with(ColEventID, strings.Repeat("x", 51)), "event_id", "is 51 characters, longer than 50"},
		{"invalid utf8", with(ColEventID, "a\xffb"), "event_id", `event_id "a\xffb" is not valid UTF-8`},
		{"nul byte", with(ColSessionID, "a\x00b"), "session_id", `session_id "a\x00b" contains a NUL byte`},
		{"trailing space", with(ColEventType, "view "), "event_type", `event_type "view " has leading or trailing spaces`},
		{"unknown type", with(ColEventType, "unknown_event"), "event_type", `event_type "unknown_event" is not view or purchase`},
		{"type case", with(ColEventType, "VIEW"), "event_type", "is not view or purchase"},
		{"month 13", with(ColEventTime, "2026-13-01 00:00:00"), "event_time", `event_time "2026-13-01 00:00:00" is not a valid time`},
		{"feb 30", with(ColEventTime, "2026-02-30 00:00:00"), "event_time", "is not a valid time"},
		{"hour 24", with(ColEventTime, "2026-02-01 24:00:00"), "event_time", "is not a valid time"},
		{"seven fraction digits", with(ColEventTime, "2026-02-01 10:00:00.1234567"), "event_time", "is not a valid time"},
		{"zone suffix", with(ColEventTime, "2026-02-01T10:00:00Z"), "event_time", "is not a valid time"},
		{"year zero", with(ColEventTime, "0000-01-01 00:00:00"), "event_time", "is not a valid time"},
		{"date only", with(ColEventTime, "2026-02-01"), "event_time", "is not a valid time"},
		{"empty time", with(ColEventTime, ""), "event_time", "event_time is empty"},
		{"comma fraction", with(ColEventTime, "2026-02-01 10:00:00,5"), "event_time", "is not a valid time"},
		{"product not int", with(ColProductID, "abc"), "product_id", `product_id "abc" is not an integer`},
		{"product float", with(ColProductID, "1.5"), "product_id", "is not an integer"},
		{"user out of range", with(ColUserID, "2147483648"), "user_id", "is out of range for INTEGER"},
		{"user empty", with(ColUserID, ""), "user_id", "user_id is empty"},
		{"negative price", with(ColPrice, "-50.00"), "price", `price "-50.00" is negative`},
		{"three decimals", with(ColPrice, "1.234"), "price", "has more than 2 decimal places"},
		{"too big", with(ColPrice, "123456789.00"), "price", "does not fit DECIMAL(10,2)"},
		{"exponent", with(ColPrice, "1e3"), "price", "is not a decimal number"},
		{"bare point", with(ColPrice, "12."), "price", "is not a decimal number"},
		{"leading point", with(ColPrice, ".5"), "price", "is not a decimal number"},
		{"nan", with(ColPrice, "NaN"), "price", "is not a decimal number"},
		{"plus sign", with(ColPrice, "+1.00"), "price", "is not a decimal number"},
		{"empty price", with(ColPrice, ""), "price", "price is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.give)
			fe, ok := err.(*FieldError)
			if !ok {
				t.Fatalf("Parse error = %v, want a *FieldError", err)
			}
			if fe.Column != tt.wantColumn {
				t.Errorf("column = %q, want %q", fe.Column, tt.wantColumn)
			}
			if !strings.Contains(fe.Reason, tt.wantReason) {
				t.Errorf("reason = %q, want it to contain %q", fe.Reason, tt.wantReason)
			}
		})
	}
}

func TestPriceExact(t *testing.T) {
	tests := []struct {
		give string
		want Cents
	}{
		{"0", 0}, {"0.1", 10}, {"00012.5", 1250}, {"1.500", 150}, {"-0.00", 0},
		{"99999999.99", MaxPriceCents}, {"19.99", 1999},
	}
	for _, tt := range tests {
		got, err := parsePrice(tt.give)
		if err != nil || got != tt.want {
			t.Errorf("parsePrice(%q) = %d, %v; want %d", tt.give, got, err, tt.want)
		}
	}
}

func TestCentsString(t *testing.T) {
	tests := []struct {
		give Cents
		want string
	}{{0, "0.00"}, {5, "0.05"}, {1250, "12.50"}, {MaxPriceCents, "99999999.99"}, {-105, "-1.05"}}
	for _, tt := range tests {
		if got := tt.give.String(); got != tt.want {
			t.Errorf("Cents(%d).String() = %q, want %q", tt.give, got, tt.want)
		}
	}
}

func TestQuoteIsBounded(t *testing.T) {
	_, err := Parse(with(ColProductID, strings.Repeat("9", 10000)))
	if err == nil || len(err.Error()) > 200 {
		t.Fatalf("reason should be short, got %d bytes", len(err.Error()))
	}
}

func TestFieldsRoundTrip(t *testing.T) {
	ev, err := Parse(with(ColEventTime, "2026-03-01 12:30:45.5"))
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse(ev.Fields())
	if err != nil || back != ev {
		t.Fatalf("round trip: %+v, %v; want %+v", back, err, ev)
	}
}
