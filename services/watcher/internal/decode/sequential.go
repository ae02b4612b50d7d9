package decode

import (
	"fmt"
	"io"
)

// Sequential serves ReadAt from a stream read once, front to back, so a
// decompressed file's parts can be read as a file's would be: in order,
// each once. That is how the publisher reads them; reading backwards is
// an error rather than a silent re-read.
type Sequential struct {
	r  io.Reader
	at int64
}

// NewSequential reads r from its start.
func NewSequential(r io.Reader) *Sequential { return &Sequential{r: r} }

// ReadAt reads len(p) bytes at off, which must not be before the end of
// the previous read.
func (s *Sequential) ReadAt(p []byte, off int64) (int, error) {
	if off < s.at {
		return 0, fmt.Errorf("decode: read at %d, before %d: a stream reads forward only", off, s.at)
	}
	if _, err := io.CopyN(io.Discard, s.r, off-s.at); err != nil {
		return 0, fmt.Errorf("decode: skip to %d: %w", off, err)
	}
	n, err := io.ReadFull(s.r, p)
	s.at = off + int64(n)
	return n, err
}
