package ingest

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go"
)

// HeaderBundle marks a bundle: a message that carries several small
// messages, each as it would have been sent alone (see Bundle). Its value
// is how many.
const HeaderBundle = "Tributary-Bundle"

// Entry is one message inside a bundle: its headers (a part's, with its own
// Nats-Msg-Id) and its body.
type Entry struct {
	Header nats.Header
	Data   []byte
}

// Bundle packs entries into one message, so that many small files cost one
// stored message (one fsync with sync_interval: always) rather than one
// each. A bundle is transport only: every entry keeps its own identity, its
// part's Nats-Msg-Id, by which the loader's ledger decides "already
// loaded", so two bundles holding one part in other company (a watcher
// restarted mid-publish) still load it once.
//
// The bundle's own Nats-Msg-Id is the hash of its entries' ids, in order:
// the same entries published again inside the duplicate window are stored
// once. Its Tributary-Rows is the entries' sum, for the loader's batch
// limits.
//
// The body is each entry in turn: a uvarint length and the entry's header
// block as NATS writes one ("NATS/1.0\r\n", "Key: value\r\n" lines, a blank
// line), then a uvarint length and its body.
func Bundle(subject string, entries []Entry) (*nats.Msg, error) {
	if len(entries) < 2 || len(entries) > MaxBundleEntries {
		return nil, fmt.Errorf("a bundle holds 2 to %d entries, not %d", MaxBundleEntries, len(entries))
	}
	id := sha256.New()
	rows, size := 0, 0
	blocks := make([][]byte, len(entries))
	for i, e := range entries {
		msgID := e.Header.Get(nats.MsgIdHdr)
		if msgID == "" {
			return nil, fmt.Errorf("bundle entry %d has no %s", i+1, nats.MsgIdHdr)
		}
		if e.Header.Get(HeaderBundle) != "" {
			return nil, fmt.Errorf("bundle entry %d is itself a bundle", i+1)
		}
		id.Write([]byte(msgID))
		id.Write([]byte{'\n'})
		n, err := strconv.Atoi(e.Header.Get(HeaderRows))
		if err != nil {
			n = 1
		}
		rows += n
		if blocks[i], err = headerBlock(e.Header); err != nil {
			return nil, fmt.Errorf("bundle entry %d: %w", i+1, err)
		}
		size += len(blocks[i]) + len(e.Data) + 2*binary.MaxVarintLen64
	}
	body := make([]byte, 0, size)
	for i, e := range entries {
		body = binary.AppendUvarint(body, uint64(len(blocks[i])))
		body = append(body, blocks[i]...)
		body = binary.AppendUvarint(body, uint64(len(e.Data)))
		body = append(body, e.Data...)
	}
	h := nats.Header{}
	h.Set(nats.MsgIdHdr, "bundle."+hex.EncodeToString(id.Sum(nil)))
	h.Set(HeaderBundle, strconv.Itoa(len(entries)))
	h.Set(HeaderRows, strconv.Itoa(rows))
	return &nats.Msg{Subject: subject, Header: h, Data: body}, nil
}

// IsBundle reports whether a message's headers mark it as a bundle.
func IsBundle(h nats.Header) bool { return h.Get(HeaderBundle) != "" }

// Unbundle returns the entries of a bundle, their bodies aliasing data. The
// error says what is wrong with a damaged bundle.
func Unbundle(h nats.Header, data []byte) ([]Entry, error) {
	want, err := strconv.Atoi(h.Get(HeaderBundle))
	if err != nil || want < 2 || want > MaxBundleEntries {
		return nil, fmt.Errorf("header %s %q is not a count of entries", HeaderBundle, h.Get(HeaderBundle))
	}
	// Each entry takes at least two length bytes and a header block.
	if want > len(data)/2 {
		return nil, fmt.Errorf("bundle of %d bytes cannot hold the %d entries its %s header says", len(data), want, HeaderBundle)
	}
	out := make([]Entry, 0, want)
	for rest := data; len(rest) > 0; {
		n := len(out) + 1
		block, tail, err := chunk(rest)
		if err != nil {
			return nil, fmt.Errorf("bundle entry %d headers: %w", n, err)
		}
		eh, err := nats.DecodeHeadersMsg(block)
		if err != nil {
			return nil, fmt.Errorf("bundle entry %d headers: %w", n, err)
		}
		body, tail, err := chunk(tail)
		if err != nil {
			return nil, fmt.Errorf("bundle entry %d body: %w", n, err)
		}
		out = append(out, Entry{Header: eh, Data: body})
		rest = tail
	}
	if len(out) != want {
		return nil, fmt.Errorf("bundle holds %d entries, its %s header says %d", len(out), HeaderBundle, want)
	}
	return out, nil
}

// chunk reads a uvarint length and that many bytes.
func chunk(b []byte) (data, rest []byte, err error) {
	n, k := binary.Uvarint(b)
	if k <= 0 {
		return nil, nil, errors.New("bad length")
	}
	b = b[k:]
	if n > uint64(len(b)) {
		return nil, nil, fmt.Errorf("length %d past the bundle's end (%d bytes left)", n, len(b))
	}
	return b[:n:n], b[n:], nil
}

// headerBlock writes h as NATS writes a message's headers, keys in order.
// Ingest header values never hold a line break (names travel
// percent-encoded); one that does is refused, not mangled.
func headerBlock(h nats.Header) ([]byte, error) {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	b.WriteString("NATS/1.0\r\n")
	for _, k := range keys {
		for _, v := range h[k] {
			if strings.ContainsAny(k, "\r\n:") || strings.ContainsAny(v, "\r\n") {
				return nil, fmt.Errorf("header %q: a line break in its value, or a colon or line break in its name", k)
			}
			b.WriteString(k)
			b.WriteString(": ")
			b.WriteString(v)
			b.WriteString("\r\n")
		}
	}
	b.WriteString("\r\n")
	return []byte(b.String()), nil
}

// MaxBundleEntries is the most entries a bundle may hold: SourceSeq gives
// each a place of 10 bits.
const MaxBundleEntries = 1000

// bundleSources marks a SourceSeq of a bundle's entry: 2^62, above any
// stream sequence. The bundle's sequence takes the 52 bits below it (at a
// million messages a second a stream passes 2^52 after 142 years).
const bundleSources = int64(1) << 62

// SourceSeq is what a loaded row records of the message that loaded it
// (the table's sequence column, user_activity's source_seq) and the
// ledger row of that message keeps: the message's stream sequence, or for
// the file at place (1-based) in a bundle, 2^62 + seq×1024 + place, so
// that the files of one bundle are told apart. Either way
// coalesce(ingest_ledger.source_seq, ingest_ledger.stream_seq) finds a
// row's ledger row.
func SourceSeq(streamSeq uint64, place int) int64 {
	if place == 0 {
		return int64(streamSeq)
	}
	return bundleSources | int64(streamSeq)<<10 | int64(place)
}

// StreamSeqOf is the stream sequence of the message a SourceSeq names.
func StreamSeqOf(source int64) uint64 {
	if source < bundleSources {
		return uint64(source)
	}
	return uint64(source&^bundleSources) >> 10
}
