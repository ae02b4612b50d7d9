// Command make writes the formats corpus: hostile and ordinary compressed
// (and later NDJSON and Parquet) files whose outcomes manifest.json states
// by hand. Run it from the tests module: go run ./testdata/formats/make.
// The files are committed; this says how each was made.
package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go"
)

const header = "event_id,event_time,event_type,product_id,price,user_id,session_id"

var dir = filepath.Join("testdata", "formats")

func row(id string) string { return id + ",2026-11-26 10:00:00,view,1,1.00,1,s" }

func csv(eol string, rows ...string) string {
	return header + eol + strings.Join(rows, eol) + eol
}

func gz(s string) []byte {
	var b bytes.Buffer
	w, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

func zst(s string) []byte {
	w, err := zstd.NewWriter(nil)
	if err != nil {
		log.Fatal(err)
	}
	return w.EncodeAll([]byte(s), nil)
}

func write(name string, b []byte) {
	if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
		log.Fatal(err)
	}
}

func flip(b []byte, at int) []byte {
	c := bytes.Clone(b)
	c[at] ^= 0x40
	return c
}

func main() {
	bad := csv("\n", row("gz-ok-1"),
		"gz-price,2026-11-26 10:00:00,view,1,1.005,1,s",
		"gz-short,2026-11-26 10:00:00",
		row("gz-ok-2"))
	write("gzip-rows.csv.gz", gz(bad))
	write("zstd-rows.csv.zst", zst(strings.ReplaceAll(bad, "gz-", "zs-")))
	write("gzip-named-csv.csv", gz(csv("\n", row("gn-1"))))
	write("zstd-no-suffix", zst(csv("\n", row("zn-1"))))
	write("gzip-bom-crlf.csv.gz", gz("\xef\xbb\xbf"+csv("\r\n", row("gb-1"), `"gb-2",2026-11-26 10:00:00,view,1,2.00,1,"two`+"\r\n"+`lines"`)))
	members := csv("\n", row("gm-1"), row("gm-2"), row("gm-3"))
	write("gzip-members.csv.gz", append(gz(members[:100]), gz(members[100:])...))

	// About 30 KB of CSV: several messages of at most 4096 bytes.
	var rows []string
	for i := range 300 {
		rows = append(rows, fmt.Sprintf("gp-%03d,2026-11-26 10:00:00,purchase,%d,%d.%02d,1,s", i, i, i, i%100))
	}
	many := csv("\n", rows...)
	write("gzip-multi-part.csv.gz", gz(many))
	write("zstd-multi-part.csv.zst", zst(strings.ReplaceAll(many, "gp-", "zp-")))
	write("gzip-row-larger-than-a-message.csv.gz", gz(csv("\n", row("gl-ok"), row("gl-big")+strings.Repeat("x", 5000), row("gl-ok-2"))))

	// Damage: nothing of these loads.
	g := gz(csv("\n", row("gd-1"), row("gd-2")))
	write("gzip-truncated.csv.gz", g[:len(g)-10])
	write("gzip-trailer-cut.csv.gz", g[:len(g)-4])
	write("gzip-bad-crc.csv.gz", flip(g, len(g)-6))
	write("gzip-trailing-garbage.csv.gz", append(bytes.Clone(g), "and then some text"...))
	z := zst(csv("\n", row("zd-1"), row("zd-2")))
	write("zstd-truncated.csv.zst", z[:len(z)-5])
	write("zstd-bad-checksum.csv.zst", flip(z, len(z)-1))
	write("gzip-empty.csv.gz", gz(""))
	write("gzip-header-only.csv.gz", gz(header+"\n"))
	write("gzip-unterminated-quote.csv.gz", gz(csv("\n", row("gu-1"), `"gu-2,2026-11-26 10:00:00,view,1,1.00,1,s`)))
	write("gzip-of-binary.csv.gz", gz("\x00\x01\x02 not text\xff\n"))

	// Wrong magic: the name promises what the content is not.
	write("plain-named.csv.gz", []byte(csv("\n", row("wm-1"))))
	write("gzip-named.csv.zst", g)
	write("damaged-magic.csv.gz", flip(g, 0))

	// Bombs: a few kilobytes that expand far past WATCHER_MAX_DECODED_BYTES
	// (1 MiB in the corpus run). The first zstd one expands to 1 GiB with a
	// window larger than the watcher decodes, the second to 256 MiB.
	write("gzip-bomb.csv.gz", gz(csv("\n", row("bomb-1"))+strings.Repeat("\n", 32<<20)))
	var zb bytes.Buffer
	zw, err := zstd.NewWriter(&zb, zstd.WithEncoderLevel(zstd.SpeedBestCompression), zstd.WithWindowSize(16<<20))
	if err != nil {
		log.Fatal(err)
	}
	zw.Write([]byte(csv("\n", row("bomb-2"))))
	blank := bytes.Repeat([]byte("\n"), 1<<20)
	for range 1024 {
		zw.Write(blank)
	}
	zw.Close()
	write("zstd-big-window.csv.zst", zb.Bytes())

	zb.Reset()
	zw, err = zstd.NewWriter(&zb)
	if err != nil {
		log.Fatal(err)
	}
	zw.Write([]byte(csv("\n", row("bomb-2"))))
	for range 256 {
		zw.Write(blank)
	}
	zw.Close()
	write("zstd-bomb.csv.zst", zb.Bytes())
	ndjsonCases()
	parquetCases()
}

// obj is an NDJSON line of user_activity with id, the other members
// given (a member's text as written) replacing the defaults.
func obj(id string, kv ...string) string {
	members := []string{`"event_id":"` + id + `"`, `"event_time":"2026-11-26 10:00:00"`, `"event_type":"view"`, `"product_id":1`,
		`"price":1.50`, `"user_id":1`, `"session_id":"s"`}
	for i := 0; i+1 < len(kv); i += 2 {
		key := `"` + kv[i] + `":`
		found := false
		for j, m := range members {
			if strings.HasPrefix(m, key) {
				found = true
				if kv[i+1] == "-" {
					members = append(members[:j], members[j+1:]...)
				} else {
					members[j] = key + kv[i+1]
				}
				break
			}
		}
		if !found {
			members = append(members, key+kv[i+1])
		}
	}
	return "{" + strings.Join(members, ",") + "}"
}

func lines(eol string, ls ...string) []byte { return []byte(strings.Join(ls, eol) + eol) }

func ndjsonCases() {
	deep := strings.Repeat("[", 1001) + strings.Repeat("]", 1001)
	write("ndjson-rows.ndjson", lines("\n",
		obj("nd-ok"),
		obj("nd-exact", "price", "99999999.99", "product_id", "2147483647", "session_id", `"\u00e9t\u00e9 \ud83d\ude00"`),
		obj("nd-null-session", "session_id", "null"),
		obj("nd-no-session", "session_id", "-"),
		obj("nd-empty-session", "session_id", `""`),
		"",
		obj("nd-price-string", "price", `"1.50"`),
		obj("nd-price-places", "price", "1.005"),
		obj("nd-price-exponent", "price", "1.5e2"),
		obj("nd-product-range", "product_id", "2147483648"),
		obj("nd-product-fraction", "product_id", "1.0"),
		obj("nd-session-object", "session_id", `{"id":"s"}`),
		obj("nd-session-array", "session_id", `["s"]`),
		obj("nd-user-bool", "user_id", "true"),
		obj("nd-type-null", "event_type", "null"),
		obj("nd-type-spaces", "event_type", `"view "`),
		obj("nd-time-number", "event_time", "20261126"),
		obj("nd-id-nul", "event_id", `"a\u0000b"`),
		obj("nd-surrogate", "session_id", `"\ud800"`),
		obj("nd-deep", "session_id", deep),
		strings.TrimSuffix(obj("nd-dup"), "}")+`,"event_id":"nd-dup-2"}`,
		`{"event_time":"2026-11-26 10:00:00","event_type":"view","product_id":1,"price":1,"user_id":1}`,
		`[1,2,3]`,
		`"just a string"`,
		`{"event_id":"nd-cut","price":`,
		obj("nd-ok-last"),
	))
	write("ndjson-crlf.jsonl", []byte("\xef\xbb\xbf"+string(lines("\r\n", obj("nc-1"), "", obj("nc-2")))))
	write("ndjson-no-final-newline.ndjson", []byte(obj("nf-1")+"\n"+obj("nf-2")))
	write("ndjson-gzip.ndjson.gz", gz(string(lines("\n", obj("ng-1"), obj("ng-2", "price", "2.25")))))
	write("ndjson-zstd-no-suffix", zst(string(lines("\n", obj("nz-1")))))
	write("ndjson-extra-key.ndjson", lines("\n", obj("nx-1"), obj("nx-2", "colour", `"red"`)))
	write("ndjson-named.csv", lines("\n", obj("nn-1")))
	write("csv-named.ndjson", []byte(csv("\n", row("cn-1"))))
	write("ndjson-long-line.ndjson", lines("\n", obj("nl-ok"), obj("nl-big", "session_id", `"`+strings.Repeat("x", 5000)+`"`), obj("nl-ok-2")))
	var many []string
	for i := range 300 {
		many = append(many, obj(fmt.Sprintf("nm-%03d", i), "price", fmt.Sprintf("%d.%02d", i, i%100)))
	}
	write("ndjson-multi-part.ndjson", lines("\n", many...))
}

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
