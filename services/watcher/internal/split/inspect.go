package split

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/tributary-dev/tributary/shared/contracts"
)

// Span is a row-aligned piece of a file's data rows, sent as one message.
type Span struct {
	Offset    int64 // byte offset in the file
	Length    int64
	FirstLine int // file line of the span's first byte
	Rows      int
	// From and To bound the span's range: the bytes whose rows it holds,
	// its identity (see ingest.Part). Offset and Length lie inside it.
	From, To int64
	// Oversized marks a span of one row larger than a message: it is sent
	// as a reject (its first bytes and its size), not as rows.
	Oversized bool
}

// Layout is what Inspect learned about a readable file.
type Layout struct {
	FileID string // hex SHA-256 of the whole file
	Size   int64
	Rows   int
	Parts  []Span
	// Columns is the header line, as written without its line ending,
	// when the contract maps columns by name; empty under an exact header.
	Columns string
}

// RejectError means the file cannot be read as its contract at all. Its
// reason is meant for a person.
type RejectError struct{ Reason string }

func (e *RejectError) Error() string { return e.Reason }

func reject(format string, args ...any) error {
	return &RejectError{Reason: fmt.Sprintf(format, args...)}
}

// ErrChanged means the file's size changed while it was read: someone is
// still writing it in place.
var ErrChanged = errors.New("file changed while it was read")

var bom = []byte{0xEF, 0xBB, 0xBF}

// Inspect reads the size bytes of a file of contract d from r, once. It
// returns the file's identity and its data rows cut into parts of at most
// maxPart bytes, or a *RejectError saying why the file cannot be loaded as
// a whole.
func Inspect(r io.Reader, size, maxPart int64, d *contracts.Declaration) (Layout, error) {
	if size == 0 {
		return Layout{}, reject("file is empty (0 bytes)")
	}
	// Buffers fit the file: most files are small, and two 64 KiB buffers per
	// file cost more in allocation and GC than reading it.
	chunk := int(min(size+1, 64<<10))
	hash := sha256.New()
	br := bufio.NewReaderSize(io.TeeReader(r, hash), chunk)
	var start int64
	if p, _ := br.Peek(len(bom)); bytes.Equal(p, bom) {
		_, _ = br.Discard(len(bom))
		start = int64(len(bom))
	}
	c := newCutter(d, start, maxPart)
	sc := newScanner(start, c.record)
	buf := make([]byte, chunk)
	read := start
	for {
		n, err := br.Read(buf)
		c.keepHead(buf[:n])
		if werr := sc.write(buf[:n]); werr != nil {
			return Layout{}, werr
		}
		read += int64(n)
		if read > size {
			return Layout{}, ErrChanged
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Layout{}, fmt.Errorf("read: %w", err)
		}
	}
	if read != size {
		return Layout{}, ErrChanged
	}
	unterminated, line, err := sc.close()
	if err != nil {
		return Layout{}, err
	}
	if unterminated {
		return Layout{}, reject("unterminated quoted field in the row starting at line %d", line)
	}
	layout, err := c.finish(size)
	if err != nil {
		return Layout{}, err
	}
	layout.Size = size
	layout.FileID = hex.EncodeToString(hash.Sum(nil))
	return layout, nil
}
