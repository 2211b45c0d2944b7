package cmdutil

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vemkit/vem/cmd/vem/internal/iostreams"
)

// Logger returns the logger for the library and the CLI: warnings always,
// debug lines with --verbose; on stderr, never stdout, each line in vem's
// one format ("vem: ...", "vem: warning: ..."). The library never logs
// passwords or session tokens, and neither does the CLI.
func (f *Factory) Logger() *slog.Logger {
	level := slog.LevelWarn
	if f.Global.Verbose {
		level = slog.LevelDebug
	}
	return slog.New(&stderrHandler{w: f.IO.ErrOut, level: level, mu: new(sync.Mutex)})
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
	if r.Message == "vem: request" || r.Message == "vem: request failed" {
		// The SDK's request line, as "METHOD /path?query status=... duration=...".
		h.requestLine(&b, r)
		return h.write(b.String())
	}
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

// requestLine writes the SDK's record of one request: the method and the
// path with its query string, then the other attributes.
func (h *stderrHandler) requestLine(b *strings.Builder, r slog.Record) {
	var method, path, query string
	var rest []slog.Attr
	r.Attrs(func(attr slog.Attr) bool {
		switch attr.Key {
		case "method":
			method = attr.Value.String()
		case "path":
			path = attr.Value.String()
		case "query":
			query = attr.Value.String()
		case "bytes":
		default:
			rest = append(rest, attr)
		}
		return true
	})
	b.WriteString(method + " " + path)
	if query != "" {
		b.WriteString("?" + query)
	}
	for _, attr := range rest {
		if attr.Key == "duration" {
			attr.Value = slog.DurationValue(attr.Value.Duration().Round(time.Millisecond))
		}
		appendAttr(b, h.group, attr)
	}
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
