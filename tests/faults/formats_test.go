package faults

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/tributary-dev/tributary/shared/contract"
)

func gzipped(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	_, _ = w.Write(data)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// parquetEvent is a user_activity row as engines write it to Parquet.
type parquetEvent struct {
	EventID   string  `parquet:"event_id"`
	EventTime int64   `parquet:"event_time,timestamp(microsecond:local)"`
	EventType string  `parquet:"event_type"`
	ProductID int32   `parquet:"product_id"`
	Price     int64   `parquet:"price,decimal(2:10)"`
	UserID    int32   `parquet:"user_id"`
	SessionID *string `parquet:"session_id,optional"`
}

// asParquet writes the rows of a CSV file of the contract as Parquet, in
// row groups of 1,000 rows.
func asParquet(t *testing.T, data []byte) []byte {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var rows []parquetEvent
	for _, rec := range recs[1:] {
		ev, err := contract.Parse(rec)
		if err != nil {
			t.Fatal(err)
		}
		e := parquetEvent{EventID: ev.ID, EventTime: ev.Time.UnixMicro(), EventType: ev.Type, ProductID: ev.ProductID,
			Price: int64(ev.Price), UserID: ev.UserID}
		if ev.SessionID != "" {
			e.SessionID = &ev.SessionID
		}
		rows = append(rows, e)
	}
	var b bytes.Buffer
	w := parquet.NewGenericWriter[parquetEvent](&b, parquet.MaxRowsPerRowGroup(1000))
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
