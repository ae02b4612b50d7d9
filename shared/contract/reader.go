package contract

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
)

// Record is one row read from a body of CSV records.
type Record struct {
	Line  int    // line of the file where the row starts, 1-based
	End   int64  // offset in the body just past the row and its line ending
	Raw   []byte // the row as written, without its line ending; aliases the body
	Event Event  // valid only when Err is nil
	Err   *FieldError
}

// Reader reads the data rows of a CSV body (RFC 4180, LF or CRLF) and
// validates each against the contract. A row that is not valid CSV or breaks
// the contract is returned with Err set; reading goes on with the next row.
type Reader struct {
	body      []byte
	csv       *csv.Reader
	firstLine int
	offset    int64
}

// NewReader reads body, whose first byte is on line firstLine of its file.
// The body holds data rows only: the watcher has already checked and removed
// the header.
func NewReader(body []byte, firstLine int) *Reader {
	r := csv.NewReader(bytes.NewReader(body))
	r.FieldsPerRecord = -1 // the field count is checked per row, with a clear reason
	r.ReuseRecord = true
	return &Reader{body: body, csv: r, firstLine: firstLine}
}

// Next returns the next row, or false once the body is exhausted.
func (r *Reader) Next() (Record, bool) {
	fields, err := r.csv.Read()
	if errors.Is(err, io.EOF) {
		return Record{}, false
	}
	start := r.offset
	r.offset = r.csv.InputOffset()
	rec := Record{Raw: trimLineEnds(r.body[start:r.offset]), End: r.offset}
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			rec.Line = r.firstLine + pe.StartLine - 1
			rec.Err = &FieldError{Reason: fmt.Sprintf("row is not valid CSV: %v (line %d, column %d)", pe.Err, r.firstLine+pe.Line-1, pe.Column)}
			return rec, true
		}
		// bytes.Reader never fails: any other error is a bug worth surfacing.
		rec.Err = &FieldError{Reason: "row could not be read: " + err.Error()}
		return rec, true
	}
	line, _ := r.csv.FieldPos(0)
	rec.Line = r.firstLine + line - 1
	ev, err := Parse(fields)
	if err != nil {
		rec.Err = err.(*FieldError)
		return rec, true
	}
	rec.Event = ev
	return rec, true
}

// trimLineEnds drops the blank lines csv skips before a row and the row's own
// line ending.
func trimLineEnds(b []byte) []byte {
	return bytes.Trim(b, "\r\n")
}
