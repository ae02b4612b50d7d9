package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/tributary-dev/tributary/shared/contract"
)

// binaryCopy streams a rowSource as PostgreSQL's binary COPY format
// (https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.4),
// encoding each value straight from the parsed event into one reused
// buffer. pgx's generic CopyFrom looks up an encode plan per value and
// turns every price into a big.Int; that was half the loader's CPU time
// and most of its garbage.
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
		if !b.src.Next() {
			b.buf = binary.BigEndian.AppendUint16(b.buf, 0xffff) // trailer: a field count of -1
			b.done = true
			break
		}
		b.buf = b.src.appendTuple(b.buf)
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

// pgEpoch is PostgreSQL's timestamp zero, 2000-01-01 00:00:00.
var pgEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()

// appendTuple encodes the current row in the order of copyColumns (and
// its ordinal, for staging copies).
func (s *rowSource) appendTuple(buf []byte) []byte {
	e := &s.event
	fields := uint16(len(copyColumns))
	if s.keepRef {
		fields++
	}
	buf = binary.BigEndian.AppendUint16(buf, fields)
	buf = appendText(buf, e.ID)
	buf = appendInt64(buf, e.Time.UnixMicro()-pgEpoch) // a zone-less TIMESTAMP: the wall clock read as UTC
	buf = appendText(buf, e.Type)
	buf = appendInt32(buf, e.ProductID)
	buf = appendNumeric(buf, e.Price)
	buf = appendInt32(buf, e.UserID)
	if e.SessionID == "" {
		buf = binary.BigEndian.AppendUint32(buf, 0xffffffff) // NULL
	} else {
		buf = appendText(buf, e.SessionID)
	}
	buf = appendInt64(buf, s.seq)
	if s.keepRef {
		buf = appendInt64(buf, s.ord)
	}
	return buf
}

func appendText(buf []byte, s string) []byte {
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(s)))
	return append(buf, s...)
}

func appendInt32(buf []byte, v int32) []byte {
	buf = binary.BigEndian.AppendUint32(buf, 4)
	return binary.BigEndian.AppendUint32(buf, uint32(v))
}

func appendInt64(buf []byte, v int64) []byte {
	buf = binary.BigEndian.AppendUint32(buf, 8)
	return binary.BigEndian.AppendUint64(buf, uint64(v))
}

// appendNumeric encodes cents as NUMERIC with two decimals: base-10000
// digits (the integer part's groups, then the two decimals as the first
// half of a group), a weight (the power of 10000 of the first digit), a
// sign and the display scale. A zero integer part has no group (the
// weight is then -1) and trailing zero groups are left out, as PostgreSQL
// stores them. The contract rejects negative prices.
func appendNumeric(buf []byte, c contract.Cents) []byte {
	var digits [4]uint16 // enough for DECIMAL(10,2): 8 integer digits and 2 decimals
	sign := uint16(0)
	if c < 0 {
		sign, c = 0x4000, -c
	}
	whole, frac := int64(c)/100, uint16(c%100)*100
	n := 0
	for v := whole; v > 0; v /= 10000 {
		n++
	}
	for i, v := n-1, whole; i >= 0; i, v = i-1, v/10000 {
		digits[i] = uint16(v % 10000)
	}
	weight := n - 1
	if frac != 0 {
		digits[n] = frac
		n++
	}
	for n > 0 && digits[n-1] == 0 {
		n--
	}
	if n == 0 {
		weight = 0 // zero has no digits
	}
	buf = binary.BigEndian.AppendUint32(buf, uint32(8+2*n))
	buf = binary.BigEndian.AppendUint16(buf, uint16(n))
	buf = binary.BigEndian.AppendUint16(buf, uint16(int16(weight)))
	buf = binary.BigEndian.AppendUint16(buf, sign)
	buf = binary.BigEndian.AppendUint16(buf, 2) // dscale
	for _, d := range digits[:n] {
		buf = binary.BigEndian.AppendUint16(buf, d)
	}
	return buf
}
