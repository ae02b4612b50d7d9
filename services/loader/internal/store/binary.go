package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// binaryCopy streams a rowSource as PostgreSQL's binary COPY format
// (https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.4),
// encoding each value straight from its CSV text into one reused buffer.
// pgx's generic CopyFrom looks up an encode plan per value and turns every
// price into a big.Int; that was half the loader's CPU time and most of its
// garbage.
type binaryCopy struct {
	src  *rowSource
	buf  []byte
	off  int // bytes of buf already read
	done bool
	err  *DataError // a panic while reading, turned into the message's error
}

var _ io.Reader = (*binaryCopy)(nil)

// copySignature starts a binary COPY stream: signature, flags, no header
// extension.
var copySignature = []byte("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00")

func newBinaryCopy(src *rowSource) *binaryCopy {
	return &binaryCopy{src: src, buf: append(make([]byte, 0, 80<<10), copySignature...)}
}

// copyBinary streams src into PostgreSQL with sql, a binary COPY FROM STDIN.
//
// pgx reads the source in a goroutine of its own, where no caller's recover
// reaches: a panic while a row is parsed or encoded would end the process,
// and every loader that took the message after it. Read recovers it and
// fails the COPY; copyBinary then returns it as a *DataError of the message
// being read (pgx itself only reports that COPY was aborted, SQLSTATE
// 57014, which would be retried forever as the environment's fault).
func copyBinary(ctx context.Context, conn *pgconn.PgConn, src *rowSource, sql string) error {
	bc := newBinaryCopy(src)
	_, err := conn.CopyFrom(ctx, bc, sql)
	if bc.err != nil {
		return bc.err
	}
	return err
}

// Read fills p with whole or partial tuples; it parses rows as COPY asks
// for bytes, so nothing but one buffer of rows is ever held.
func (b *binaryCopy) Read(p []byte) (n int, err error) {
	defer func() {
		if r := recover(); r != nil {
			b.err = b.src.panicked(r)
			n, err = 0, b.err
		}
	}()
	if b.off > 0 && len(b.buf)-b.off < len(p) {
		b.buf = append(b.buf[:0], b.buf[b.off:]...)
		b.off = 0
	}
	for !b.done && len(b.buf)-b.off < len(p) {
		var ok bool
		if b.buf, ok = b.src.appendNext(b.buf); !ok {
			b.buf = binary.BigEndian.AppendUint16(b.buf, 0xffff) // trailer: a field count of -1
			b.done = true
		}
	}
	n = copy(p, b.buf[b.off:])
	b.off += n
	if n == 0 && b.done {
		return 0, io.EOF
	}
	return n, nil
}

// panicked describes a panic raised while s was read: the message it was
// reading and where the panic came from, for the dead letter and the bug
// report.
func (s *rowSource) panicked(r any) *DataError {
	where := "before its first message"
	if s.at >= 0 && s.at < len(s.msgs) {
		m := s.msgs[s.at]
		where = fmt.Sprintf("message %q (file %q, stream sequence %d)", m.ID, m.FileName(), m.Seq)
	}
	return &DataError{Err: fmt.Errorf("loader bug: panic while reading %s for COPY: %v%s", where, r, panicSite())}
}

// panicSite is where the panic being recovered was raised: the first frame
// outside the runtime below runtime.gopanic. It must be called from the
// deferred function that recovers.
func panicSite() string {
	pcs := make([]uintptr, 64)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(1, pcs)])
	for panicking := false; ; {
		f, more := frames.Next()
		switch {
		case f.Function == "runtime.gopanic":
			panicking = true
		case panicking && !strings.HasPrefix(f.Function, "runtime."):
			return fmt.Sprintf(" (at %s:%d)", filepath.Base(f.File), f.Line)
		}
		if !more {
			return ""
		}
	}
}

func appendInt64(buf []byte, v int64) []byte {
	buf = binary.BigEndian.AppendUint32(buf, 8)
	return binary.BigEndian.AppendUint64(buf, uint64(v))
}
