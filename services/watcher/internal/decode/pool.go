package decode

import (
	"io"

	"github.com/klauspost/compress/zstd"
)

// Pool lends zstd decoders, at most size at once. A decoder holds its
// window (up to MaxZstdWindow) for as long as it decodes and allocates it
// anew if it is not reused: without a bound, four workers each reading a
// small zstd file held four windows, and their garbage, at once (123 MB
// of watcher RSS in the formats bench). A reader waits for a decoder when
// all are lent; each stream is bounded, so the wait is too.
type Pool struct {
	free   chan *zstd.Decoder
	tokens chan struct{} // one per decoder made
}

// NewPool returns a pool of at most size zstd decoders.
func NewPool(size int) *Pool {
	return &Pool{free: make(chan *zstd.Decoder, size), tokens: make(chan struct{}, size)}
}

// zstd lends a decoder reading r.
func (p *Pool) zstd(r io.Reader) (*zstd.Decoder, error) {
	select {
	case d := <-p.free:
		if err := d.Reset(r); err != nil {
			p.put(d)
			return nil, err
		}
		return d, nil
	case p.tokens <- struct{}{}:
		// One goroutine-free decoder with a bounded window: memory stays
		// the same whatever the file. Its own size limit is left alone: it
		// would shrink the window to it and call a bomb a window too
		// large; Reader.Read counts instead.
		d, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true),
			zstd.WithDecoderMaxWindow(MaxZstdWindow))
		if err != nil {
			<-p.tokens
		}
		return d, err
	}
}

// put takes a decoder back, dropping its reader.
func (p *Pool) put(d *zstd.Decoder) {
	_ = d.Reset(nil)
	p.free <- d
}
