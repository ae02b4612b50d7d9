package split

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strings"

	"github.com/tributary-dev/tributary/shared/contracts"
	"github.com/tributary-dev/tributary/shared/ingest"
)

// maxHeaderBytes bounds how far into the file the header may reach.
const maxHeaderBytes = 64 << 10

// cutter receives records from the scanner: it checks the first one is the
// header the contract wants and groups the others into parts no larger
// than maxPart.
//
// Each part's range runs from the end of the previous part (the file's
// start for the first) to the end of its last row, so the ranges of a
// split tile the file and each boundary is a row's end: the same rows
// always fall in the same range, whatever maxPart was. The body sent is
// the part's rows only, from its first row's first byte: blank lines
// before a row are never counted against a message's size.
type cutter struct {
	contract  *contracts.Declaration
	maxPart   int64
	head      []byte // the first bytes after the BOM, where the header lives
	headStart int64

	sawHeader bool
	headless  bool  // the content has no header line (NDJSON)
	from      int64 // where the next part's range starts
	partStart int64 // where the current part's body starts
	partLine  int
	partRows  int
	lastEnd   int64
	layout    Layout
}

func newCutter(d *contracts.Declaration, headStart, maxPart int64) *cutter {
	return &cutter{contract: d, maxPart: maxPart, headStart: headStart, head: make([]byte, 0, 256)}
}

// newLineCutter cuts the lines of content without a header (NDJSON).
func newLineCutter(maxPart int64) *cutter {
	return &cutter{maxPart: maxPart, sawHeader: true, headless: true}
}

func (c *cutter) keepHead(p []byte) {
	if c.headless {
		return
	}
	if room := maxHeaderBytes - len(c.head); room > 0 {
		c.head = append(c.head, p[:min(room, len(p))]...)
	}
}

func (c *cutter) record(start, end int64, line, nextLine int) error {
	if !c.sawHeader {
		c.sawHeader = true
		return c.checkHeader(start, end, line)
	}
	if c.partRows > 0 && end-c.partStart > c.maxPart {
		c.cut()
	}
	if c.partRows == 0 {
		c.partStart, c.partLine = start, line
	}
	c.layout.Rows++
	if end-c.partStart > c.maxPart {
		// No valid row comes near a message's size: this one is set aside
		// in a span of its own, to be rejected alone while the rest loads.
		c.layout.Parts = append(c.layout.Parts, Span{Offset: start, Length: end - start, FirstLine: line, Rows: 1, Oversized: true,
			From: c.from, To: end})
		c.from = end
		return nil
	}
	c.partRows++
	c.lastEnd = end
	return nil
}

func (c *cutter) cut() {
	c.layout.Parts = append(c.layout.Parts, Span{
		Offset: c.partStart, Length: c.lastEnd - c.partStart, FirstLine: c.partLine, Rows: c.partRows,
		From: c.from, To: c.lastEnd,
	})
	c.from, c.partRows = c.lastEnd, 0
}

// finish ends the layout; the last range runs to the end of the file, so
// that the ranges cover all size bytes of it.
func (c *cutter) finish(size int64) (Layout, error) {
	if !c.sawHeader {
		return Layout{}, reject("file is empty: no header and no rows")
	}
	if c.partRows > 0 {
		c.cut()
	}
	switch {
	case c.layout.Rows == 0 && c.headless:
		return Layout{}, reject("file has no lines but blank ones")
	case c.layout.Rows == 0:
		return Layout{}, reject("file has a header but no rows")
	}
	c.layout.Parts[len(c.layout.Parts)-1].To = size
	return c.layout, nil
}

func (c *cutter) checkHeader(start, end int64, line int) error {
	from, to := start-c.headStart, end-c.headStart
	if to > int64(len(c.head)) {
		want := "a header line naming the columns"
		if c.contract.Header == contracts.HeaderExact {
			want = fmt.Sprintf("the header %q", c.contract.HeaderLine())
		}
		return reject("the first row (line %d) is longer than %d bytes; want %s", line, maxHeaderBytes, want)
	}
	raw := c.head[from:to]
	fields, err := headerFields(raw)
	if err != nil {
		return reject("the header (line %d) is not valid CSV: %v", line, err)
	}
	if err := c.contract.CheckHeader(fields); err != nil {
		return reject("the header (line %d) %v", line, err)
	}
	if c.contract.Header == contracts.HeaderByName {
		return c.keepColumns(raw, line)
	}
	return nil
}

// headerFields reads the fields of a header line. A line without quotes
// or a carriage return before its end is its text split at commas, as
// encoding/csv reads it, without the reader's 4 KiB buffer (most files are
// small, and each paid for one); any other line is read by encoding/csv.
func headerFields(raw []byte) ([]string, error) {
	line := bytes.TrimSuffix(bytes.TrimSuffix(raw, []byte("\n")), []byte("\r"))
	if len(line) > 0 && bytes.IndexAny(line, "\"\r\n") < 0 {
		return strings.Split(string(line), ","), nil
	}
	return csv.NewReader(bytes.NewReader(raw)).Read()
}

// keepColumns keeps a by_name header line, as written, for every part. It
// travels in each message's headers, which count against the server's
// max_payload with the body: the bodies give it room.
func (c *cutter) keepColumns(raw []byte, line int) error {
	raw = bytes.TrimSuffix(raw, []byte("\n"))
	raw = bytes.TrimSuffix(raw, []byte("\r"))
	c.layout.Columns = string(raw)
	room := int64(len(ingest.HeaderColumns) + len(": \r\n") + len(ingest.EncodeName(c.layout.Columns)))
	if room > c.maxPart/2 {
		return reject("the header (line %d) takes %d bytes as a message header, more than half the %d-byte message limit "+
			"(WATCHER_MAX_MESSAGE_BYTES, or the server's max_payload): too little would be left for rows", line, room, c.maxPart)
	}
	c.maxPart -= room
	return nil
}
