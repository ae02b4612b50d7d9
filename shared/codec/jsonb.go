package codec

import (
	"encoding/binary"
	"fmt"
)

// jsonMaxDepth is the deepest nesting of arrays and objects loaded.
// PostgreSQL's parser recurses and stops where max_stack_depth ends (past
// 10,000 levels with the default 2MB, less with a smaller setting); a
// fixed limit far below that gives the same answer on every server.
const jsonMaxDepth = 1000

// Limits of the numeric every jsonb number becomes (see numeric.go): an
// exponent whose magnitude passes jsonMaxExponent overflows even for zero.
const jsonMaxExponent = 1<<30 - 2

// jsonbField is jsonb: a JSON document as PostgreSQL's jsonb takes it,
// sent as the binary format's version byte 1 and the text. Beyond JSON's
// grammar (which Go's json.Valid also checks) jsonb refuses \u0000 (text
// cannot hold it), lone or reversed surrogate escapes, and numbers its
// numeric cannot hold; the codec refuses them too, with its reason.
type jsonbField struct{ column }

func planJSONB(c column, _ Column, _ Rules) (Field, error) { return &jsonbField{c}, nil }

func (f *jsonbField) Append(buf []byte, s string) ([]byte, error) {
	if s == "" {
		return f.empty(buf)
	}
	if err := f.badText(s, true); err != nil {
		return buf, err
	}
	if at, why := checkJSON(s); why != "" {
		return buf, f.errorf("%s is not valid JSON for jsonb (%s at byte %d)", quote(s), why, at)
	}
	buf = binary.BigEndian.AppendUint32(buf, uint32(1+len(s)))
	buf = append(buf, 1)
	return append(buf, s...), nil
}

// checkJSON is where and why s is not a jsonb document, or "" when it is.
// It scans without recursion: a bit per open container says whether it is
// an object.
func checkJSON(s string) (int, string) {
	var objects [jsonMaxDepth/64 + 1]uint64
	depth, i, value := 0, 0, true // value: a value is expected at i
	var why string
	for {
		i = skipJSONSpace(s, i)
		if value {
			if i == len(s) {
				return i, "a value is missing"
			}
			switch c := s[i]; {
			case c == '{' || c == '[':
				if depth == jsonMaxDepth {
					return i, fmt.Sprintf("nested deeper than %d", jsonMaxDepth)
				}
				objects[depth/64] &^= 1 << (depth % 64)
				if c == '{' {
					objects[depth/64] |= 1 << (depth % 64)
				}
				depth++
				if i = skipJSONSpace(s, i+1); i < len(s) && (s[i] == '}' && c == '{' || s[i] == ']' && c == '[') {
					depth, i, value = depth-1, i+1, false
				} else if c == '{' {
					i, why = jsonKey(s, i)
				}
			case c == '"':
				i, why = jsonString(s, i)
				value = false
			case c == '-' || c >= '0' && c <= '9':
				i, why = jsonNumber(s, i)
				value = false
			default:
				i, why = jsonLiteral(s, i)
				value = false
			}
			if why != "" {
				return i, why
			}
			continue
		}
		if depth == 0 {
			if i != len(s) {
				return i, "text after the value"
			}
			return 0, ""
		}
		object := objects[(depth-1)/64]&(1<<((depth-1)%64)) != 0
		switch {
		case i == len(s):
			return i, "unexpected end"
		case s[i] == ',':
			value, i = true, i+1
			if object {
				if i, why = jsonKey(s, skipJSONSpace(s, i)); why != "" {
					return i, why
				}
			}
		case object && s[i] == '}' || !object && s[i] == ']':
			depth, i = depth-1, i+1
		case object:
			return i, `expected "," or "}"`
		default:
			return i, `expected "," or "]"`
		}
	}
}

func skipJSONSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// jsonKey reads an object's key and its colon, returning where its value
// starts.
func jsonKey(s string, i int) (int, string) {
	if i == len(s) || s[i] != '"' {
		return i, "expected a string key"
	}
	i, why := jsonString(s, i)
	if why != "" {
		return i, why
	}
	if i = skipJSONSpace(s, i); i == len(s) || s[i] != ':' {
		return i, `expected ":"`
	}
	return i + 1, ""
}

// jsonString reads the string starting at s[i] == '"'.
func jsonString(s string, i int) (int, string) {
	for i++; i < len(s); {
		switch c := s[i]; {
		case c == '"':
			return i + 1, ""
		case c < 0x20:
			return i, "a control character must be escaped"
		case c != '\\':
			i++
		case i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\' || s[i+1] == '/' || s[i+1] == 'b' ||
			s[i+1] == 'f' || s[i+1] == 'n' || s[i+1] == 'r' || s[i+1] == 't'):
			i += 2
		default:
			r, ok := jsonEscape(s, i)
			switch {
			case !ok:
				return i, "invalid escape"
			case r == 0:
				return i, `\u0000 cannot be stored in jsonb`
			case r >= 0xdc00 && r < 0xe000:
				return i, "a low surrogate without its high surrogate"
			case r >= 0xd800 && r < 0xdc00:
				if low, ok := jsonEscape(s, i+6); !ok || low < 0xdc00 || low >= 0xe000 {
					return i, "a high surrogate without its low surrogate"
				}
				i += 12
			default:
				i += 6
			}
		}
	}
	return i, "unterminated string"
}

// jsonEscape reads the \uXXXX at s[i].
func jsonEscape(s string, i int) (rune, bool) {
	if i+6 > len(s) || s[i] != '\\' || s[i+1] != 'u' {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[i+2 : i+6]) {
		d, ok := hexDigit(c)
		if !ok {
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	return r, true
}

// jsonNumber reads the number at s[i] and checks that PostgreSQL's numeric
// holds it: at most 131072 digits before the point, a scale of at most
// 16383, and an exponent below 2^30-1 in magnitude.
func jsonNumber(s string, start int) (int, string) {
	i := start
	if s[i] == '-' {
		i++
	}
	whole := 0 // significant digits before the point
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			whole++
		}
	default:
		return i, "invalid number"
	}
	frac, zeros, nonZero := 0, 0, whole > 0 // fraction digits, its leading zeros
	if i < len(s) && s[i] == '.' {
		for i++; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			if s[i] != '0' {
				nonZero = true
			} else if !nonZero {
				zeros++
			}
			frac++
		}
		if frac == 0 {
			return i, "invalid number"
		}
	}
	exp, overflow := 0, false
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		negative := i < len(s) && s[i] == '-'
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		digitsAt := i
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			if exp = exp*10 + int(s[i]-'0'); exp > jsonMaxExponent {
				overflow, exp = true, jsonMaxExponent
			}
		}
		if i == digitsAt {
			return i, "invalid number"
		}
		if negative {
			exp = -exp
		}
	}
	weight := whole - 1 + exp // the decimal weight of the first digit
	if whole == 0 {
		weight = -(zeros + 1) + exp
	}
	if overflow || frac-exp > numericMaxScale || nonZero && weight >= numericMaxWhole {
		return start, "a number out of numeric's range"
	}
	return i, ""
}

func jsonLiteral(s string, i int) (int, string) {
	for _, lit := range [...]string{"true", "false", "null"} {
		if len(s)-i >= len(lit) && s[i:i+len(lit)] == lit {
			return i + len(lit), ""
		}
	}
	return i, "invalid token"
}
