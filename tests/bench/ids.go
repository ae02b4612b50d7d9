package main

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/tributary-dev/tributary/shared/contract"
)

// The kinds of event id a dataset can hold. The generator writes UUIDv7,
// which is time-ordered: every insert lands at the right edge of the
// primary key's btree, PostgreSQL's cheapest case. Real producers write
// random UUIDv4, which insert all over the index (more pages touched and
// split, more WAL), so the targets are judged on v4 and the bench rewrites
// the generator's ids before any run loads the files.
const (
	idsV4 = "v4"
	idsV7 = "v7"
)

// uuidLen is the length of a UUID's text form, v4 and v7 alike: a rewrite
// keeps every file's size and every other byte.
const uuidLen = 36

// rewriteIDs gives every row of the files a random UUIDv4 in place of its
// id, then flushes them to disk as the generator's fsync did, so no
// writeback of the rewrite lands inside a measured run. The ids come from
// a generator seeded by seed: a dataset of one size is the same from one
// invocation to the next.
func rewriteIDs(dir string, names []string, seed uint64) error {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	rng := rand.New(rand.NewChaCha8(key))
	for _, n := range names {
		path := filepath.Join(dir, n)
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if err := replaceIDs(b, rng); err != nil {
			return fmt.Errorf("rewrite ids of %s: %w", path, err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			return fmt.Errorf("rewrite ids of %s: %w", path, err)
		}
	}
	return syncFS(dir)
}

// replaceIDs overwrites the first field of every record of a CSV file
// (the header line first, then one record per line, as the generator
// writes them) with a random UUIDv4. It refuses a file whose header is not
// the contract's or a record that does not start with a UUID: the rewrite
// must never shift a byte.
func replaceIDs(b []byte, rng *rand.Rand) error {
	header, _, ok := bytes.Cut(b, []byte("\n"))
	if !ok || string(header) != contract.HeaderLine {
		return errors.New("the first line is not the contract's header")
	}
	i := len(header) + 1
	for line := 2; i < len(b); line++ {
		rec := b[i:]
		if len(rec) <= uuidLen || rec[uuidLen] != ',' || !isUUID(rec[:uuidLen]) {
			return fmt.Errorf("line %d does not start with a UUID", line)
		}
		putV4(rec[:uuidLen], rng)
		end := bytes.IndexByte(rec, '\n')
		if end < 0 {
			break
		}
		i += end + 1
	}
	return nil
}

// putV4 writes a random UUIDv4 (RFC 9562: version 4, variant 10) as text
// into dst, which is uuidLen bytes.
func putV4(dst []byte, rng *rand.Rand) {
	var u [16]byte
	binary.LittleEndian.PutUint64(u[:8], rng.Uint64())
	binary.LittleEndian.PutUint64(u[8:], rng.Uint64())
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	hex.Encode(dst[0:8], u[0:4])
	dst[8] = '-'
	hex.Encode(dst[9:13], u[4:6])
	dst[13] = '-'
	hex.Encode(dst[14:18], u[6:8])
	dst[18] = '-'
	hex.Encode(dst[19:23], u[8:10])
	dst[23] = '-'
	hex.Encode(dst[24:36], u[10:16])
}

// isUUID reports whether b is a UUID's text form: hex digits in groups of
// 8-4-4-4-12.
func isUUID(b []byte) bool {
	if len(b) != uuidLen {
		return false
	}
	for i, c := range b {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}
