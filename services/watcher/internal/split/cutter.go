package split

import (
	"bytes"
	"encoding/csv"
	"strconv"
	"strings"

	"github.com/tributary-dev/tributary/shared/contract"
)

// maxHeaderBytes bounds how far into the file the header may reach.
const maxHeaderBytes = 64 << 10

// cutter receives records from the scanner: it checks the first one is the
// header and groups the others into parts no larger than maxPart.
type cutter struct {
	maxPart   int64
	head      []byte // the first bytes after the BOM, where the header lives
	headStart int64

	sawHeader   bool
	partStart   int64
	partLine    int
	partRows    int
	lastEnd     int64
	lastEndLine int
	layout      Layout
}

func newCutter(headStart, maxPart int64) *cutter {
	return &cutter{maxPart: maxPart, headStart: headStart, head: make([]byte, 0, 4096)}
}

func (c *cutter) keepHead(p []byte) {
	if room := maxHeaderBytes - len(c.head); room > 0 {
		c.head = append(c.head, p[:min(room, len(p))]...)
	}
}

func (c *cutter) record(start, end int64, line, nextLine int) error {
	if !c.sawHeader {
		c.sawHeader = true
		c.partStart, c.partLine = end, nextLine
		c.lastEnd, c.lastEndLine = end, nextLine
		return c.checkHeader(start, end, line)
	}
	if end-c.partStart > c.maxPart && c.partRows > 0 {
		c.cut()
	}
	if end-c.partStart > c.maxPart {
		// No valid row comes near a message's size: this one is set aside
		// in a span of its own, to be rejected alone while the rest loads.
		c.layout.Parts = append(c.layout.Parts, Span{Offset: start, Length: end - start, FirstLine: line, Rows: 1, Oversized: true})
		c.layout.Rows++
		c.partStart, c.partLine = end, nextLine
		c.lastEnd, c.lastEndLine = end, nextLine
		return nil
	}
	c.partRows++
	c.layout.Rows++
	c.lastEnd, c.lastEndLine = end, nextLine
	return nil
}

func (c *cutter) cut() {
	c.layout.Parts = append(c.layout.Parts, Span{
		Offset: c.partStart, Length: c.lastEnd - c.partStart, FirstLine: c.partLine, Rows: c.partRows,
	})
	c.partStart, c.partLine, c.partRows = c.lastEnd, c.lastEndLine, 0
}

func (c *cutter) finish() (Layout, error) {
	if !c.sawHeader {
		return Layout{}, reject("file is empty: no header and no rows")
	}
	if c.partRows > 0 {
		c.cut()
	}
	if c.layout.Rows == 0 {
		return Layout{}, reject("file has a header but no rows")
	}
	return c.layout, nil
}

func (c *cutter) checkHeader(start, end int64, line int) error {
	from, to := start-c.headStart, end-c.headStart
	if to > int64(len(c.head)) {
		return reject("the first row (line %d) is longer than %d bytes; want the header %q", line, maxHeaderBytes, contract.HeaderLine)
	}
	fields, err := csv.NewReader(bytes.NewReader(c.head[from:to])).Read()
	if err != nil {
		return reject("the header (line %d) is not valid CSV: %v", line, err)
	}
	if !contract.MatchesHeader(fields) {
		got := strings.Join(fields, ",")
		if len(got) > 200 {
			got = got[:200] + "..."
		}
		return reject("the header (line %d) is %s; want %q", line, strconv.Quote(got), contract.HeaderLine)
	}
	return nil
}
