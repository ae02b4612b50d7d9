package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
)

// parquetEvent is a user_activity row as an engine writes it to Parquet: a local
// timestamp in microseconds, a DECIMAL(10,2) in cents.
type parquetEvent struct {
	EventID   string  `parquet:"event_id"`
	EventTime int64   `parquet:"event_time,timestamp(microsecond:local)"`
	EventType string  `parquet:"event_type"`
	ProductID int32   `parquet:"product_id"`
	Price     int64   `parquet:"price,decimal(2:10)"`
	UserID    int32   `parquet:"user_id"`
	SessionID *string `parquet:"session_id,optional"`
}

// rowsPerGroup is the Parquet row group size the bench writes: about
// 100 MB of CSV, as engines size them; pages are Snappy-compressed, as
// Spark writes them by default.
const rowsPerGroup = 1_000_000

// eachRow calls fn with every data row of the generator's CSV file src.
func eachRow(src string, fn func([]string) error) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReaderSize(f, 1<<20))
	r.ReuseRecord = true
	if _, err := r.Read(); err != nil { // the header
		return err
	}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
}

// writeNDJSON writes each row as an object: numbers as the CSV wrote
// them, an empty session as null (what an empty CSV field loads as).
func writeNDJSON(src string, w io.Writer) error {
	names := []string{"event_id", "event_time", "event_type", "product_id", "price", "user_id", "session_id"}
	numbers := []bool{false, false, false, true, true, true, false}
	line := make([]byte, 0, 256)
	return eachRow(src, func(rec []string) error {
		line = append(line[:0], '{')
		for i, v := range rec {
			if i > 0 {
				line = append(line, ',')
			}
			line = append(line, '"')
			line = append(line, names[i]...)
			line = append(line, '"', ':')
			switch {
			case v == "":
				line = append(line, "null"...)
			case numbers[i]:
				line = append(line, v...)
			default:
				b, _ := json.Marshal(v)
				line = append(line, b...)
			}
		}
		line = append(line, '}', '\n')
		_, err := w.Write(line)
		return err
	})
}

// writeParquet writes the rows as events, in row groups of rowsPerGroup.
func writeParquet(src string, w io.Writer) error {
	pw := parquet.NewGenericWriter[parquetEvent](w, parquet.MaxRowsPerRowGroup(rowsPerGroup), parquet.Compression(&parquet.Snappy))
	batch := make([]parquetEvent, 0, 4096)
	flush := func() error {
		_, err := pw.Write(batch)
		batch = batch[:0]
		return err
	}
	err := eachRow(src, func(rec []string) error {
		e, err := parseEvent(rec)
		if err != nil {
			return err
		}
		if batch = append(batch, e); len(batch) == cap(batch) {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return err
	}
	return pw.Close()
}

func parseEvent(rec []string) (parquetEvent, error) {
	t, err := time.Parse("2006-01-02 15:04:05.999999", rec[1])
	if err != nil {
		return parquetEvent{}, err
	}
	whole, frac, _ := strings.Cut(rec[4], ".")
	frac = (frac + "00")[:2]
	cents, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil {
		return parquetEvent{}, fmt.Errorf("price %q: %w", rec[4], err)
	}
	product, err1 := strconv.ParseInt(rec[3], 10, 32)
	user, err2 := strconv.ParseInt(rec[5], 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return parquetEvent{}, err
	}
	e := parquetEvent{EventID: rec[0], EventTime: t.UnixMicro(), EventType: rec[2], ProductID: int32(product), Price: cents, UserID: int32(user)}
	if rec[6] != "" {
		s := strings.Clone(rec[6])
		e.SessionID = &s
	}
	e.EventID, e.EventType = strings.Clone(e.EventID), strings.Clone(e.EventType)
	return e, nil
}
