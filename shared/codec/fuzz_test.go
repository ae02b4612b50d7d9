package codec

import (
	"slices"
	"testing"

	"github.com/jackc/pgx/v5/pgtype"
)

// fuzzCase is one column FuzzAppend tries: its declaration, seeds, and the
// oracle its values must satisfy (v is the accepted value's bytes).
type fuzzCase struct {
	col   Column
	rules Rules
	seeds []string
	check func(t *testing.T, m *pgtype.Map, s string, v []byte, err error)
}

// FuzzAppend feeds arbitrary text to every codec (kind picks the column).
// Append must never panic; a refused value leaves buf unchanged with a
// safe reason naming the column (encode checks both), and an accepted one
// decodes to the value the text means (each codec's oracle checks).
func FuzzAppend(f *testing.F) {
	cases := slices.Concat(intFuzz(), numericFuzz(), floatFuzz(), boolFuzz(), textFuzz(), dateFuzz(), timestampFuzz(f), uuidFuzz(), jsonbFuzz())
	plans := make([]Field, len(cases))
	for i, c := range cases {
		plans[i] = mustPlan(f, c.col, c.rules)
		for _, s := range c.seeds {
			f.Add(uint8(i), s)
		}
	}
	m := pgtype.NewMap()
	f.Fuzz(func(t *testing.T, kind uint8, s string) {
		c := cases[int(kind)%len(cases)]
		v, err := encode(t, plans[int(kind)%len(cases)], c.col.Name, s)
		c.check(t, m, s, v, err)
	})
}
