package vemtest

import (
	"strconv"
	"unicode/utf8"

	"github.com/vemkit/vem/internal/em"
)

// This file holds the two small writers that produce EM's XML and JSON by
// hand. Hand-writing keeps attribute and key order under control, gives the
// "<Reason />" and " />" spellings EM uses, and is fast enough to serve
// pages of thousands of entities.

// XML namespaces written by Enterprise Manager.
const (
	nsEnt = em.Namespace
	nsXSD = "http://www.w3.org/2001/XMLSchema"
	nsXSI = "http://www.w3.org/2001/XMLSchema-instance"

	xmlHeader = `<?xml version="1.0" encoding="utf-8"?>` + "\n"
)

// nsMode says which namespace declarations a start tag carries.
type nsMode int

const (
	nsNone    nsMode = iota // an element inside a document: inherits the default namespace
	nsDefault               // xmlns="http://www.veeam.com/ent/v1.0" after the attributes
	nsFull                  // xmlns:xsd and xmlns:xsi first, xmlns last (EM 13 entities)
	nsError                 // xmlns, xmlns:xsd, xmlns:xsi after the attributes (EM Error)
)

type xmlWriter struct{ b []byte }

// tag writes a start tag (or an empty-element tag when empty is set) with
// the given attribute name/value pairs; attributes with an empty value are
// left out, as EM leaves out null attributes.
func (w *xmlWriter) tag(name string, ns nsMode, empty bool, attrs ...string) {
	w.b = append(w.b, '<')
	w.b = append(w.b, name...)
	if ns == nsFull {
		w.b = append(w.b, ` xmlns:xsd="`+nsXSD+`" xmlns:xsi="`+nsXSI+`"`...)
	}
	for i := 0; i+1 < len(attrs); i += 2 {
		if attrs[i+1] == "" {
			continue
		}
		w.b = append(w.b, ' ')
		w.b = append(w.b, attrs[i]...)
		w.b = append(w.b, `="`...)
		w.b = appendXMLEscaped(w.b, attrs[i+1], true)
		w.b = append(w.b, '"')
	}
	switch ns {
	case nsDefault, nsFull:
		w.b = append(w.b, ` xmlns="`+nsEnt+`"`...)
	case nsError:
		w.b = append(w.b, ` xmlns="`+nsEnt+`" xmlns:xsd="`+nsXSD+`" xmlns:xsi="`+nsXSI+`"`...)
	}
	if empty {
		w.b = append(w.b, " />"...)
	} else {
		w.b = append(w.b, '>')
	}
}

func (w *xmlWriter) end(name string) {
	w.b = append(w.b, "</"...)
	w.b = append(w.b, name...)
	w.b = append(w.b, '>')
}

// elem writes <name>text</name>, or <name /> when text is empty.
func (w *xmlWriter) elem(name, text string) {
	if text == "" {
		w.tag(name, nsNone, true)
		return
	}
	w.b = append(w.b, '<')
	w.b = append(w.b, name...)
	w.b = append(w.b, '>')
	w.b = appendXMLEscaped(w.b, text, false)
	w.end(name)
}

func (w *xmlWriter) links(base string, ls []linkSpec) {
	if len(ls) == 0 {
		w.tag("Links", nsNone, true)
		return
	}
	w.tag("Links", nsNone, false)
	for _, l := range ls {
		w.tag("Link", nsNone, true, "Rel", l.Rel, "Type", l.Type, "Href", l.href(base), "Name", l.Name)
	}
	w.end("Links")
}

// isXMLChar reports whether r may appear in an XML 1.0 document.
func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}

// appendXMLEscaped escapes s for text (attr false) or a double-quoted
// attribute value (attr true). Characters XML cannot carry, and invalid
// UTF-8, become U+FFFD.
func appendXMLEscaped(b []byte, s string, attr bool) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case c == '&':
				b = append(b, "&amp;"...)
			case c == '<':
				b = append(b, "&lt;"...)
			case c == '>':
				b = append(b, "&gt;"...)
			case c == '"' && attr:
				b = append(b, "&quot;"...)
			case c == '\n' && attr:
				b = append(b, "&#xA;"...)
			case c == '\t' && attr:
				b = append(b, "&#x9;"...)
			case c == '\r':
				b = append(b, "&#xD;"...)
			case !isXMLChar(rune(c)):
				b = append(b, "\uFFFD"...)
			default:
				b = append(b, c)
			}
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 || !isXMLChar(r) {
			b = append(b, "\uFFFD"...)
		} else {
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return b
}

// jsonWriter writes JSON with EM's key order; camel lower-cases keys the way
// EM 13 (Json.NET's camel-case naming) does.
type jsonWriter struct {
	b     []byte
	camel bool
	comma bool // a value was written at this level: the next needs a comma
}

func (w *jsonWriter) sep() {
	if w.comma {
		w.b = append(w.b, ',')
	}
}

func (w *jsonWriter) obj()    { w.sep(); w.b = append(w.b, '{'); w.comma = false }
func (w *jsonWriter) endObj() { w.b = append(w.b, '}'); w.comma = true }
func (w *jsonWriter) arr()    { w.sep(); w.b = append(w.b, '['); w.comma = false }
func (w *jsonWriter) endArr() { w.b = append(w.b, ']'); w.comma = true }

func (w *jsonWriter) key(k string) {
	w.sep()
	if w.camel {
		k = camelKey(k)
	}
	w.b = appendJSONString(w.b, k)
	w.b = append(w.b, ':')
	w.comma = false
}

func (w *jsonWriter) str(s string)           { w.sep(); w.b = appendJSONString(w.b, s); w.comma = true }
func (w *jsonWriter) null()                  { w.sep(); w.b = append(w.b, "null"...); w.comma = true }
func (w *jsonWriter) int(n int64)            { w.sep(); w.b = strconv.AppendInt(w.b, n, 10); w.comma = true }
func (w *jsonWriter) bool(v bool)            { w.sep(); w.b = strconv.AppendBool(w.b, v); w.comma = true }
func (w *jsonWriter) raw(b []byte)           { w.sep(); w.b = append(w.b, b...); w.comma = true }
func (w *jsonWriter) kstr(k, v string)       { w.key(k); w.str(v) }
func (w *jsonWriter) kint(k string, v int64) { w.key(k); w.int(v) }

// kstrOrNull writes v, or null when v is empty (a null .NET string).
func (w *jsonWriter) kstrOrNull(k, v string) {
	w.key(k)
	if v == "" {
		w.null()
	} else {
		w.str(v)
	}
}

func (w *jsonWriter) links(base string, ls []linkSpec) {
	w.key("Links")
	w.arr()
	for _, l := range ls {
		w.obj()
		w.kstrOrNull("Rel", l.Rel)
		w.kstrOrNull("Href", l.href(base))
		w.kstrOrNull("Name", l.Name)
		w.kstrOrNull("Type", l.Type)
		w.endObj()
	}
	w.endArr()
}

const hexDigits = "0123456789abcdef"

// appendJSONString writes s as a JSON string. Like Json.NET it leaves <, >
// and & alone; invalid UTF-8 becomes U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				if c < 0x20 {
					b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
				} else {
					b = append(b, c)
				}
			}
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b = append(b, "\uFFFD"...)
		} else {
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return append(b, '"')
}

// camelKey converts a PascalCase key the way Json.NET's camel-case naming
// does: the leading run of capitals is lowered, except the last capital of a
// run that starts a new word ("UID" -> "uid", "VmUid" -> "vmUid",
// "VAppRestorePoints" -> "vAppRestorePoints", "NASJobs" -> "nasJobs").
func camelKey(k string) string {
	if k == "" || !isUpperASCII(k[0]) {
		return k
	}
	b := []byte(k)
	for i := range b {
		if i == 1 && !isUpperASCII(b[i]) {
			break
		}
		if i > 0 && i+1 < len(b) && !isUpperASCII(b[i+1]) {
			break
		}
		b[i] = b[i] - 'A' + 'a'
	}
	return string(b)
}

func isUpperASCII(c byte) bool { return 'A' <= c && c <= 'Z' }
