package codec

import (
	"encoding/hex"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgtype"
)

func TestUUIDForms(t *testing.T) {
	f := mustPlan(t, Column{Name: "id", Type: "uuid", Typmod: -1, NotNull: true}, Rules{})
	want := "a0eebc999c0b4ef8bb6d6bb9bd380a11"
	for _, give := range []string{
		"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}",
		"a0eebc999c0b4ef8bb6d6bb9bd380a11", "a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11", "{a0eebc999c0b4ef8bb6d6bb9bd380a11}",
	} {
		if v, err := encode(t, f, "id", give); err != nil || hex.EncodeToString(v) != want {
			t.Errorf("%q = %x, %v; want %s", give, v, err, want)
		}
	}
	for _, give := range []string{
		"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a111", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11-",
		"-a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "a0eeb-c99-9c0b-4ef8-bb6d-6bb9bd380a11", "a0eebc99--9c0b-4ef8-bb6d-6bb9bd380a11",
		"{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}", "g0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
		"urn:uuid:a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "{}", "{",
	} {
		wantReason(t, f, "id", give, "id "+quote(give)+" is not a UUID")
	}
}

func TestUUIDMatchesPostgres(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	edges := []string{
		"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}",
		"a0eebc999c0b4ef8bb6d6bb9bd380a11", "a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11", "{a0eebc999c0b4ef8bb6d6bb9bd380a11}",
		"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11-", "-a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "a0eeb-c99-9c0b-4ef8-bb6d-6bb9bd380a11",
		"a0eebc99--9c0b-4ef8-bb6d-6bb9bd380a11", "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}",
		"{{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}}", " a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11 ",
		"urn:uuid:a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff",
		"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a111", "{}", "{", "}", "-", "0x12",
		"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1g", "ａ0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "0193a1b2-c3d4-7e5f-8a9b-000000000042",
	}
	for range 300 { // mostly valid: 32 digits, hyphens after groups of four, balanced braces
		var b strings.Builder
		braces := rng.IntN(4) == 0
		if braces || rng.IntN(20) == 0 {
			b.WriteByte('{')
		}
		n := 32
		if rng.IntN(8) == 0 {
			n += rng.IntN(3) - 1
		}
		for i := range n {
			b.WriteByte("0123456789abcdefABCDEF"[rng.IntN(22)])
			if (i%4 == 3 && i < n-1 && rng.IntN(2) == 0) || rng.IntN(80) == 0 {
				b.WriteByte('-')
			}
		}
		if braces && rng.IntN(20) > 0 {
			b.WriteByte('}')
		}
		edges = append(edges, b.String())
	}
	edges = append(edges, badBytes...)
	runDiffs(t, "uuid", []diffCase{{sqlType: "uuid", inputs: inputs(90, 700, "0123456789abcdefABCDEFg-{} ", edges...)}})
}

// uuidFuzz: an accepted value decodes, with pgx, to the 16 bytes its hex
// digits spell.
func uuidFuzz() []fuzzCase {
	return []fuzzCase{{
		col:   Column{Name: "id", Type: "uuid", Typmod: -1, NotNull: true},
		seeds: []string{"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "{A0EEBC999C0B4EF8BB6D6BB9BD380A11}", "a0ee-bc99", "{}"},
		check: func(t *testing.T, m *pgtype.Map, s string, v []byte, err error) {
			if err != nil {
				return
			}
			want, herr := hex.DecodeString(strings.Trim(strings.ReplaceAll(s, "-", ""), "{}"))
			var got pgtype.UUID
			if err := m.Scan(pgtype.UUIDOID, pgtype.BinaryFormatCode, v, &got); err != nil || herr != nil || string(got.Bytes[:]) != string(want) {
				t.Fatalf("%q decodes to %x (%v), want %x (%v)", s, got.Bytes, err, want, herr)
			}
		},
	}}
}
