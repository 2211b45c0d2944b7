// Package emfilter parses the filter expressions of Enterprise Manager's query
// service. It is written independently of the filter renderer of package vem,
// so that the fake server in vemtest, which parses with it, checks what vem
// writes rather than agreeing with it by construction.
package emfilter

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Op is an operator of the query service's filter language: one of
// the two logical connectives or one of the six comparisons.
type Op string

// Filter operators. And (";") binds tighter than Or (","), so
// "a==1;b==2,c==3" means "(a==1 AND b==2) OR c==3"; parentheses override.
const (
	And Op = ";"  // logical AND of Terms
	Or  Op = ","  // logical OR of Terms
	Eq  Op = "==" // Field equals Value
	Ne  Op = "!=" // Field differs from Value
	Gt  Op = ">"  // Field is greater than Value
	Ge  Op = ">=" // Field is greater than or equal to Value
	Lt  Op = "<"  // Field is less than Value
	Le  Op = "<=" // Field is less than or equal to Value
)

// maxFilterDepth bounds parenthesis nesting so that hostile input cannot
// exhaust the stack.
const maxFilterDepth = 64

// IsComparison reports whether op compares a field with a value (as opposed
// to combining terms).
func (op Op) IsComparison() bool {
	switch op {
	case Eq, Ne, Gt, Ge, Lt, Le:
		return true
	}
	return false
}

// Expr is a parsed filter: either a comparison (Op is a comparison,
// Field and Value are set, Terms is nil) or a logical combination (Op is
// And or Or and Terms holds two or more sub-expressions).
//
// The parser flattens nested combinations of the same kind, so "(a;b);c"
// and "a;(b;c)" both give one And with three terms.
type Expr struct {
	Op    Op
	Field string // as written; field names are matched case-insensitively
	Value string // unquoted: `"Fileserver ""A"""` gives `Fileserver "A"`
	Terms []*Expr
}

// Error is a syntax error in a filter expression.
type Error struct {
	Expr string // the whole expression
	Pos  int    // byte offset of the problem in Expr
	Msg  string
}

// Error describes the problem and where it is.
func (e *Error) Error() string {
	return fmt.Sprintf("emfilter: invalid filter at offset %d: %s", e.Pos, e.Msg)
}

// ErrEmpty is returned by Parse for an expression that is empty
// or only white space.
var ErrEmpty = errors.New("emfilter: empty filter")

// Parse parses a filter expression of Enterprise Manager's query
// service, for example
//
//	JobName=="Fileserver ""A"" Backup";(Result==Failed,Result==Warning)
//
// Grammar (white space is allowed between tokens):
//
//	expr       = and { "," and }
//	and        = primary { ";" primary }
//	primary    = "(" expr ")" | comparison
//	comparison = field op value
//	field      = letter-or-underscore { letter | digit | "_" | "." }   (ASCII)
//	op         = "==" | "!=" | ">=" | "<=" | ">" | "<"
//	value      = bare | quoted
//	bare       = one or more characters other than white space and ;,()"=!<>
//	quoted     = `"` { any character, `""` for a quote } `"`
//
// ";" (AND) binds tighter than "," (OR). Parse checks syntax only; the
// server checks field names and value types when it runs a query.
func Parse(expr string) (*Expr, error) {
	p := &filterParser{src: expr}
	p.skipSpace()
	if p.pos == len(p.src) {
		return nil, ErrEmpty
	}
	e, err := p.parseOr(0)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos != len(p.src) {
		return nil, p.errorf("unexpected %q", p.peekRune())
	}
	return e, nil
}

// String returns the canonical form of the expression: no white space,
// values quoted only when they must be (empty, or holding white space or one
// of ;,()"=!<>), parentheses only around an OR that is a term of an AND.
// Parse(e.String()) gives an expression with the same String.
func (e *Expr) String() string {
	if e == nil {
		return ""
	}
	var b strings.Builder
	e.write(&b)
	return b.String()
}

func (e *Expr) write(b *strings.Builder) {
	switch e.Op {
	case And, Or:
		for i, t := range e.Terms {
			if i > 0 {
				b.WriteString(string(e.Op))
			}
			paren := e.Op == And && t != nil && t.Op == Or
			if paren {
				b.WriteByte('(')
			}
			if t != nil {
				t.write(b)
			}
			if paren {
				b.WriteByte(')')
			}
		}
	default:
		b.WriteString(e.Field)
		b.WriteString(string(e.Op))
		b.WriteString(QuoteValue(e.Value))
	}
}

// QuoteValue returns v as it must be written in a filter: bare when it
// can be, otherwise in double quotes with inner quotes doubled.
func QuoteValue(v string) string {
	if v != "" && strings.IndexFunc(v, func(r rune) bool { return !isBareRune(r) }) < 0 {
		return v
	}
	return `"` + strings.ReplaceAll(v, `"`, `""`) + `"`
}

func isBareRune(r rune) bool {
	if unicode.IsSpace(r) {
		return false
	}
	switch r {
	case ';', ',', '(', ')', '"', '=', '!', '<', '>':
		return false
	}
	return true
}

func isFieldStart(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

func isFieldByte(c byte) bool {
	return isFieldStart(c) || '0' <= c && c <= '9' || c == '.'
}

type filterParser struct {
	src string
	pos int
}

func (p *filterParser) errorf(format string, args ...any) error {
	return &Error{Expr: p.src, Pos: p.pos, Msg: fmt.Sprintf(format, args...)}
}

func (p *filterParser) peekRune() rune {
	r, _ := utf8.DecodeRuneInString(p.src[p.pos:])
	return r
}

func (p *filterParser) skipSpace() {
	for p.pos < len(p.src) {
		r, n := utf8.DecodeRuneInString(p.src[p.pos:])
		if !unicode.IsSpace(r) {
			return
		}
		p.pos += n
	}
}

// accept consumes c (after white space) and reports whether it was there.
func (p *filterParser) accept(c byte) bool {
	p.skipSpace()
	if p.pos < len(p.src) && p.src[p.pos] == c {
		p.pos++
		return true
	}
	return false
}

func (p *filterParser) parseOr(depth int) (*Expr, error) {
	return p.parseList(depth, Or, ',', p.parseAnd)
}

func (p *filterParser) parseAnd(depth int) (*Expr, error) {
	return p.parseList(depth, And, ';', p.parsePrimary)
}

// parseList parses one or more sub-expressions separated by sep and returns
// them combined with op, flattening nested combinations of the same op.
func (p *filterParser) parseList(depth int, op Op, sep byte, next func(int) (*Expr, error)) (*Expr, error) {
	var terms []*Expr
	for {
		t, err := next(depth)
		if err != nil {
			return nil, err
		}
		if t.Op == op {
			terms = append(terms, t.Terms...)
		} else {
			terms = append(terms, t)
		}
		if !p.accept(sep) {
			break
		}
	}
	if len(terms) == 1 {
		return terms[0], nil
	}
	return &Expr{Op: op, Terms: terms}, nil
}

func (p *filterParser) parsePrimary(depth int) (*Expr, error) {
	if p.accept('(') {
		if depth >= maxFilterDepth {
			return nil, p.errorf("parentheses nested deeper than %d", maxFilterDepth)
		}
		e, err := p.parseOr(depth + 1)
		if err != nil {
			return nil, err
		}
		if !p.accept(')') {
			if p.pos == len(p.src) {
				return nil, p.errorf("missing )")
			}
			return nil, p.errorf("expected ) but found %q", p.peekRune())
		}
		return e, nil
	}
	return p.parseComparison()
}

func (p *filterParser) parseComparison() (*Expr, error) {
	p.skipSpace()
	if p.pos == len(p.src) {
		return nil, p.errorf("expected a field name but the filter ends")
	}
	start := p.pos
	if !isFieldStart(p.src[p.pos]) {
		return nil, p.errorf("expected a field name but found %q", p.peekRune())
	}
	for p.pos < len(p.src) && isFieldByte(p.src[p.pos]) {
		p.pos++
	}
	field := p.src[start:p.pos]
	p.skipSpace()
	op, err := p.parseOp()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	value, err := p.parseValue()
	if err != nil {
		return nil, err
	}
	return &Expr{Op: op, Field: field, Value: value}, nil
}

func (p *filterParser) parseOp() (Op, error) {
	rest := p.src[p.pos:]
	for _, op := range []Op{Eq, Ne, Ge, Le, Gt, Lt} {
		if strings.HasPrefix(rest, string(op)) {
			p.pos += len(op)
			return op, nil
		}
	}
	if rest == "" {
		return "", p.errorf("expected an operator but the filter ends")
	}
	if rest[0] == '=' {
		return "", p.errorf("expected an operator; use == for equality")
	}
	return "", p.errorf("expected an operator (==, !=, >, >=, <, <=) but found %q", p.peekRune())
}

func (p *filterParser) parseValue() (string, error) {
	if p.pos == len(p.src) {
		return "", p.errorf("expected a value but the filter ends")
	}
	if p.src[p.pos] == '"' {
		return p.parseQuoted()
	}
	start := p.pos
	for p.pos < len(p.src) {
		r, n := utf8.DecodeRuneInString(p.src[p.pos:])
		if !isBareRune(r) {
			break
		}
		p.pos += n
	}
	if p.pos == start {
		return "", p.errorf("expected a value but found %q", p.peekRune())
	}
	return p.src[start:p.pos], nil
}

func (p *filterParser) parseQuoted() (string, error) {
	open := p.pos
	p.pos++ // opening quote
	var b strings.Builder
	for {
		i := strings.IndexByte(p.src[p.pos:], '"')
		if i < 0 {
			p.pos = open
			return "", p.errorf("unterminated quoted value")
		}
		b.WriteString(p.src[p.pos : p.pos+i])
		p.pos += i + 1
		if p.pos < len(p.src) && p.src[p.pos] == '"' {
			b.WriteByte('"')
			p.pos++
			continue
		}
		return b.String(), nil
	}
}
