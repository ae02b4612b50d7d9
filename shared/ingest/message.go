package ingest

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nats-io/nats.go"
)

// Header names of ingest messages. File names travel percent-encoded: a
// name may hold newlines or bytes that must never reach a header line raw.
const (
	HeaderFileID    = "Tributary-File-Id"
	HeaderFileName  = "Tributary-File-Name"
	HeaderPart      = "Tributary-Part" // "index/count", 1-based
	HeaderFirstLine = "Tributary-First-Line"
	HeaderRows      = "Tributary-Rows"
	HeaderLandedAt  = "Tributary-Landed-At"
	HeaderReason    = "Tributary-Reason"
	HeaderSize      = "Tributary-File-Size"
	HeaderEntry     = "Tributary-Entry"         // a rejected entry whose content was never read: see Rejection.Entry
	HeaderOversized = "Tributary-Oversized-Row" // set on a part standing for one row too large for a message
	HeaderRange     = "Tributary-Range"         // "from-to": the bytes of the file whose rows the part holds
	HeaderOffset    = "Tributary-Body-Offset"   // where in the file the body's first byte is
	HeaderContract  = "Tributary-Contract"      // the contract of a file not of the default contract
	HeaderColumns   = "Tributary-Columns"       // a by_name file's header line, percent-encoded
	HeaderEncoding  = "Tributary-Encoding"      // how the landed file was compressed: gzip, zstd
	HeaderFormat    = "Tributary-Format"        // how the body's rows are written: ndjson (absent: CSV)

	// Added to a message when it is dead-lettered.
	HeaderDeadReason     = "Tributary-Dead-Reason"
	HeaderDeadSubject    = "Tributary-Dead-Subject"
	HeaderDeadStreamSeq  = "Tributary-Dead-Stream-Seq"
	HeaderDeadDeliveries = "Tributary-Dead-Deliveries"
	HeaderDeadAt         = "Tributary-Dead-At"
)

// Part describes one message of a landed file: the whole file, or one of the
// row-aligned pieces a large file is split into.
type Part struct {
	FileID    string    // hex SHA-256 of the whole file: the identity of its content
	FileName  string    // base name as it landed, for people; never trusted as a path
	Index     int       // 1-based
	Count     int       // number of parts of the file
	FirstLine int       // file line of the body's first byte (the header is line 1)
	Rows      int       // rows in the body, as counted by the watcher
	Size      int64     // size of the whole file's content in bytes (decompressed, see Encoding)
	LandedAt  time.Time // when the file was renamed into the input directory
	// OversizedRow, when not zero, is the size in bytes of the one row this
	// part stands for: a row larger than a message, of which the body holds
	// only the first bytes. The loader records it as a rejected row, so the
	// other rows of its file still load.
	OversizedRow int64
	// From and To bound the part's share of its file, the bytes [From, To):
	// the part holds exactly the rows that end inside it. The ranges of one
	// split tile the file, [0, Size), and every boundary is the end of a
	// row, so a range names the same rows whatever the split limit, the
	// watcher or the server that cut it: it is the part's identity. Index
	// and Count only describe one split, for people.
	From, To int64
	// Offset is where in the file the body starts: From, or later when
	// the header or blank lines before the first row are not sent.
	Offset int64
	// Contract names the file's contract; empty for the default contract,
	// whose messages look as they did before contracts.
	Contract string
	// Columns is the file's header line when its contract maps columns by
	// name (the loader maps them to the table); empty under an exact header.
	Columns string
	// Encoding is how the landed file was compressed ("gzip", "zstd"), or
	// EncodingParquet, or empty. FileID is the hash of the file as landed; Size, the ranges and
	// the offsets are of its decompressed content, which the body holds:
	// the loader reads it as any other part.
	Encoding string
	// Format is how the body's rows are written: FormatNDJSON, or empty
	// for CSV. An NDJSON body has no header; under a by_name contract
	// Columns holds the file's keys, as a CSV header line.
	Format string
}

// FormatNDJSON is the Format of a part whose rows are JSON objects, one
// per line.
const FormatNDJSON = "ndjson"

// EncodingParquet is the Encoding of a part of a Parquet file: its body is
// NDJSON, a line per row, and its range counts rows (see CountsRows).
const EncodingParquet = "parquet"

// CountsRows reports whether the part's range, offset and Size count rows
// rather than bytes: a Parquet file's rows are its only stable positions
// (the text they are sent as is the watcher's rendering, not the file).
// Row i of the file ends at i+1.
func (p Part) CountsRows() bool { return p.Encoding == EncodingParquet }

// FileKey identifies the file's content within its contract: the same
// bytes landed for two contracts are two loads, into two tables.
func (p Part) FileKey() string {
	if p.Contract == "" {
		return p.FileID
	}
	return p.Contract + ":" + p.FileID
}

// MsgID is the Nats-Msg-Id: the file's content id and the part's byte
// range, so the same rows landed twice, under any name and whatever the
// split, are one message inside the duplicate window. A part from before
// ranges (To is 0) keeps its old id, FILEID.INDEX.
func (p Part) MsgID() string {
	if p.To == 0 {
		return p.FileID + "." + strconv.Itoa(p.Index)
	}
	return p.FileKey() + "." + strconv.FormatInt(p.From, 10) + "-" + strconv.FormatInt(p.To, 10)
}

// Header encodes the part's metadata.
func (p Part) Header() nats.Header {
	h := nats.Header{}
	h.Set(nats.MsgIdHdr, p.MsgID())
	h.Set(HeaderFileID, p.FileID)
	h.Set(HeaderFileName, EncodeName(p.FileName))
	h.Set(HeaderPart, strconv.Itoa(p.Index)+"/"+strconv.Itoa(p.Count))
	h.Set(HeaderFirstLine, strconv.Itoa(p.FirstLine))
	h.Set(HeaderRows, strconv.Itoa(p.Rows))
	h.Set(HeaderSize, strconv.FormatInt(p.Size, 10))
	h.Set(HeaderLandedAt, p.LandedAt.UTC().Format(time.RFC3339Nano))
	if p.OversizedRow > 0 {
		h.Set(HeaderOversized, strconv.FormatInt(p.OversizedRow, 10))
	}
	if p.Contract != "" {
		h.Set(HeaderContract, p.Contract)
	}
	if p.Columns != "" {
		h.Set(HeaderColumns, EncodeName(p.Columns))
	}
	if p.Encoding != "" {
		h.Set(HeaderEncoding, p.Encoding)
	}
	if p.Format != "" {
		h.Set(HeaderFormat, p.Format)
	}
	if p.To > 0 {
		h.Set(HeaderRange, strconv.FormatInt(p.From, 10)+"-"+strconv.FormatInt(p.To, 10))
		h.Set(HeaderOffset, strconv.FormatInt(p.Offset, 10))
	}
	return h
}

// ParsePart decodes a part's metadata; the error names the bad header.
func ParsePart(h nats.Header) (Part, error) {
	var (
		p    Part
		errs []error
		err  error
	)
	p.FileID = h.Get(HeaderFileID)
	if !validFileID(p.FileID) {
		errs = append(errs, fmt.Errorf("header %s %q is not a hex SHA-256", HeaderFileID, p.FileID))
	}
	p.FileName = DecodeName(h.Get(HeaderFileName))
	index, count, ok := strings.Cut(h.Get(HeaderPart), "/")
	p.Index, err = strconv.Atoi(index)
	if err == nil {
		p.Count, err = strconv.Atoi(count)
	}
	if !ok || err != nil || p.Index < 1 || p.Index > p.Count {
		errs = append(errs, fmt.Errorf("header %s %q is not index/count", HeaderPart, h.Get(HeaderPart)))
	}
	if p.FirstLine, err = strconv.Atoi(h.Get(HeaderFirstLine)); err != nil || p.FirstLine < 1 {
		errs = append(errs, fmt.Errorf("header %s %q is not a line number", HeaderFirstLine, h.Get(HeaderFirstLine)))
	}
	if p.Rows, err = strconv.Atoi(h.Get(HeaderRows)); err != nil || p.Rows < 0 {
		errs = append(errs, fmt.Errorf("header %s %q is not a row count", HeaderRows, h.Get(HeaderRows)))
	}
	if p.Size, err = strconv.ParseInt(h.Get(HeaderSize), 10, 64); err != nil || p.Size < 0 {
		errs = append(errs, fmt.Errorf("header %s %q is not a size", HeaderSize, h.Get(HeaderSize)))
	}
	if p.LandedAt, err = time.Parse(time.RFC3339Nano, h.Get(HeaderLandedAt)); err != nil {
		errs = append(errs, fmt.Errorf("header %s %q is not a time", HeaderLandedAt, h.Get(HeaderLandedAt)))
	}
	if v := h.Get(HeaderOversized); v != "" {
		if p.OversizedRow, err = strconv.ParseInt(v, 10, 64); err != nil || p.OversizedRow < 1 || p.Rows != 1 {
			errs = append(errs, fmt.Errorf("header %s %q is not the size of one row", HeaderOversized, v))
		}
	}
	if err := p.parseRange(h); err != nil {
		errs = append(errs, err)
	}
	p.Contract = h.Get(HeaderContract)
	p.Encoding = h.Get(HeaderEncoding)
	switch p.Format = h.Get(HeaderFormat); p.Format {
	case "", FormatNDJSON:
	default:
		errs = append(errs, fmt.Errorf("header %s %q is not a format this loader reads (ndjson, or none for CSV)", HeaderFormat, p.Format))
	}
	if v := h.Get(HeaderColumns); v != "" {
		if p.Columns, err = url.PathUnescape(v); err != nil {
			errs = append(errs, fmt.Errorf("header %s %q is not percent-encoded", HeaderColumns, v))
		}
	}
	return p, errors.Join(errs...)
}

// parseRange reads the part's byte range and body offset; a part without
// them comes from a watcher that predates ranges.
func (p *Part) parseRange(h nats.Header) error {
	rng, off := h.Get(HeaderRange), h.Get(HeaderOffset)
	if rng == "" && off == "" {
		return nil
	}
	from, to, ok := strings.Cut(rng, "-")
	var errs [3]error
	p.From, errs[0] = strconv.ParseInt(from, 10, 64)
	p.To, errs[1] = strconv.ParseInt(to, 10, 64)
	p.Offset, errs[2] = strconv.ParseInt(off, 10, 64)
	if !ok || errors.Join(errs[:]...) != nil || p.From < 0 || p.From >= p.To || p.To > p.Size || p.Offset < p.From || p.Offset > p.To {
		return fmt.Errorf("headers %s %q and %s %q are not a byte range of the file's %d bytes and an offset inside it",
			HeaderRange, rng, HeaderOffset, off, p.Size)
	}
	return nil
}

// Rejection is the notice that a whole file was refused by the watcher
// (unreadable as the contract, too large, not a regular file...).
type Rejection struct {
	FileID   string // empty when the content was never read (a FIFO, a symlink)
	FileName string
	Reason   string
	Size     int64
	LandedAt time.Time
	// Entry identifies the directory entry when its content was never
	// read: what a rename leaves unchanged (inode, size, mtime), so that
	// the notice keeps its id across the claim, a restart and an adoption.
	Entry string
}

// MsgID identifies the notice: by content when it was read, otherwise by
// name and entry (by name and landing time for a notice without an entry,
// as older watchers published them).
func (r Rejection) MsgID() string {
	switch {
	case r.FileID != "":
		return "rejected." + r.FileID
	case r.Entry != "":
		return "rejected." + url.PathEscape(r.FileName) + "@" + url.PathEscape(r.Entry)
	}
	return "rejected." + url.PathEscape(r.FileName) + "@" + strconv.FormatInt(r.LandedAt.UnixNano(), 10)
}

// Header encodes the notice.
func (r Rejection) Header() nats.Header {
	h := nats.Header{}
	h.Set(nats.MsgIdHdr, r.MsgID())
	h.Set(HeaderFileID, r.FileID)
	h.Set(HeaderFileName, EncodeName(r.FileName))
	h.Set(HeaderReason, url.PathEscape(r.Reason))
	h.Set(HeaderSize, strconv.FormatInt(r.Size, 10))
	h.Set(HeaderLandedAt, r.LandedAt.UTC().Format(time.RFC3339Nano))
	if r.Entry != "" {
		h.Set(HeaderEntry, url.PathEscape(r.Entry))
	}
	return h
}

// ParseRejection decodes a notice. Unknown or missing fields are tolerated:
// a notice is informational and must always be recordable.
func ParseRejection(h nats.Header) Rejection {
	r := Rejection{FileName: DecodeName(h.Get(HeaderFileName))}
	if id := h.Get(HeaderFileID); validFileID(id) {
		r.FileID = id
	}
	r.Reason = DecodeName(h.Get(HeaderReason))
	r.Size, _ = strconv.ParseInt(h.Get(HeaderSize), 10, 64)
	r.LandedAt, _ = time.Parse(time.RFC3339Nano, h.Get(HeaderLandedAt))
	r.Entry = DecodeName(h.Get(HeaderEntry))
	return r
}

// EncodeName makes any file name safe for a header value.
func EncodeName(name string) string { return url.PathEscape(name) }

// DecodeName reverses EncodeName and returns valid UTF-8 (file names may be
// any bytes; PostgreSQL text may not).
func DecodeName(s string) string {
	name, err := url.PathUnescape(s)
	if err != nil {
		name = s
	}
	name = strings.ReplaceAll(name, "\x00", "\uFFFD")
	if !utf8.ValidString(name) {
		name = strings.ToValidUTF8(name, "\uFFFD")
	}
	return name
}

func validFileID(id string) bool {
	if len(id) != 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
