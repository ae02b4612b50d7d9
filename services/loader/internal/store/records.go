package store

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"

	"github.com/tributary-dev/tributary/shared/ndjson"
)

// record is one row read from a body of CSV records.
type record struct {
	line   int      // line of the file where the row starts, 1-based
	end    int64    // offset in the body just past the row and its line ending
	raw    []byte   // the row as written, without its line ending; aliases the body
	fields []string // valid until the next read
	err    string   // why the row is not valid CSV, when it is not
	// json holds an NDJSON row's values by field (JSON null for a key
	// the line lacks); nil for a CSV row. Valid until the next read.
	json []ndjson.Member
}

// rowReader reads the rows of one part's body.
type rowReader interface {
	// next returns the next row, or false once the body is exhausted.
	next() (record, bool)
}

// records reads the data rows of a CSV body (RFC 4180, LF or CRLF). A row
// that is not valid CSV is returned with err set; reading goes on with the
// next row.
type records struct {
	body      []byte
	csv       *csv.Reader
	firstLine int
	offset    int64
}

// newRecords reads body, whose first byte is on line firstLine of its file.
// The body holds data rows only: the watcher has already checked and
// removed the header. It reads through buf, reset to body: encoding/csv
// would otherwise allocate a 4 KiB buffer per body, most of the loader's
// garbage when bodies are small files of a few rows. A records is done
// with buf once the next one is made.
func newRecords(body []byte, firstLine int, buf *bodyBuffer) *records {
	buf.body.Reset(body)
	buf.lines.Reset(buf.body)
	r := csv.NewReader(buf.lines) // takes buf.lines as it is: a bufio.Reader of the default size
	r.FieldsPerRecord = -1        // the field count is checked per row, with a clear reason
	r.ReuseRecord = true
	return &records{body: body, csv: r, firstLine: firstLine}
}

// bodyBuffer is what records reuse from one body to the next.
type bodyBuffer struct {
	body  *bytes.Reader
	lines *bufio.Reader
}

func newBodyBuffer() *bodyBuffer {
	body := bytes.NewReader(nil)
	return &bodyBuffer{body: body, lines: bufio.NewReader(body)}
}

// next returns the next row, or false once the body is exhausted.
func (r *records) next() (record, bool) {
	fields, err := r.csv.Read()
	if errors.Is(err, io.EOF) {
		return record{}, false
	}
	start := r.offset
	r.offset = r.csv.InputOffset()
	rec := record{raw: bytes.Trim(r.body[start:r.offset], "\r\n"), end: r.offset, fields: fields}
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			rec.line = r.firstLine + pe.StartLine - 1
			rec.err = fmt.Sprintf("row is not valid CSV: %v (line %d, column %d)", pe.Err, r.firstLine+pe.Line-1, pe.Column)
			return rec, true
		}
		// bytes.Reader never fails: any other error is a bug worth surfacing.
		rec.err = "row could not be read: " + err.Error()
		return rec, true
	}
	line, _ := r.csv.FieldPos(0)
	rec.line = r.firstLine + line - 1
	return rec, true
}
