package cmdutil

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/spf13/cobra"
	"github.com/vemkit/vem"
)

// AuthMode says which way of authenticating a command accepts.
type AuthMode int

const (
	// AuthAny: a borrowed session (VEM_SESSION_ID) if given, else
	// credentials. With both, the credentials renew the session if EM has
	// ended it.
	AuthAny AuthMode = iota
	// AuthCredentials: a new session from the credentials (vem logon).
	AuthCredentials
	// AuthSession: the borrowed session only (vem logout).
	AuthSession
)

// NewClient builds a vem.Client from the global flags (resolving them
// first), with extra options after them. It makes no network call; the
// caller must CloseClient it (which logs out a session the client opened
// itself, and leaves a borrowed one open).
func (f *Factory) NewClient(cmd *cobra.Command, mode AuthMode, extra ...vem.Option) (*vem.Client, error) {
	if err := f.Resolve(cmd); err != nil {
		return nil, err
	}
	g := &f.Global
	if g.URL == "" {
		return nil, Usagef(cmd, "missing --url (or %s), e.g. https://em.example.com:9398", EnvURL)
	}
	u, err := url.Parse(g.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, Usagef(cmd, "--url: invalid address %q (want https://host:9398)", g.URL)
	}
	log := f.Logger()
	opts := []vem.Option{
		vem.WithLogger(f.sdkLogger()),
		vem.WithUserAgent("vem-cli/" + vem.Version + " " + vem.DefaultUserAgent),
	}
	format, _ := vem.ParseFormat(g.Format) // checked by Resolve
	opts = append(opts, vem.WithFormat(format))
	if g.Timeout > 0 {
		opts = append(opts, vem.WithTimeout(g.Timeout))
	}

	switch {
	case u.Scheme == "http" && !g.Insecure:
		return nil, Usagef(cmd, "--url: %s uses http://, which sends the password and the session token in clear text; use https://, or add --insecure (%s=1) to allow it", g.URL, EnvInsecure)
	case u.Scheme == "http":
		log.Warn("plain http (allowed by --insecure): the password and the session token travel in clear text")
		opts = append(opts, vem.WithAllowInsecureHTTP())
	case g.Insecure:
		opts = append(opts, vem.WithInsecureSkipVerify()) // the library warns
	case g.CAFile != "":
		pool, err := vem.LoadCAFile(g.CAFile)
		if err != nil {
			return nil, Usagef(cmd, "--ca-file: %s", Text(err))
		}
		opts = append(opts, vem.WithRootCAs(pool))
	}

	if g.SessionIDStdin && g.PasswordStdin {
		return nil, Usagef(cmd, "--password-stdin and --session-id-stdin cannot both read stdin; set %s or %s instead", EnvPassword, EnvSessionID)
	}
	if g.SessionIDStdin && mode != AuthCredentials {
		tok, err := f.readSecretStdin(cmd, "--session-id-stdin", "session token")
		if err != nil {
			return nil, err
		}
		g.SessionID = strings.TrimSpace(tok)
	}
	sessionID := g.SessionID
	if mode == AuthCredentials {
		sessionID = "" // vem logon always opens a new session
	}
	needCredentials := mode == AuthCredentials || (mode == AuthAny && sessionID == "")
	switch {
	case mode == AuthSession && sessionID == "":
		return nil, Usagef(cmd, "missing %s (or --session-id-stdin): the session to end", EnvSessionID)
	case needCredentials && g.Username == "":
		return nil, Usagef(cmd, "missing --username (or %s), or a session in %s (or --session-id-stdin)", EnvUsername, EnvSessionID)
	}
	if sessionID != "" {
		log.Debug("using the session given in " + EnvSessionID + " or --session-id-stdin")
		opts = append(opts, vem.WithSessionID(sessionID))
	}
	if mode != AuthSession && g.Username != "" {
		password, err := f.password(cmd, needCredentials)
		if err != nil {
			return nil, err
		}
		if password != "" {
			opts = append(opts, vem.WithCredentials(g.Username, password))
		}
	}
	if obs := f.observer(); obs != nil {
		opts = append(opts, vem.WithObserver(obs))
	}
	c, err := vem.New(g.URL, append(opts, extra...)...)
	if err != nil {
		return nil, Usagef(cmd, "%s", Text(err))
	}
	return c, nil
}

// password returns the password from --password-stdin or VEM_PASSWORD. When
// required is false a missing password is not an error.
func (f *Factory) password(cmd *cobra.Command, required bool) (string, error) {
	if f.Global.PasswordStdin {
		return f.readSecretStdin(cmd, "--password-stdin", "password")
	}
	p := f.envPassword
	if p == "" && required {
		return "", Usagef(cmd, "missing password: set %s or use --password-stdin", EnvPassword)
	}
	return p, nil
}

// readSecretStdin reads a password or token for flag from stdin.
func (f *Factory) readSecretStdin(cmd *cobra.Command, flag, what string) (string, error) {
	p, err := f.IO.ReadSecret(what)
	if err != nil {
		return "", fmt.Errorf("%s: reading the %s: %w", flag, what, err)
	}
	if p == "" {
		return "", Usagef(cmd, "%s: stdin held no %s", flag, what)
	}
	return p, nil
}

// CloseClient ends the client: it logs out a session the CLI opened itself
// (also after Ctrl-C: Close uses its own short deadline) and leaves a
// borrowed one open. A failed logout is reported but does not change the
// exit code of a command that succeeded.
func (f *Factory) CloseClient(c *vem.Client) {
	if err := c.Close(); err != nil {
		fmt.Fprintf(f.IO.ErrOut, "vem: warning: logout failed: %s\n", strings.TrimPrefix(ErrorMessage(err), "vem: "))
	}
}
