package cmdutil

import (
	"context"
	"github.com/vemkit/vem"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vemkit/vem/cmd/vem/internal/iostreams"
)

// Logger returns the CLI's logger: warnings always, the CLI's own debug
// lines with --verbose; on stderr, never stdout, each line in vem's one
// format ("vem: ...", "vem: warning: ..."). It never logs passwords or
// session tokens.
func (f *Factory) Logger() *slog.Logger {
	level := slog.LevelWarn
	if f.Global.Verbose {
		level = slog.LevelDebug
	}
	return slog.New(&stderrHandler{w: f.IO.ErrOut, level: level, mu: f.errMu})
}

// sdkLogger is the logger handed to the SDK: its warnings (e.g. TLS
// verification turned off) in vem's format. The SDK's debug records are not
// read: --verbose prints the request events (vem.WithObserver).
func (f *Factory) sdkLogger() *slog.Logger {
	return slog.New(&stderrHandler{w: f.IO.ErrOut, level: slog.LevelWarn, mu: f.errMu})
}

// AddObserver makes the next client built by NewClient report its request
// events to fn as well (vem exporter counts requests with it).
func (f *Factory) AddObserver(fn func(vem.RequestEvent)) { f.observers = append(f.observers, fn) }

// observer returns the one observer of the client: --verbose's lines and
// the observers added; nil when there is none.
func (f *Factory) observer() func(vem.RequestEvent) {
	fns := append([]func(vem.RequestEvent){}, f.observers...)
	if f.Global.Verbose {
		fns = append(fns, f.verboseLine)
	}
	if len(fns) == 0 {
		return nil
	}
	return func(ev vem.RequestEvent) {
		for _, fn := range fns {
			fn(ev)
		}
	}
}

// verboseLine prints one request event for --verbose: "vem: GET
// /api/query?type=... status=200 duration=4ms", with the attempt, the kind
// (logon, renewal, logout, keepalive), the outcome and the error when they
// say something. It holds no header, body, password or token.
func (f *Factory) verboseLine(ev vem.RequestEvent) {
	var b strings.Builder
	b.WriteString("vem: " + ev.Method + " " + ev.Path)
	if ev.Query != "" {
		b.WriteString("?" + ev.Query)
	}
	if ev.Status != 0 {
		b.WriteString(" status=" + strconv.Itoa(ev.Status))
	}
	b.WriteString(" duration=" + ev.Duration.Round(time.Millisecond).String())
	if ev.Kind != vem.RequestKindCall && ev.Kind != "" {
		b.WriteString(" kind=" + string(ev.Kind))
	}
	if ev.Attempt > 1 {
		b.WriteString(" attempt=" + strconv.Itoa(ev.Attempt))
	}
	if ev.Outcome != vem.RequestOutcomeOK {
		b.WriteString(" outcome=" + string(ev.Outcome))
	}
	if ev.Err != nil && ev.Outcome != vem.RequestOutcomeHTTPError {
		b.WriteString(" error=" + strconv.Quote(Text(ev.Err)))
	}
	if ev.Retry {
		b.WriteString(" (retrying)")
	}
	line := iostreams.Clean(b.String()) + "\n"
	f.errMu.Lock()
	defer f.errMu.Unlock()
	_, _ = io.WriteString(f.IO.ErrOut, line)
}

// stderrHandler writes log records as "vem: [warning: ]message key=value"
// lines, escaping control characters.
type stderrHandler struct {
	w     io.Writer
	level slog.Level
	mu    *sync.Mutex
	attrs string // preformatted " key=value" pairs
	group string
}

func (h *stderrHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *stderrHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString("vem: ")
	switch {
	case r.Level >= slog.LevelError:
		b.WriteString("error: ")
	case r.Level >= slog.LevelWarn:
		b.WriteString("warning: ")
	}
	b.WriteString(strings.TrimPrefix(r.Message, "vem: "))
	b.WriteString(h.attrs)
	r.Attrs(func(attr slog.Attr) bool {
		appendAttr(&b, h.group, attr)
		return true
	})
	return h.write(b.String())
}

func (h *stderrHandler) write(line string) error {
	line = iostreams.Clean(line) + "\n"
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := io.WriteString(h.w, line)
	return err
}

func (h *stderrHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	h2 := *h
	var b strings.Builder
	b.WriteString(h.attrs)
	for _, attr := range attrs {
		appendAttr(&b, h.group, attr)
	}
	h2.attrs = b.String()
	return &h2
}

func (h *stderrHandler) WithGroup(name string) slog.Handler {
	h2 := *h
	h2.group = h.group + name + "."
	return &h2
}

// appendAttr writes " key=value", quoting a value that holds spaces.
func appendAttr(b *strings.Builder, group string, attr slog.Attr) {
	attr.Value = attr.Value.Resolve()
	if attr.Equal(slog.Attr{}) {
		return
	}
	if attr.Value.Kind() == slog.KindGroup {
		for _, ga := range attr.Value.Group() {
			appendAttr(b, group+attr.Key+".", ga)
		}
		return
	}
	v := attr.Value.String()
	if v == "" || strings.ContainsAny(v, " \t\"=") {
		v = strconv.Quote(v)
	}
	b.WriteString(" " + group + attr.Key + "=" + v)
}
