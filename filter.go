package vem

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/vemkit/vem/internal/em"
)

// Field is a query-service field name, for filters and sorts. Each queryable
// resource declares its fields as constants (BackupTaskSessionFieldCreationTime,
// BackupJobSessionFieldIsRetry, VMRestorePointFieldVMDisplayName, JobFieldName,
// ...); an untyped string constant such as "Result" works as well. EM
// matches field names case-insensitively.
type Field string

// Filter is a query-service filter expression, built with Eq, Ne, Gt, Ge,
// Lt, Le, And, Or and RawFilter and rendered in EM's syntax by String. The
// zero Filter matches everything.
//
// Rendering follows EM's rules: "==", "!=", ">", ">=", "<", "<=" compare a
// field with a value; ";" is AND, "," is OR; a compound filter nested in
// another is put in parentheses, so the result never depends on operator
// precedence; a string value is put in double quotes when it is empty or
// holds a space or a character of the syntax, with inner quotes doubled;
// times are rendered as UTC RFC 3339 in quotes. Field names are EM's query
// fields: the Field constants of each resource.
type Filter struct {
	kind  filterKind
	field string
	op    string
	value string // rendered
	subs  []Filter
	raw   string
	err   error
}

type filterKind uint8

const (
	filterAll filterKind = iota // the zero value: no filter
	filterCmp
	filterAnd
	filterOr
	filterRaw
)

// Eq matches objects whose field equals value ("field==value"). value is a
// string (or a string type such as State, Result or UID), any Go integer or
// floating-point number (NaN and infinities are refused), a bool or a
// time.Time; any other type makes the query fail with an error before
// anything is sent.
func Eq(field Field, value any) Filter { return cmp(field, "==", value) }

// Ne matches objects whose field differs from value ("field!=value").
func Ne(field Field, value any) Filter { return cmp(field, "!=", value) }

// Gt matches objects whose field is greater than value ("field>value"). EM
// compares enumerations (State, Result) by their position: Gt("Result",
// ResultSuccess) matches Warning and Failed.
func Gt(field Field, value any) Filter { return cmp(field, ">", value) }

// Ge matches objects whose field is at least value ("field>=value").
func Ge(field Field, value any) Filter { return cmp(field, ">=", value) }

// Lt matches objects whose field is less than value ("field<value").
func Lt(field Field, value any) Filter { return cmp(field, "<", value) }

// Le matches objects whose field is at most value ("field<=value").
func Le(field Field, value any) Filter { return cmp(field, "<=", value) }

// And matches objects that match every filter ("a;b"). Zero filters are
// skipped; And() is the zero Filter.
func And(fs ...Filter) Filter { return combine(filterAnd, fs) }

// Or matches objects that match any of the filters ("a,b"). Zero filters
// are skipped; Or() is the zero Filter.
func Or(fs ...Filter) Filter { return combine(filterOr, fs) }

// RawFilter is an escape hatch: expr is sent as written (URL-escaped). When
// combined with other filters it is put in parentheses if it holds ";" or
// ",".
func RawFilter(expr string) Filter {
	if strings.TrimSpace(expr) == "" {
		return Filter{}
	}
	return Filter{kind: filterRaw, raw: expr}
}

// IsZero reports whether f is the zero Filter, which matches everything.
func (f Filter) IsZero() bool { return f.kind == filterAll }

// Err returns the first problem found while building f: an invalid field
// name or an unsupported value type. A query with such a filter fails with
// this error before sending anything.
func (f Filter) Err() error {
	if f.err != nil {
		return f.err
	}
	for _, s := range f.subs {
		if err := s.Err(); err != nil {
			return err
		}
	}
	return nil
}

// String returns the filter in EM's syntax, as sent in the filter query
// parameter (before URL escaping). The zero Filter renders as "".
func (f Filter) String() string {
	var b strings.Builder
	f.render(&b, false)
	return b.String()
}

func (f Filter) render(b *strings.Builder, nested bool) {
	switch f.kind {
	case filterCmp:
		b.WriteString(f.field)
		b.WriteString(f.op)
		b.WriteString(f.value)
	case filterRaw:
		if nested && strings.ContainsAny(f.raw, ";,") {
			b.WriteByte('(')
			b.WriteString(f.raw)
			b.WriteByte(')')
		} else {
			b.WriteString(f.raw)
		}
	case filterAnd, filterOr:
		sep := byte(';')
		if f.kind == filterOr {
			sep = ','
		}
		if nested {
			b.WriteByte('(')
		}
		for i, s := range f.subs {
			if i > 0 {
				b.WriteByte(sep)
			}
			s.render(b, true)
		}
		if nested {
			b.WriteByte(')')
		}
	}
}

func combine(kind filterKind, fs []Filter) Filter {
	var subs []Filter
	for _, f := range fs {
		switch {
		case f.IsZero():
		case f.kind == kind:
			subs = append(subs, f.subs...) // (a;b);c is a;b;c
		default:
			subs = append(subs, f)
		}
	}
	switch len(subs) {
	case 0:
		return Filter{}
	case 1:
		return subs[0]
	}
	return Filter{kind: kind, subs: subs}
}

func cmp(field Field, op string, value any) Filter {
	f := Filter{kind: filterCmp, field: string(field), op: op}
	if !em.ValidFieldName(string(field)) {
		f.err = fmt.Errorf("vem: filter: invalid field name %q", field)
	}
	v, err := renderValue(value)
	if err != nil && f.err == nil {
		f.err = fmt.Errorf("vem: filter %s%s: %w", field, op, err)
	}
	f.value = v
	return f
}

func renderValue(v any) (string, error) {
	switch x := v.(type) {
	case time.Time:
		return `"` + em.FormatTime(x) + `"`, nil
	case *time.Time:
		if x == nil {
			return "", fmt.Errorf("nil time")
		}
		return renderValue(*x)
	case string:
		return em.QuoteValue(x), nil
	case bool:
		return strconv.FormatBool(x), nil
	case fmt.Stringer:
		// named string types with a String method (UID) fall through to the
		// reflection below; other Stringers are not values EM understands.
		if reflect.TypeOf(v).Kind() != reflect.String {
			return "", fmt.Errorf("unsupported value type %T", v)
		}
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.String:
		return em.QuoteValue(rv.String()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(rv.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.FormatUint(rv.Uint(), 10), nil
	case reflect.Float32, reflect.Float64:
		x := rv.Float()
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return "", fmt.Errorf("value %v is not a number EM can compare", x)
		}
		return strconv.FormatFloat(x, 'f', -1, rv.Type().Bits()), nil
	case reflect.Bool:
		return strconv.FormatBool(rv.Bool()), nil
	case reflect.Invalid:
		return "", fmt.Errorf("nil value")
	}
	return "", fmt.Errorf("unsupported value type %T", v)
}
