// Package ndjson reads the lines of NDJSON files: each line one JSON
// object, whose top-level members it returns with their kind and their
// exact text. Numbers are never converted (a number's text is what a
// column's codec parses, so nothing passes through a float64), strings
// are decoded exactly or refused (a lone surrogate is an error, never a
// U+FFFD), and nested values are returned as written, for jsonb. The
// parser does not recurse: nesting is bounded by MaxDepth.
package ndjson

import (
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxDepth is the deepest nesting of objects and arrays read, the line's
// own object included (jsonb refuses deeper documents anyway).
const MaxDepth = 1000

// Kind is the kind of a JSON value.
type Kind uint8

// The kinds of JSON values.
const (
	Null Kind = iota
	Bool
	Number
	String
	Object
	Array
)

var kindNames = [...]string{"null", "boolean", "number", "string", "object", "array"}

// String names the kind as a reason says it.
func (k Kind) String() string { return kindNames[k] }

// Member is one top-level member of a line's object.
type Member struct {
	Key  string
	Kind Kind
	// Raw is the value as written: a string with its quotes and escapes.
	Raw []byte
	// Text is a string's decoded value; for other kinds, Raw as a string.
	Text string
}

// SyntaxError says why a line is not one JSON object.
type SyntaxError struct {
	Offset int // byte of the line where reading stopped
	Reason string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("%s at byte %d", e.Reason, e.Offset+1) }

// Parse reads line, which must hold one JSON object and nothing else but
// white space, and appends its members to members. Keys are decoded; a
// key given twice is an error, since which value would load is a guess.
func Parse(line []byte, members []Member) ([]Member, error) {
	// One string for the whole line: keys and values are its substrings,
	// one allocation per line rather than two per member.
	p := parser{s: line, text: string(line)}
	p.space()
	if p.i == len(p.s) {
		return members, p.fail("the line is empty")
	}
	if p.s[p.i] != '{' {
		return members, &SyntaxError{Offset: p.i, Reason: fmt.Sprintf("the line is not a JSON object (it starts with %s)", strconv.QuoteRune(rune(p.s[p.i])))}
	}
	p.i++
	first := len(members)
	if p.space(); p.peek('}') {
		p.i++
	} else {
		for {
			p.space()
			key, err := p.str()
			if err != nil {
				return members, err
			}
			for _, m := range members[first:] {
				if m.Key == key {
					return members, p.fail(fmt.Sprintf("key %s appears twice", strconv.Quote(key)))
				}
			}
			if p.space(); !p.peek(':') {
				return members, p.fail(`expected ":" after a key`)
			}
			p.i++
			p.space()
			m, err := p.value()
			if err != nil {
				return members, err
			}
			m.Key = key
			members = append(members, m)
			if p.space(); p.peek(',') {
				p.i++
				continue
			}
			if !p.peek('}') {
				return members, p.fail(`expected "," or "}"`)
			}
			p.i++
			break
		}
	}
	if p.space(); p.i != len(p.s) {
		return members, p.fail("text after the object")
	}
	return members, nil
}

type parser struct {
	s    []byte
	text string // s as a string
	i    int
}

func (p *parser) fail(reason string) error { return &SyntaxError{Offset: p.i, Reason: reason} }

func (p *parser) peek(c byte) bool { return p.i < len(p.s) && p.s[p.i] == c }

func (p *parser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\r' || p.s[p.i] == '\n') {
		p.i++
	}
}

// value reads a member's value.
func (p *parser) value() (Member, error) {
	start := p.i
	if p.i == len(p.s) {
		return Member{}, p.fail("a value is missing")
	}
	var m Member
	switch c := p.s[p.i]; {
	case c == '"':
		text, err := p.str()
		if err != nil {
			return m, err
		}
		m.Kind, m.Text = String, text
	case c == '{' || c == '[':
		if err := p.nested(); err != nil {
			return m, err
		}
		m.Kind = Object
		if c == '[' {
			m.Kind = Array
		}
	case c == '-' || c >= '0' && c <= '9':
		if err := p.number(); err != nil {
			return m, err
		}
		m.Kind = Number
	default:
		switch {
		case p.literal("true"), p.literal("false"):
			m.Kind = Bool
		case p.literal("null"):
			m.Kind = Null
		default:
			return m, p.fail("invalid value")
		}
	}
	m.Raw = p.s[start:p.i]
	if m.Kind != String {
		m.Text = p.text[start:p.i]
	}
	return m, nil
}

func (p *parser) literal(word string) bool {
	if len(p.s)-p.i >= len(word) && string(p.s[p.i:p.i+len(word)]) == word {
		p.i += len(word)
		return true
	}
	return false
}

// number checks JSON's number grammar; the text is kept as written.
func (p *parser) number() error {
	digits := func() int {
		n := 0
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	if p.peek('-') {
		p.i++
	}
	switch {
	case p.peek('0'):
		p.i++
	case digits() == 0:
		return p.fail("invalid number")
	}
	if p.peek('.') {
		p.i++
		if digits() == 0 {
			return p.fail("invalid number")
		}
	}
	if p.peek('e') || p.peek('E') {
		p.i++
		if p.peek('+') || p.peek('-') {
			p.i++
		}
		if digits() == 0 {
			return p.fail("invalid number")
		}
	}
	return nil
}

// nested skips an object or array, checking its grammar without recursion:
// a bit per open container says whether it is an object.
func (p *parser) nested() error {
	var objects [MaxDepth/64 + 1]uint64
	depth, value := 0, true // value: a value is expected at p.i
	for value || depth > 0 {
		p.space()
		if value {
			if p.i == len(p.s) {
				return p.fail("a value is missing")
			}
			c := p.s[p.i]
			if c != '{' && c != '[' {
				if _, err := p.value(); err != nil {
					return err
				}
				value = false
				continue
			}
			if depth+2 > MaxDepth { // the line's own object is the first level
				return p.fail(fmt.Sprintf("nested deeper than %d", MaxDepth))
			}
			objects[depth/64] &^= 1 << (depth % 64)
			if c == '{' {
				objects[depth/64] |= 1 << (depth % 64)
			}
			depth++
			p.i++
			p.space()
			switch {
			case c == '{' && p.peek('}'), c == '[' && p.peek(']'):
				p.i++
				depth, value = depth-1, false
			case c == '{':
				if err := p.key(); err != nil {
					return err
				}
			}
			continue
		}
		object := objects[(depth-1)/64]&(1<<((depth-1)%64)) != 0
		switch {
		case p.i == len(p.s):
			return p.fail("the line ends inside a value")
		case p.s[p.i] == ',':
			p.i++
			value = true
			if object {
				p.space()
				if err := p.key(); err != nil {
					return err
				}
			}
		case object && p.s[p.i] == '}' || !object && p.s[p.i] == ']':
			p.i++
			depth--
		case object:
			return p.fail(`expected "," or "}"`)
		default:
			return p.fail(`expected "," or "]"`)
		}
	}
	return nil
}

// key reads a nested object's key and its colon.
func (p *parser) key() error {
	if _, err := p.str(); err != nil {
		return err
	}
	if p.space(); !p.peek(':') {
		return p.fail(`expected ":" after a key`)
	}
	p.i++
	return nil
}

// str reads the string at p.i and returns it decoded. Invalid UTF-8 is
// kept as it is (the column's codec names it); a lone surrogate escape is
// an error: it stands for no character.
func (p *parser) str() (string, error) {
	if !p.peek('"') {
		return "", p.fail("expected a string")
	}
	p.i++
	start := p.i
	for p.i < len(p.s) && p.s[p.i] != '"' && p.s[p.i] != '\\' && p.s[p.i] >= 0x20 {
		p.i++
	}
	if p.peek('"') { // the common case: nothing to decode
		p.i++
		return p.text[start : p.i-1], nil
	}
	buf := append([]byte(nil), p.s[start:p.i]...)
	for {
		if p.i == len(p.s) {
			return "", p.fail("unterminated string")
		}
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return string(buf), nil
		case c < 0x20:
			return "", p.fail("a control character in a string must be escaped")
		case c != '\\':
			buf = append(buf, c)
			p.i++
			continue
		}
		if p.i+1 == len(p.s) {
			return "", p.fail("unterminated string")
		}
		switch e := p.s[p.i+1]; e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, n, err := p.escape()
			if err != nil {
				return "", err
			}
			buf = utf8.AppendRune(buf, r)
			p.i += n
			continue
		default:
			return "", p.fail("invalid escape")
		}
		p.i += 2
	}
}

// escape reads \uXXXX (and its low surrogate, when it is a high one) at
// p.i, returning the rune and the bytes read.
func (p *parser) escape() (rune, int, error) {
	hex := func(at int) (rune, bool) {
		if at+6 > len(p.s) || p.s[at] != '\\' || p.s[at+1] != 'u' {
			return 0, false
		}
		v, err := strconv.ParseUint(string(p.s[at+2:at+6]), 16, 16)
		return rune(v), err == nil
	}
	r, ok := hex(p.i)
	switch {
	case !ok:
		return 0, 0, p.fail("invalid \\u escape")
	case utf16.IsSurrogate(r) && r >= 0xdc00:
		return 0, 0, p.fail("a low surrogate escape without its high surrogate")
	case utf16.IsSurrogate(r):
		low, ok := hex(p.i + 6)
		if !ok || low < 0xdc00 || low >= 0xe000 {
			return 0, 0, p.fail("a high surrogate escape without its low surrogate")
		}
		return utf16.DecodeRune(r, low), 12, nil
	}
	return r, 6, nil
}
