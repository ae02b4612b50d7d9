package codec

// boolSpellings are the spellings PostgreSQL documents for boolean, in any
// case. PostgreSQL also takes any unique prefix ("tr", "fals", "of"); the
// codec does not, since a cut-off word is more often a damaged value than
// an abbreviation.
var boolSpellings = []struct {
	word  string
	value bool
}{
	{"t", true}, {"true", true}, {"y", true}, {"yes", true}, {"on", true}, {"1", true},
	{"f", false}, {"false", false}, {"n", false}, {"no", false}, {"off", false}, {"0", false},
}

// boolField is boolean, sent as one byte.
type boolField struct{ column }

func planBool(c column, _ Column, _ Rules) (Field, error) { return &boolField{c}, nil }

func (f *boolField) Append(buf []byte, s string) ([]byte, error) {
	if s == "" {
		return f.empty(buf)
	}
	for _, b := range boolSpellings {
		if equalFoldASCII(s, b.word) {
			v := byte(0)
			if b.value {
				v = 1
			}
			return append(buf, 0, 0, 0, 1, v), nil
		}
	}
	return f.invalid(buf, s, "is not a boolean (want true/false, t/f, yes/no, y/n, on/off or 1/0)")
}

// equalFoldASCII is strings.EqualFold for ASCII letters only, as
// PostgreSQL compares: EqualFold would take "yeſ" (a long s) for "yes".
func equalFoldASCII(s, word string) bool {
	if len(s) != len(word) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != word[i] && !(c >= 'A' && c <= 'Z' && c+'a'-'A' == word[i]) {
			return false
		}
	}
	return true
}
