package store

import (
	"encoding/binary"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/tributary-dev/tributary/shared/contract"
)

// appendNumeric must encode every price the contract allows as the same
// value: decode it with pgx's own NUMERIC codec and compare.
func TestAppendNumericDecodesToTheSameValue(t *testing.T) {
	m := pgtype.NewMap()
	check := func(c contract.Cents) {
		buf := appendNumeric(nil, c)
		if n := binary.BigEndian.Uint32(buf); int(n) != len(buf)-4 {
			t.Fatalf("%d: length prefix %d, body %d bytes", c, n, len(buf)-4)
		}
		var got pgtype.Numeric
		if err := m.Scan(pgtype.NumericOID, pgtype.BinaryFormatCode, buf[4:], &got); err != nil {
			t.Fatalf("%d: decode: %v", c, err)
		}
		want := new(big.Int).SetInt64(int64(c))
		// got = Int * 10^Exp; compare got * 100 with c.
		v := new(big.Int).Set(got.Int)
		scale := got.Exp + 2
		for ; scale > 0; scale-- {
			v.Mul(v, big.NewInt(10))
		}
		for ; scale < 0; scale++ {
			q, r := new(big.Int).QuoRem(v, big.NewInt(10), new(big.Int))
			if r.Sign() != 0 {
				t.Fatalf("%d: decoded %s e%d has more than 2 decimals", c, got.Int, got.Exp)
			}
			v = q
		}
		if v.Cmp(want) != 0 {
			t.Fatalf("%d cents encoded as %s e%d", c, got.Int, got.Exp)
		}
	}
	for c := contract.Cents(0); c <= 1_000_000; c++ {
		check(c)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200_000 {
		check(contract.Cents(r.Int64N(contract.MaxPriceCents + 1)))
	}
	for _, c := range []contract.Cents{contract.MaxPriceCents, 1_000_000_00, 99_990_000_00, 10_000_00, 10_000_01} {
		check(c)
	}
}
