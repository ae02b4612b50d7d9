package parquetrows

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// checkFooter walks a Parquet footer (a Thrift compact-protocol struct)
// without decoding it, and refuses one whose lists, sets, maps or strings
// declare more elements or bytes than the footer has left, or that nests
// deeper than maxNesting. The library allocates what a header declares
// before it reads the elements: a few bytes claiming two billion row
// groups would take the watcher's memory, or kill it.
func checkFooter(b []byte) error {
	w := walker{b: b}
	return w.structure(0)
}

// maxNesting bounds structs within structs and lists: FileMetaData's own
// deepest schema is a handful of levels.
const maxNesting = 64

var errFooter = errors.New("ends before its last value")

type walker struct {
	b []byte
	i int
}

func (w *walker) left() int { return len(w.b) - w.i }

func (w *walker) byte() (byte, error) {
	if w.i >= len(w.b) {
		return 0, errFooter
	}
	w.i++
	return w.b[w.i-1], nil
}

func (w *walker) uvarint() (uint64, error) {
	v, n := binary.Uvarint(w.b[w.i:])
	if n <= 0 {
		return 0, errFooter
	}
	w.i += n
	return v, nil
}

// count reads a declared element count, which must fit in what is left
// at minimum bytes an element.
func (w *walker) count(n uint64, minimum int) (int, error) {
	if n > uint64(w.left()/minimum) {
		return 0, fmt.Errorf("declares %d elements in %d bytes", n, w.left())
	}
	return int(n), nil
}

// structure skips a struct's fields up to its stop byte.
func (w *walker) structure(depth int) error {
	if depth > maxNesting {
		return fmt.Errorf("nests deeper than %d", maxNesting)
	}
	for {
		h, err := w.byte()
		if err != nil {
			return err
		}
		if h == 0 { // stop
			return nil
		}
		if h>>4 == 0 { // the field id follows, as a zigzag varint
			if _, err := w.uvarint(); err != nil {
				return err
			}
		}
		if t := h & 0x0f; t != 1 && t != 2 { // booleans are in the header
			if err := w.value(t, depth); err != nil {
				return err
			}
		}
	}
}

// value skips one value of compact type t.
func (w *walker) value(t byte, depth int) error {
	switch t {
	case 1, 2, 3: // a boolean in a list, a byte
		_, err := w.byte()
		return err
	case 4, 5, 6: // i16, i32, i64
		_, err := w.uvarint()
		return err
	case 7: // double
		if w.left() < 8 {
			return errFooter
		}
		w.i += 8
		return nil
	case 8: // binary
		n, err := w.uvarint()
		if err != nil {
			return err
		}
		size, err := w.count(n, 1)
		w.i += size
		return err
	case 9, 10: // list, set
		h, err := w.byte()
		if err != nil {
			return err
		}
		n := uint64(h >> 4)
		if n == 0x0f {
			if n, err = w.uvarint(); err != nil {
				return err
			}
		}
		size, err := w.count(n, 1)
		for range size {
			if err == nil {
				err = w.value(h&0x0f, depth+1)
			}
		}
		return err
	case 11: // map
		n, err := w.uvarint()
		if err != nil || n == 0 {
			return err
		}
		kv, err := w.byte()
		if err != nil {
			return err
		}
		size, err := w.count(n, 2)
		for range size {
			if err == nil {
				err = w.value(kv>>4, depth+1)
			}
			if err == nil {
				err = w.value(kv&0x0f, depth+1)
			}
		}
		return err
	case 12:
		return w.structure(depth + 1)
	}
	return fmt.Errorf("has a field of unknown type %d", t)
}
