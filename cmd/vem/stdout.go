package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"
)

// outputError is a failed write to stdout: a local problem (a full disk, a
// closed pipe), never the server's. It exits with exitError, or quietly with
// exitClosedPipe when the reader went away.
type outputError struct{ err error }

func (e *outputError) Error() string { return "writing to stdout: " + e.err.Error() }
func (e *outputError) Unwrap() error { return e.err }

// closedPipe reports whether the reader of stdout went away ("| head -1").
func (e *outputError) closedPipe() bool {
	return errors.Is(e.err, syscall.EPIPE) || errors.Is(e.err, io.ErrClosedPipe) || errors.Is(e.err, os.ErrClosed)
}

// stdoutWriter is stdout as commands see it: buffered, flushed at least
// every flushInterval while results stream in, and sticky on errors: after
// the first failed write every write fails with the same *outputError, so
// that a command stops at its next write.
type stdoutWriter struct {
	raw       io.Writer
	buf       *bufio.Writer
	err       error // the first *outputError
	lastFlush time.Time
	// beforeWrite runs before bytes reach raw, to clear a progress line
	// that shares the terminal.
	beforeWrite func()
}

// flushInterval bounds how long a streamed record waits in the buffer.
const flushInterval = 200 * time.Millisecond

func newStdoutWriter(w io.Writer) *stdoutWriter {
	o := &stdoutWriter{raw: w, lastFlush: time.Now()}
	o.buf = bufio.NewWriterSize(writerFunc(o.writeRaw), 16<<10)
	return o
}

// writerFunc adapts a function to io.Writer.
type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func (o *stdoutWriter) writeRaw(p []byte) (int, error) {
	if o.err != nil {
		return 0, o.err
	}
	if o.beforeWrite != nil {
		o.beforeWrite()
	}
	n, err := o.raw.Write(p)
	if err != nil {
		o.err = &outputError{err: err}
		return n, o.err
	}
	return n, nil
}

// Write buffers p; it flushes when the buffer is full or flushInterval has
// passed since the last flush.
func (o *stdoutWriter) Write(p []byte) (int, error) {
	if o.err != nil {
		return 0, o.err
	}
	n, err := o.buf.Write(p)
	if err != nil {
		return n, o.err
	}
	if time.Since(o.lastFlush) >= flushInterval {
		return n, o.Flush()
	}
	return n, nil
}

// Flush writes out what is buffered.
func (o *stdoutWriter) Flush() error {
	o.lastFlush = time.Now()
	if err := o.buf.Flush(); err != nil {
		return o.err
	}
	return o.err
}

// Err returns the first write error, an *outputError, or nil.
func (o *stdoutWriter) Err() error { return o.err }

// Control characters from the server (ANSI escapes, an OSC title, BEL, C1
// codes, bidirectional overrides) must not reach a terminal: sanitize
// escapes them in everything vem prints for people.

// isUnsafeRune reports whether r is a C0 or C1 control character, DEL, or
// a bidirectional formatting character.
func isUnsafeRune(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// sanitize escapes unsafe runes as \xHH or \uHHHH, and invalid UTF-8 as
// \xHH per byte. keepNewlines leaves \n alone (for multi-line messages).
func sanitize(s string, keepNewlines bool) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || (isUnsafeRune(r) && !(keepNewlines && r == '\n')) {
			clean = false
			break
		}
	}
	if clean {
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
		case isUnsafeRune(r) && r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		case isUnsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}
