package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
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

// stdoutWriter is stdout as commands see it: buffered, and flushed at
// most flushInterval after a write (by a timer, so that a line waits no
// longer while vem waits for the server), and sticky on errors: after the
// first failed write every write fails with the same *outputError, so that
// a command stops at its next write.
type stdoutWriter struct {
	mu    sync.Mutex
	raw   io.Writer
	buf   *bufio.Writer
	err   error       // the first *outputError
	timer *time.Timer // pending flush, nil when none
}

// flushInterval bounds how long written output waits in the buffer.
const flushInterval = 100 * time.Millisecond

func newStdoutWriter(w io.Writer) *stdoutWriter {
	o := &stdoutWriter{raw: w}
	o.buf = bufio.NewWriterSize(writerFunc(o.writeRaw), 16<<10)
	return o
}

// writerFunc adapts a function to io.Writer.
type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// writeRaw writes to the real stdout; o.mu is held.
func (o *stdoutWriter) writeRaw(p []byte) (int, error) {
	if o.err != nil {
		return 0, o.err
	}
	n, err := o.raw.Write(p)
	if err != nil {
		o.err = &outputError{err: err}
		return n, o.err
	}
	return n, nil
}

// Write buffers p and makes sure it is flushed within flushInterval.
func (o *stdoutWriter) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.err != nil {
		return 0, o.err
	}
	n, err := o.buf.Write(p)
	if err != nil {
		return n, o.err
	}
	if o.buf.Buffered() > 0 && o.timer == nil {
		o.timer = time.AfterFunc(flushInterval, o.timedFlush)
	}
	return n, nil
}

func (o *stdoutWriter) timedFlush() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.timer = nil
	_ = o.buf.Flush() // an error is kept in o.err for the next Write
}

// Flush writes out what is buffered and returns the first write error.
func (o *stdoutWriter) Flush() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.timer != nil {
		o.timer.Stop()
		o.timer = nil
	}
	_ = o.buf.Flush()
	return o.err
}

// Err returns the first write error, an *outputError, or nil.
func (o *stdoutWriter) Err() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.err
}

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
