package iostreams

import (
	"bufio"
	"errors"
	"io"
	"os"
	"sync"
	"syscall"
	"time"
)

// OutputError is a failed write to stdout: a local problem (a full disk, a
// closed pipe), never the server's. It exits 1, or quietly with 141 when
// the reader went away.
type OutputError struct{ Err error }

func (e *OutputError) Error() string { return "writing to stdout: " + e.Err.Error() }
func (e *OutputError) Unwrap() error { return e.Err }

// ClosedPipe reports whether the reader of stdout went away ("| head -1").
func (e *OutputError) ClosedPipe() bool {
	return errors.Is(e.Err, syscall.EPIPE) || errors.Is(e.Err, io.ErrClosedPipe) || errors.Is(e.Err, os.ErrClosed)
}

// StdoutWriter is stdout as commands see it: buffered, and flushed at most
// FlushInterval after a write (by a timer, so that a line waits no longer
// while vem waits for the server), and sticky on errors: after the first
// failed write every write fails with the same *OutputError, so that a
// command stops at its next write.
type StdoutWriter struct {
	mu    sync.Mutex
	raw   io.Writer
	buf   *bufio.Writer
	err   error       // the first *OutputError
	timer *time.Timer // pending flush, nil when none
}

// FlushInterval bounds how long written output waits in the buffer.
const FlushInterval = 100 * time.Millisecond

// NewStdoutWriter wraps the real stdout w.
func NewStdoutWriter(w io.Writer) *StdoutWriter {
	o := &StdoutWriter{raw: w}
	o.buf = bufio.NewWriterSize(writerFunc(o.writeRaw), 16<<10)
	return o
}

// Raw returns the stream under the buffer, for terminal checks.
func (o *StdoutWriter) Raw() io.Writer { return o.raw }

// writerFunc adapts a function to io.Writer.
type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// writeRaw writes to the real stdout; o.mu is held.
func (o *StdoutWriter) writeRaw(p []byte) (int, error) {
	if o.err != nil {
		return 0, o.err
	}
	n, err := o.raw.Write(p)
	if err != nil {
		o.err = &OutputError{Err: err}
		return n, o.err
	}
	return n, nil
}

// Write buffers p and makes sure it is flushed within FlushInterval.
func (o *StdoutWriter) Write(p []byte) (int, error) {
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
		o.timer = time.AfterFunc(FlushInterval, o.timedFlush)
	}
	return n, nil
}

func (o *StdoutWriter) timedFlush() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.timer = nil
	_ = o.buf.Flush() // an error is kept in o.err for the next Write
}

// Flush writes out what is buffered and returns the first write error.
func (o *StdoutWriter) Flush() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.timer != nil {
		o.timer.Stop()
		o.timer = nil
	}
	_ = o.buf.Flush()
	return o.err
}

// Err returns the first write error, an *OutputError, or nil.
func (o *StdoutWriter) Err() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.err
}
