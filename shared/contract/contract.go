// Package contract is the public data contract of the pipeline: the CSV
// columns every producer writes and the rules a row must follow to be loaded
// into user_activity. It is shared by the generator (which writes rows), the
// watcher (which checks headers) and the loader (which validates rows).
package contract

import "strings"

// Columns is the CSV header, in order. Files must start with exactly these
// column names.
var Columns = []string{
	"event_id", "event_time", "event_type", "product_id", "price", "user_id", "session_id",
}

// Column positions in a record.
const (
	ColEventID = iota
	ColEventTime
	ColEventType
	ColProductID
	ColPrice
	ColUserID
	ColSessionID
	NumColumns
)

// Event types the contract allows.
const (
	TypeView     = "view"
	TypePurchase = "purchase"
)

// Limits of the target table's columns.
const (
	MaxIDLength        = 50 // VARCHAR(50): event_id and session_id, in characters
	MaxPriceCents      = 99_999_999_99
	MaxFractionDigits  = 6 // PostgreSQL TIMESTAMP keeps microseconds
	TimeLayout         = "2006-01-02 15:04:05"
	TimeLayoutISO      = "2006-01-02T15:04:05"
	timeLayoutLength   = len(TimeLayout)
	maxTimeFieldLength = timeLayoutLength + 1 + MaxFractionDigits
)

// HeaderLine is the header as a producer writes it, without line ending.
var HeaderLine = strings.Join(Columns, ",")

// MatchesHeader reports whether fields are exactly the contract's header.
func MatchesHeader(fields []string) bool {
	if len(fields) != len(Columns) {
		return false
	}
	for i, name := range Columns {
		if fields[i] != name {
			return false
		}
	}
	return true
}
