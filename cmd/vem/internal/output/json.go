// Package output is the one printer of the vem command: JSON, JSON lines,
// tables and EM's own XML, for every command. Every JSON document vem
// prints goes through Encode: the same escaping everywhere (no HTML
// escaping of <, > and &; control and bidirectional characters escaped as
// \uXXXX), so that a name from EM prints the same in every command.
package output

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/vemkit/vem/cmd/vem/internal/iostreams"
)

// Output formats (-o). A command declares the ones it offers
// (cmdutil.SetFormats).
const (
	JSON       = "json"       // one JSON document; an array for lists
	JSONL      = "jsonl"      // one JSON object per line, streamed
	Table      = "table"      // aligned columns for people
	XML        = "xml"        // the server's own XML
	Nagios     = "nagios"     // a Monitoring Plugins check (vem health)
	Prometheus = "prometheus" // the text exposition format (vem health)
)

// Encode writes v as JSON and a newline, with prefix and indent as
// json.Encoder.SetIndent takes them. It is the one JSON encoder of the
// CLI: HTML characters are not escaped (EM's strings stay as they are),
// encoding/json escapes C0 controls, and C1 controls (U+0080 to U+009F,
// which some terminals obey) and bidirectional characters are escaped
// too, so that the output is safe to show and decodes to the same string.
func Encode(w io.Writer, v any, prefix, indent string) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent(prefix, indent)
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(escapeUnsafe(b.Bytes()))
	return err
}

// WriteJSON writes v as one indented JSON document.
func WriteJSON(w io.Writer, v any) error { return Encode(w, v, "", "  ") }

// WriteJSONLine writes v as one compact JSON object on one line.
func WriteJSONLine(w io.Writer, v any) error { return Encode(w, v, "", "") }

// escapeUnsafe replaces the unsafe runes above ASCII (iostreams.IsUnsafeRune)
// in JSON text by \u escapes. They can only occur inside strings, where the
// escape means the same.
func escapeUnsafe(p []byte) []byte {
	unsafe := func(r rune) bool { return r >= 0x80 && iostreams.IsUnsafeRune(r) }
	if !bytes.ContainsFunc(p, unsafe) {
		return p
	}
	var out bytes.Buffer
	for len(p) > 0 {
		r, size := utf8.DecodeRune(p)
		if size > 1 && unsafe(r) {
			fmt.Fprintf(&out, `\u%04x`, r)
		} else {
			out.Write(p[:size])
		}
		p = p[size:]
	}
	return out.Bytes()
}

// RecordWriter writes a stream of results in one output format, as they
// arrive: nothing but the current record (and, for tables, the first
// page's rows) is held in memory.
type RecordWriter[T any] interface {
	Write(T) error
	// Close ends the output; for an empty result it writes the empty
	// form ([] or the table header).
	Close() error
}

// ArrayWriter writes one indented JSON array, element by element. Its
// output is byte for byte that of WriteJSON on the whole slice.
type ArrayWriter[T any] struct {
	W     io.Writer
	Conv  func(T) any
	n     int
	begun bool
}

// Begin writes the opening bracket at once, for a stream that may wait
// long for its first element (vem watch); the array still closes cleanly
// whenever the stream stops.
func (j *ArrayWriter[T]) Begin() error {
	j.begun = true
	_, err := io.WriteString(j.W, "[\n")
	return err
}

// Write writes one element.
func (j *ArrayWriter[T]) Write(v T) error {
	sep := ",\n  "
	switch {
	case j.n == 0 && j.begun:
		sep = "  "
	case j.n == 0:
		sep = "[\n  "
	}
	j.n++
	if _, err := io.WriteString(j.W, sep); err != nil {
		return err
	}
	var b bytes.Buffer
	if err := Encode(&b, j.Conv(v), "  ", "  "); err != nil {
		return err
	}
	_, err := j.W.Write(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
	return err
}

// Close ends the array.
func (j *ArrayWriter[T]) Close() error {
	end := "\n]\n"
	switch {
	case j.n == 0 && j.begun:
		end = "]\n"
	case j.n == 0:
		end = "[]\n"
	}
	_, err := io.WriteString(j.W, end)
	return err
}

// LinesWriter writes one compact JSON object per line.
type LinesWriter[T any] struct {
	W    io.Writer
	Conv func(T) any
}

// Write writes one line.
func (j *LinesWriter[T]) Write(v T) error { return WriteJSONLine(j.W, j.Conv(v)) }

// Close does nothing: JSON lines need no end.
func (j *LinesWriter[T]) Close() error { return nil }

// NewRecordWriter returns the writer of a list in format: an array for
// json, lines for jsonl, else a table of columns whose rows row makes,
// sized from the first batch records.
func NewRecordWriter[T any](w io.Writer, format string, conv func(T) any, columns []string, row func(T) []string, batch int) RecordWriter[T] {
	switch format {
	case JSON:
		return &ArrayWriter[T]{W: w, Conv: conv}
	case JSONL:
		return &LinesWriter[T]{W: w, Conv: conv}
	}
	return NewTableWriter(w, columns, row, batch)
}

// Print writes one object in format: JSON, one JSON line, or the fields
// of a table (fields is called only then).
func Print(w io.Writer, format string, v any, fields func() [][2]string) error {
	switch format {
	case JSONL:
		return WriteJSONLine(w, v)
	case Table:
		return WriteFields(w, fields())
	}
	return WriteJSON(w, v)
}
