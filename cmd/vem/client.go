package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/vemkit/vem"
	"golang.org/x/term"
)

// authMode says which way of authenticating a command accepts.
type authMode int

const (
	// authAny: a borrowed session (VEM_SESSION_ID) if given, else
	// credentials. With both, the credentials renew the session if EM has
	// ended it.
	authAny authMode = iota
	// authCredentials: a new session from the credentials (vem logon).
	authCredentials
	// authSession: the borrowed session only (vem logout).
	authSession
)

// maxPasswordBytes bounds what --password-stdin reads.
const maxPasswordBytes = 64 << 10

// logger returns the logger for the library and the CLI: warnings always,
// debug lines with --verbose; on stderr, never stdout, each line in vem's
// one format ("vem: ...", "vem: warning: ..."). The library never logs
// passwords or session tokens, and neither does the CLI.
func (a *app) logger() *slog.Logger {
	level := slog.LevelWarn
	if a.g.verbose {
		level = slog.LevelDebug
	}
	return slog.New(&stderrHandler{w: a.stderr, level: level, mu: new(sync.Mutex)})
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
	line = sanitize(line, false) + "\n"
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

// newClient builds a vem.Client from the resolved global flags, with extra
// options after them. It makes no network call; the caller must Close it
// (which logs out a session the client opened itself, and leaves a borrowed
// one open).
func (a *app) newClient(cmd *cobra.Command, mode authMode, extra ...vem.Option) (*vem.Client, error) {
	if err := a.resolve(cmd); err != nil {
		return nil, err
	}
	if a.g.url == "" {
		return nil, usagef(cmd, "missing --url (or %s), e.g. https://em.example.com:9398", envURL)
	}
	u, err := url.Parse(a.g.url)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, usagef(cmd, "--url: invalid address %q (want https://host:9398)", a.g.url)
	}
	log := a.logger()
	opts := []vem.Option{
		vem.WithLogger(log),
		vem.WithUserAgent("vem-cli/" + vem.Version + " " + vem.DefaultUserAgent),
	}
	f, _ := vem.ParseFormat(a.g.format) // checked by resolve
	opts = append(opts, vem.WithFormat(f))
	if a.g.timeout > 0 {
		opts = append(opts, vem.WithTimeout(a.g.timeout))
	}

	switch {
	case u.Scheme == "http" && !a.g.insecure:
		return nil, usagef(cmd, "--url: %s uses http://, which sends the password and the session token in clear text; use https://, or add --insecure (%s=1) to allow it", a.g.url, envInsecure)
	case u.Scheme == "http":
		log.Warn("plain http (allowed by --insecure): the password and the session token travel in clear text")
		opts = append(opts, vem.WithAllowInsecureHTTP())
	case a.g.insecure:
		opts = append(opts, vem.WithInsecureSkipVerify()) // the library warns
	case a.g.caFile != "":
		pool, err := vem.LoadCAFile(a.g.caFile)
		if err != nil {
			return nil, usagef(cmd, "--ca-file: %v", err)
		}
		opts = append(opts, vem.WithRootCAs(pool))
	}

	if a.g.sessionIDStdin && a.g.passwordStdin {
		return nil, usagef(cmd, "--password-stdin and --session-id-stdin cannot both read stdin; set %s or %s instead", envPassword, envSessionID)
	}
	if a.g.sessionIDStdin && mode != authCredentials {
		tok, err := a.readSecretStdin(cmd, "--session-id-stdin", "session token")
		if err != nil {
			return nil, err
		}
		a.g.sessionID = strings.TrimSpace(tok)
	}
	sessionID := a.g.sessionID
	if mode == authCredentials {
		sessionID = "" // vem logon always opens a new session
	}
	needCredentials := mode == authCredentials || (mode == authAny && sessionID == "")
	switch {
	case mode == authSession && sessionID == "":
		return nil, usagef(cmd, "missing %s (or --session-id-stdin): the session to end", envSessionID)
	case needCredentials && a.g.username == "":
		return nil, usagef(cmd, "missing --username (or %s), or a session in %s (or --session-id-stdin)", envUsername, envSessionID)
	}
	if sessionID != "" {
		log.Debug("using the session given in " + envSessionID + " or --session-id-stdin")
		opts = append(opts, vem.WithSessionID(sessionID))
	}
	if mode != authSession && a.g.username != "" {
		password, err := a.password(cmd, needCredentials)
		if err != nil {
			return nil, err
		}
		if password != "" {
			opts = append(opts, vem.WithCredentials(a.g.username, password))
		}
	}
	c, err := vem.New(a.g.url, append(opts, extra...)...)
	if err != nil {
		return nil, usagef(cmd, "%v", err)
	}
	return c, nil
}

// password returns the password from --password-stdin or VEM_PASSWORD. When
// required is false a missing password is not an error.
func (a *app) password(cmd *cobra.Command, required bool) (string, error) {
	if a.g.passwordStdin {
		return a.readSecretStdin(cmd, "--password-stdin", "password")
	}
	p := a.envPassword
	if p == "" && required {
		return "", usagef(cmd, "missing password: set %s or use --password-stdin", envPassword)
	}
	return p, nil
}

// readSecretStdin reads a password or token for flag from stdin: piped, up
// to its end; on a terminal, one line typed after a prompt on stderr,
// without echo.
func (a *app) readSecretStdin(cmd *cobra.Command, flag, what string) (string, error) {
	var b []byte
	var err error
	if a.isTerminal(a.stdin) {
		fmt.Fprintf(a.stderr, "vem: %s: ", what)
		b, err = a.readPassword()
		fmt.Fprintln(a.stderr)
	} else {
		b, err = io.ReadAll(io.LimitReader(a.stdin, maxPasswordBytes))
	}
	if err != nil {
		return "", fmt.Errorf("%s: reading the %s: %w", flag, what, err)
	}
	p := strings.TrimRight(string(b), "\r\n")
	if p == "" {
		return "", usagef(cmd, "%s: stdin held no %s", flag, what)
	}
	return p, nil
}

// readPasswordNoEcho reads one line from a terminal stdin with echo off.
func readPasswordNoEcho(stdin io.Reader) ([]byte, error) {
	f, ok := stdin.(*os.File)
	if !ok {
		return nil, errors.New("stdin is not a terminal")
	}
	return term.ReadPassword(int(f.Fd()))
}

// closeClient ends the client: it logs out a session the CLI opened itself
// (also after Ctrl-C: Close uses its own short deadline) and leaves a
// borrowed one open. A failed logout is reported but does not change the
// exit code of a command that succeeded.
func (a *app) closeClient(c *vem.Client) {
	if err := c.Close(); err != nil {
		fmt.Fprintf(a.stderr, "vem: warning: logout failed: %s\n", strings.TrimPrefix(errorMessage(err), "vem: "))
	}
}
