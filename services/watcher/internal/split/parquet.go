package split

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/tributary-dev/tributary/services/watcher/internal/decode"
	"github.com/tributary-dev/tributary/services/watcher/internal/parquetrows"
	"github.com/tributary-dev/tributary/shared/contracts"
)

// InspectParquet reads a Parquet file of size bytes from f: it hashes it
// (its identity), checks its columns against contract d and reads every
// row once, as the NDJSON line it is published as, so that a damaged file
// is refused whole before anything is published. Its parts are rows: a
// part's range [From, To) is of row indices in the file, which name the
// same rows whatever the split, Offset is its first row, Length the bytes
// of its lines, and no part spans two row groups. Size is the file's rows.
// The lines may take at most maxDecoded bytes: a few kilobytes of pages
// can stand for billions of rows.
func InspectParquet(f io.ReaderAt, size, maxDecoded, maxPart int64, d *contracts.Declaration) (Layout, error) {
	hash := sha256.New()
	if n, err := io.Copy(hash, io.NewSectionReader(f, 0, size+1)); err != nil {
		return Layout{}, fmt.Errorf("read: %w", err)
	} else if n != size {
		return Layout{}, ErrChanged
	}
	rd, err := parquetrows.Open(f, size)
	if err != nil {
		return Layout{}, parquetReject(err)
	}
	defer rd.Close()
	layout := Layout{FileID: hex.EncodeToString(hash.Sum(nil)), Size: rd.NumRows(), Rows: int(rd.NumRows()),
		Encoding: decode.Parquet, Format: NDJSON}
	if layout.Columns, err = keysHeader(d, rd.Names(), keysRoom(maxPart), "the file has column(s)"); err != nil {
		return Layout{}, err
	}
	if d.Header == contracts.HeaderByName {
		maxPart -= keysRoom(maxPart)
	}
	c := rowCutter{maxPart: maxPart, group: -1}
	var decoded int64
	for {
		line, row, group, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Layout{}, parquetReject(err)
		}
		if decoded += int64(len(line)); decoded > maxDecoded {
			return Layout{}, reject("Parquet rows expand to more than %d bytes (WATCHER_MAX_DECODED_BYTES): refused, as a decompression bomb would be", maxDecoded)
		}
		c.add(row, group, int64(len(line)))
	}
	if layout.Rows == 0 {
		return Layout{}, reject("file has no rows")
	}
	layout.Parts = c.finish()
	return layout, nil
}

func parquetReject(err error) error {
	var re *parquetrows.RejectError
	if errors.As(err, &re) {
		return &RejectError{Reason: re.Reason}
	}
	return err
}

// rowCutter groups rows into parts of at most maxPart bytes of lines,
// within one row group; a row larger than that is a part of its own, set
// aside to be rejected alone.
type rowCutter struct {
	maxPart int64
	parts   []Span
	cur     Span
	group   int
}

func (c *rowCutter) add(row int64, group int, n int64) {
	if c.cur.Rows > 0 && (group != c.group || c.cur.Length+n > c.maxPart) {
		c.parts, c.cur = append(c.parts, c.cur), Span{}
	}
	if n > c.maxPart {
		c.parts = append(c.parts, Span{Offset: row, Length: n, FirstLine: int(row) + 1, Rows: 1, From: row, To: row + 1, Oversized: true})
		return
	}
	if c.cur.Rows == 0 {
		c.cur, c.group = Span{Offset: row, FirstLine: int(row) + 1, From: row}, group
	}
	c.cur.Length += n
	c.cur.Rows++
	c.cur.To = row + 1
}

func (c *rowCutter) finish() []Span {
	if c.cur.Rows > 0 {
		c.parts = append(c.parts, c.cur)
	}
	return c.parts
}
