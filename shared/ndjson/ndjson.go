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
