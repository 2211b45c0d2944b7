package main

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/vemkit/vem"
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
// debug lines with --verbose; on stderr, never stdout. The library never
// logs passwords or session tokens, and neither does the CLI.
func (a *app) logger() *slog.Logger {
	level := slog.LevelWarn
	if a.g.verbose {
		level = slog.LevelDebug
	}
	verbose := a.g.verbose
	return slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{
		Level: level,
		ReplaceAttr: func(groups []string, attr slog.Attr) slog.Attr {
			if len(groups) == 0 && attr.Key == slog.TimeKey && !verbose {
				return slog.Attr{} // warnings read better without a time stamp
			}
			return attr
		},
	}))
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
		fmt.Fprintln(a.stderr, "vem: warning: plain http (allowed by --insecure): the password and the session token travel in clear text")
		opts = append(opts, vem.WithAllowInsecureHTTP())
	case a.g.insecure:
		opts = append(opts, vem.WithInsecureSkipVerify()) // the library warns
	case a.g.caFile != "":
		pool, err := loadCAFile(a.g.caFile)
		if err != nil {
			return nil, usagef(cmd, "--ca-file: %v", err)
		}
		opts = append(opts, vem.WithRootCAs(pool))
	}

	sessionID := a.g.sessionID
	if mode == authCredentials {
		sessionID = "" // vem logon always opens a new session
	}
	needCredentials := mode == authCredentials || (mode == authAny && sessionID == "")
	switch {
	case mode == authSession && sessionID == "":
		return nil, usagef(cmd, "missing --session-id (or %s): the session to end", envSessionID)
	case needCredentials && a.g.username == "":
		return nil, usagef(cmd, "missing --username (or %s), or a session in --session-id (%s)", envUsername, envSessionID)
	}
	if sessionID != "" {
		log.Debug("vem: using the session given in --session-id or " + envSessionID)
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
		b, err := io.ReadAll(io.LimitReader(a.stdin, maxPasswordBytes))
		if err != nil {
			return "", fmt.Errorf("reading the password from stdin: %w", err)
		}
		p := strings.TrimRight(string(b), "\r\n")
		if p == "" {
			return "", usagef(cmd, "--password-stdin: stdin held no password")
		}
		return p, nil
	}
	p := a.getenv(envPassword)
	if p == "" && required {
		return "", usagef(cmd, "missing password: set %s or use --password-stdin", envPassword)
	}
	return p, nil
}

// loadCAFile reads PEM certificates into a pool.
func loadCAFile(name string) (*x509.CertPool, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		if !bytes.Contains(b, []byte("-----BEGIN")) {
			return nil, fmt.Errorf("%s holds no PEM data", name)
		}
		return nil, errors.New(name + " holds no usable certificate")
	}
	return pool, nil
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
