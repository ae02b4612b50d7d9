package faults

import (
	"context"
	"crypto/md5"
	"encoding/binary"
	"fmt"
	"math/big"
	"sort"

	"github.com/jackc/pgx/v5"
)

// digest sums up a set of rows in an order-independent way: how many,
// their prices in cents, and their event ids' 64-bit hashes summed modulo
// 2^64 (an additive multiset hash). A row lost or loaded twice changes the
// count; a changed price, the cents; a row swapped for another, the ids,
// but for a chance of 2^-64. A sum, unlike a xor, does not cancel a
// duplicate.
type digest struct {
	rows  int64
	cents int64
	ids   uint64
}

func (d *digest) add(id string, cents int64) {
	d.rows++
	d.cents += cents
	d.ids += idHash(id)
}

// idHash is the first 8 bytes of the MD5 of the event id, big-endian; the
// query in tableDigests computes the same in PostgreSQL.
func idHash(id string) uint64 {
	sum := md5.Sum([]byte(id))
	return binary.BigEndian.Uint64(sum[:8])
}

// querier is the part of a pgx pool the digests need.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// tableDigests computes a digest per file content of user_activity,
// attributing each row to its file through the ledger row of the message
// that loaded it (source_seq names it: see ingest.SourceSeq; the fault
// tests never recreate the stream, so a sequence names one message). Rows
// of no ledger row are under the content "". One pass over the table, in
// PostgreSQL: no event id leaves it.
func tableDigests(ctx context.Context, q querier) (map[string]digest, error) {
	// bit(64)::bigint reads the bits as two's complement: the sum of the
	// signed values is the sum of the unsigned ones modulo 2^64.
	rows, err := q.Query(ctx, `
		SELECT coalesce(l.file_id, ''), count(*), coalesce(sum(u.price) * 100, 0)::bigint,
		       coalesce(sum(('x' || left(md5(u.event_id), 16))::bit(64)::bigint), 0)::text
		FROM user_activity u LEFT JOIN ingest_ledger l ON coalesce(l.source_seq, l.stream_seq) = u.source_seq
		GROUP BY 1`)
	if err != nil {
		return nil, fmt.Errorf("digest user_activity: %w", err)
	}
	out := map[string]digest{}
	two64 := new(big.Int).Lsh(big.NewInt(1), 64)
	var (
		content, ids string
		d            digest
	)
	_, err = pgx.ForEachRow(rows, []any{&content, &d.rows, &d.cents, &ids}, func() error {
		sum, ok := new(big.Int).SetString(ids, 10)
		if !ok {
			return fmt.Errorf("content %s: hash sum %q is not an integer", content, ids)
		}
		d.ids = sum.Mod(sum, two64).Uint64()
		out[content] = d
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("digest user_activity: %w", err)
	}
	return out, nil
}

// mismatch is one file content whose rows in PostgreSQL are not the
// oracle's; content "" holds the rows no ledger row accounts for.
type mismatch struct {
	content   string
	want, got digest
}

// diff returns every content whose digests differ, in content order.
func diff(want, got map[string]digest) []mismatch {
	var out []mismatch
	for id, w := range want {
		if g := got[id]; g != w {
			out = append(out, mismatch{id, w, g})
		}
	}
	for id, g := range got {
		if _, fed := want[id]; !fed {
			out = append(out, mismatch{id, digest{}, g})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].content < out[j].content })
	return out
}

// lost counts the rows missing, at least one when as many rows hold
// other event ids.
func (m mismatch) lost() int {
	if m.got.rows == m.want.rows && m.got.ids != m.want.ids {
		return 1
	}
	return int(max(0, m.want.rows-m.got.rows))
}

// extra counts the rows too many (loaded twice, or never fed), at least
// one when as many rows hold other event ids.
func (m mismatch) extra() int {
	if m.got.rows == m.want.rows && m.got.ids != m.want.ids {
		return 1
	}
	return int(max(0, m.got.rows-m.want.rows))
}

func (m mismatch) String() string {
	what := "file content " + m.content
	if m.content == "" {
		what = "rows of no message in the ledger"
	}
	s := fmt.Sprintf("%s: %d rows, want %d", what, m.got.rows, m.want.rows)
	if m.got.rows == m.want.rows && m.got.ids != m.want.ids {
		s += ", but other event ids"
	}
	if m.got.cents != m.want.cents {
		s += fmt.Sprintf("; prices sum to %d cents, want %d", m.got.cents, m.want.cents)
	}
	return s
}
