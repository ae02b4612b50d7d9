// Package parquetrows reads a Parquet file's rows as NDJSON lines, one
// object per row with a member per column, each value written exactly from
// its physical and logical type: integers as written, decimals from their
// unscaled integer and scale (never a float), dates and timestamps as text
// (an instant with "Z"), strings escaped but never altered. It reads page
// by page, whatever the file's size, and turns the library's panics on a
// damaged file into errors.
package parquetrows

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go"
)

// RejectError means the file cannot be loaded: damaged, or of a shape
// contracts do not load. The reason is for a person.
type RejectError struct{ Reason string }

func (e *RejectError) Error() string { return e.Reason }

func reject(format string, args ...any) error {
	return &RejectError{Reason: fmt.Sprintf(format, args...)}
}

// Reader reads a Parquet file's rows in order.
type Reader struct {
	file  *parquet.File
	names []string
	keys  [][]byte     // each column's `"name":`, JSON-encoded
	cols  []appendFunc // by leaf column
	line  []byte

	group int // the row group being read
	rows  parquet.Rows
	buf   []parquet.Row
	n, i  int   // rows in buf, and the next one
	row   int64 // index in the file of the next row
}

// MaxMetadata bounds a file's footer (its schema and row groups' metadata),
// which the library reads whole: a few kilobytes to a few megabytes in
// files engines write; a damaged or hostile length must not decide how
// much memory the watcher takes.
const MaxMetadata = 16 << 20

// Open reads the file's metadata and plans each column.
func Open(r io.ReaderAt, size int64) (rd *Reader, err error) {
	defer recovered(&err)
	var tail [8]byte
	if size < 12 {
		return nil, reject("Parquet file is %d bytes, too short for its magic numbers and footer", size)
	}
	if _, err := r.ReadAt(tail[:], size-8); err != nil {
		return nil, fmt.Errorf("read footer: %w", err)
	}
	// The length is read only before a closing magic number; the library
	// says what is wrong with a file that has none.
	if n := int64(binary.LittleEndian.Uint32(tail[:4])); string(tail[4:]) == "PAR1" {
		if n > MaxMetadata || n > size-12 {
			return nil, reject("Parquet footer says its metadata is %d bytes, more than the file holds or than the %d the watcher reads", n, MaxMetadata)
		}
		footer := make([]byte, n)
		if _, err := r.ReadAt(footer, size-8-n); err != nil {
			return nil, fmt.Errorf("read footer: %w", err)
		}
		if err := checkFooter(footer); err != nil {
			return nil, reject("Parquet metadata is damaged: it %v", err)
		}
	}
	f, err := parquet.OpenFile(r, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return nil, reject("Parquet file cannot be read: %v", err)
	}
	rd = &Reader{file: f, buf: make([]parquet.Row, 64)}
	var errs []error
	for i, field := range f.Schema().Fields() {
		name := field.Name()
		plan, err := planColumn(name, field)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if leaf, ok := f.Schema().Lookup(name); !ok || leaf.ColumnIndex != i {
			errs = append(errs, fmt.Errorf("column %q is not where a flat schema has it", name))
			continue
		}
		key := appendString(nil, []byte(name))
		rd.names, rd.keys, rd.cols = append(rd.names, name), append(rd.keys, append(key, ':')), append(rd.cols, plan)
	}
	if len(errs) > 0 {
		return nil, reject("Parquet schema: %v", errors.Join(errs...))
	}
	return rd, nil
}

// Names are the file's columns, in order.
func (r *Reader) Names() []string { return r.names }

// NumRows is how many rows the file says it has.
func (r *Reader) NumRows() int64 { return r.file.NumRows() }

// Next returns the next row as an NDJSON line (valid until the next call),
// its index in the file and its row group, or io.EOF after the last.
func (r *Reader) Next() (line []byte, row int64, group int, err error) {
	defer recovered(&err)
	for r.i == r.n {
		if err := r.fill(); err != nil {
			return nil, 0, 0, err
		}
	}
	values := r.buf[r.i]
	r.i++
	line = append(r.line[:0], '{')
	for _, v := range values {
		c := v.Column()
		if c < 0 || c >= len(r.cols) || v.RepetitionLevel() != 0 {
			return nil, 0, 0, reject("Parquet row %d has a value that is not of a flat column", r.row+1)
		}
		if line[len(line)-1] != '{' {
			line = append(line, ',')
		}
		line = append(line, r.keys[c]...)
		if v.IsNull() {
			line = append(line, "null"...)
			continue
		}
		line = r.cols[c](line, v)
	}
	line = append(line, '}', '\n')
	r.line = line
	row, r.row = r.row, r.row+1
	return line, row, r.group - 1, nil
}

// fill reads the next rows, moving to the next row group when one ends.
func (r *Reader) fill() error {
	if r.rows == nil {
		groups := r.file.RowGroups()
		if r.group == len(groups) {
			if r.row != r.NumRows() {
				return reject("Parquet file says it has %d rows, its row groups hold %d", r.NumRows(), r.row)
			}
			return io.EOF
		}
		r.rows = groups[r.group].Rows()
		r.group++
	}
	n, err := r.rows.ReadRows(r.buf)
	r.n, r.i = n, 0
	if errors.Is(err, io.EOF) {
		err = r.rows.Close()
		r.rows = nil
	}
	if err != nil {
		return reject("Parquet row group %d cannot be read: %v", r.group, err)
	}
	return nil
}

// Close releases the row group being read.
func (r *Reader) Close() error {
	if r.rows != nil {
		return r.rows.Close()
	}
	return nil
}

// recovered turns a panic of the Parquet library, which it raises on some
// damaged files, into the file's rejection.
func recovered(err *error) {
	if p := recover(); p != nil {
		*err = reject("Parquet file is damaged: %v", p)
	}
}

// Bodies serves the publisher's reads of a file's parts: ReadAt(p, row)
// fills p with the lines of the rows from row on, in order. Parts are
// read in order, each once, so the file is read once more, front to
// back; a read before the last one's end is an error.
type Bodies struct {
	r    *Reader
	next int64 // the next row Next returns
}

// NewBodies reads r's rows for the publisher.
func NewBodies(r *Reader) *Bodies { return &Bodies{r: r} }

// ReadAt reads the lines of the rows from row on into p, as many as fill
// it; a line that does not fit (a row larger than a message, of which
// only the beginning is sent) is cut at p's end.
func (b *Bodies) ReadAt(p []byte, row int64) (int, error) {
	if row < b.next {
		return 0, fmt.Errorf("parquet: read at row %d, after row %d: rows are read forward only", row, b.next)
	}
	n := 0
	for n < len(p) {
		line, at, _, err := b.r.Next()
		if err != nil {
			return n, err
		}
		b.next = at + 1
		if at < row {
			continue
		}
		n += copy(p[n:], line)
	}
	return n, nil
}
