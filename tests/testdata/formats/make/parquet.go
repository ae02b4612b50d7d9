package main

import (
	"bytes"
	"fmt"
	"log"

	"github.com/parquet-go/parquet-go"
)

// event is a user_activity row as engines write it to Parquet: a local
// timestamp in microseconds, a DECIMAL(10,2), 32-bit integers and an
// optional session.
type event struct {
	EventID   string  `parquet:"event_id"`
	EventTime int64   `parquet:"event_time,timestamp(microsecond:local)"`
	EventType string  `parquet:"event_type"`
	ProductID int32   `parquet:"product_id"`
	Price     int64   `parquet:"price,decimal(2:10)"`
	UserID    int32   `parquet:"user_id"`
	SessionID *string `parquet:"session_id,optional"`
}

// 2026-11-26 10:00:00 in microseconds since the epoch.
const at = 1795687200_000000

func ev(id string) event {
	s := "s"
	return event{EventID: id, EventTime: at, EventType: "view", ProductID: 1, Price: 150, UserID: 1, SessionID: &s}
}

func pq[T any](rows []T, opts ...parquet.WriterOption) []byte {
	var b bytes.Buffer
	w := parquet.NewGenericWriter[T](&b, opts...)
	if _, err := w.Write(rows); err != nil {
		log.Fatal(err)
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	return b.Bytes()
}

func parquetCases() {
	negative, clicked, noSession, micros := ev("pq-negative"), ev("pq-click"), ev("pq-no-session"), ev("pq-micros")
	negative.Price, clicked.EventType, noSession.SessionID, micros.EventTime = -100, "click", nil, at+123456
	big := ev("pq-big")
	big.Price, big.ProductID = 9999999999, 2147483647
	write("parquet-rows.parquet", pq([]event{ev("pq-ok"), negative, clicked, noSession, micros, big}))

	var many []event
	for i := range 300 {
		e := ev(fmt.Sprintf("pm-%03d", i))
		e.Price = int64(i*100 + i%100)
		many = append(many, e)
	}
	write("parquet-row-groups.parquet", pq(many, parquet.MaxRowsPerRowGroup(128)))

	type instant struct {
		EventID   string `parquet:"event_id"`
		EventTime int64  `parquet:"event_time,timestamp(millisecond:utc)"`
		EventType string `parquet:"event_type"`
		ProductID int32  `parquet:"product_id"`
		Price     int64  `parquet:"price,decimal(2:10)"`
		UserID    int32  `parquet:"user_id"`
	}
	write("parquet-instant.parquet", pq([]instant{{EventID: "pi-1", EventTime: at / 1000, EventType: "view", ProductID: 1, Price: 100, UserID: 1}}))

	type kinds struct {
		EventID   string `parquet:"event_id"`
		EventTime int64  `parquet:"event_time,timestamp(microsecond:local)"`
		EventType string `parquet:"event_type"`
		ProductID string `parquet:"product_id"`
		Price     int64  `parquet:"price,decimal(2:10)"`
		UserID    int32  `parquet:"user_id"`
	}
	write("parquet-string-product.parquet", pq([]kinds{{EventID: "pk-1", EventTime: at, EventType: "view", ProductID: "1", Price: 150, UserID: 1}}))

	type wider struct {
		EventID   string `parquet:"event_id"`
		EventTime int64  `parquet:"event_time,timestamp(microsecond:local)"`
		EventType string `parquet:"event_type"`
		ProductID int32  `parquet:"product_id"`
		Price     int64  `parquet:"price,decimal(3:12)"`
		UserID    int64  `parquet:"user_id"`
	}
	write("parquet-wider-types.parquet", pq([]wider{
		{EventID: "pw-trailing-zero", EventTime: at, EventType: "view", ProductID: 1, Price: 1500, UserID: 1},
		{EventID: "pw-three-places", EventTime: at, EventType: "view", ProductID: 1, Price: 1005, UserID: 1},
		{EventID: "pw-user-range", EventTime: at, EventType: "view", ProductID: 1, Price: 1500, UserID: 1 << 40},
	}))

	type extra struct {
		EventID string `parquet:"event_id"`
		Colour  string `parquet:"colour"`
	}
	write("parquet-extra-column.parquet", pq([]extra{{EventID: "px-1", Colour: "red"}}))
	type list struct {
		EventID string   `parquet:"event_id"`
		Tags    []string `parquet:"tags"`
	}
	write("parquet-list.parquet", pq([]list{{EventID: "pl-1", Tags: []string{"a"}}}))

	good := pq([]event{ev("pd-1"), ev("pd-2")})
	write("parquet-truncated.parquet", good[:len(good)-20])
	write("parquet-named.csv.gz", good)
	write("csv-named.parquet", []byte(csv("\n", row("cp-1"))))
	write("parquet-no-rows.parquet", pq([]event{}))

	// A bomb: 200,000 identical rows, dictionary-encoded into a few
	// kilobytes, that would be 14 MB of NDJSON.
	type same struct {
		EventID   string `parquet:"event_id,dict"`
		EventType string `parquet:"event_type,dict"`
		ProductID int32  `parquet:"product_id,dict"`
	}
	bomb := make([]same, 200_000)
	for i := range bomb {
		bomb[i] = same{EventID: "pb-0000000000000000000000000000000", EventType: "view", ProductID: 1}
	}
	write("parquet-bomb.parquet", pq(bomb, parquet.Compression(&parquet.Snappy)))
}
