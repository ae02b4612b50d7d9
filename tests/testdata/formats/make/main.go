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
