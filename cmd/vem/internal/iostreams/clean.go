package iostreams

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Text from the server (and from the environment) must not reach a
// terminal raw: ANSI escape sequences, an OSC window title, BEL, C1 codes
// such as U+009B (CSI) and bidirectional controls (U+202E, U+2066..U+2069)
// could rewrite what the user sees. Clean, CleanLines and CleanCell are the
// one cleaner of the CLI: tables, messages, doctor's findings and the log
// all go through them, and the JSON encoder of package output escapes the
// same set (IsUnsafeRune).

// IsUnsafeRune reports whether r must not reach a terminal as is: a C0 or
// C1 control character, DEL, or a bidirectional formatting character
// (U+061C, U+200E, U+200F, U+202A..U+202E, U+2066..U+2069), or a line or
// paragraph separator (U+2028, U+2029).
func IsUnsafeRune(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f, r == 0x2028, r == 0x2029:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// Clean escapes unsafe runes as \xHH (below U+0100) or \uHHHH, and invalid
// UTF-8 as \xHH per byte. Line breaks are escaped too: the result is one
// line. Use it for any text that came from the server.
func Clean(s string) string { return clean(s, false) }

// CleanLines is Clean that leaves line feeds alone: for vem's own
// multi-line messages, whose parts from the server were cleaned with Clean
// when the message was built.
func CleanLines(s string) string { return clean(s, true) }

// CleanCell keeps a table cell on one line and free of control
// characters: tabs and line breaks become spaces, other unsafe runes are
// escaped as Clean does.
func CleanCell(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
	return Clean(s)
}

func clean(s string, keepNewlines bool) string {
	ok := true
	for _, r := range s {
		if r == utf8.RuneError || (IsUnsafeRune(r) && !(keepNewlines && r == '\n')) {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case keepNewlines && r == '\n':
			b.WriteByte('\n')
		case IsUnsafeRune(r) && r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		case IsUnsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}
