package ndjson

import "fmt"

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
