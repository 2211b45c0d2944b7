package vem

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
)

// The environment variables ReadEnv reads; the vem command reads the same.
const (
	EnvURL       = "VEM_URL"        // Enterprise Manager address, e.g. https://em.example.com:9398
	EnvUsername  = "VEM_USERNAME"   // user name, e.g. DOMAIN\user
	EnvPassword  = "VEM_PASSWORD"   // password
	EnvSessionID = "VEM_SESSION_ID" // a session token to reuse (see WithSessionID)
	EnvCAFile    = "VEM_CA_FILE"    // PEM file of CA certificates to trust
	EnvInsecure  = "VEM_INSECURE"   // 1/true/yes/on: skip TLS verification, allow http://
)

// Env is what the VEM_* environment variables hold: the connection
// settings the vem command reads. ReadEnv reads them; Options and NewClient
// turn them into a client. They are the one way in from the environment:
//
//	env, err := vem.ReadEnv(nil)
//	...
//	c, err := env.NewClient()
type Env struct {
	URL       string // VEM_URL
	Username  string // VEM_USERNAME
	Password  string // VEM_PASSWORD, untrimmed
	SessionID string // VEM_SESSION_ID
	CAFile    string // VEM_CA_FILE
	Insecure  bool   // VEM_INSECURE
}

// ReadEnv reads the VEM_* variables through getenv (os.Getenv when nil):
// values trimmed of surrounding white space, except the password, and
// VEM_INSECURE parsed by ParseEnvBool. It checks nothing else; Options
// checks them and turns them into options.
func ReadEnv(getenv func(string) string) (Env, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	env := func(name string) string { return strings.TrimSpace(getenv(name)) }
	insecure, err := ParseEnvBool(getenv(EnvInsecure))
	if err != nil {
		return Env{}, fmt.Errorf("vem: %s: %w", EnvInsecure, err)
	}
	return Env{
		URL: env(EnvURL), Username: env(EnvUsername), Password: getenv(EnvPassword),
		SessionID: env(EnvSessionID), CAFile: env(EnvCAFile), Insecure: insecure,
	}, nil
}

// Options checks the settings and returns the options for New(e.URL, ...):
//
//   - VEM_URL (required): https://host:9398; an http:// address needs
//     VEM_INSECURE.
//   - VEM_SESSION_ID: a session to reuse (WithSessionID). Without it,
//     VEM_USERNAME and VEM_PASSWORD are required; with it they are
//     optional and, when both are set, renew the session if EM has ended
//     it.
//   - VEM_INSECURE (1, true, yes, on; 0, false, no, off or empty): skip
//     certificate verification (WithInsecureSkipVerify), or allow http://
//     (WithAllowInsecureHTTP).
//   - VEM_CA_FILE: PEM certificates to trust (WithRootCAs); ignored with
//     VEM_INSECURE.
//
// The password never appears in an error.
func (e Env) Options() ([]Option, error) {
	opts, _, err := e.options()
	return opts, err
}

// NewClient returns a client for e.URL configured by Options; opts are
// added after those and so override them.
func (e Env) NewClient(opts ...Option) (*Client, error) {
	envOpts, baseURL, err := e.options()
	if err != nil {
		return nil, err
	}
	return New(baseURL, append(envOpts, opts...)...)
}

func (e Env) options() ([]Option, string, error) {
	raw := e.URL
	if raw == "" {
		return nil, "", fmt.Errorf("vem: %s is not set (want e.g. https://em.example.com:9398)", EnvURL)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, "", fmt.Errorf("vem: %s: invalid address %q (want https://host:9398)", EnvURL, hideUserinfo(raw))
	}
	var opts []Option
	switch {
	case u.Scheme == "http" && !e.Insecure:
		return nil, "", fmt.Errorf("vem: %s: %s uses http://, which sends the password and the session token in clear text; use https://, or set %s=1 to allow it", EnvURL, hideUserinfo(raw), EnvInsecure)
	case u.Scheme == "http":
		opts = append(opts, WithAllowInsecureHTTP())
	case e.Insecure:
		opts = append(opts, WithInsecureSkipVerify())
	case e.CAFile != "":
		pool, err := LoadCAFile(e.CAFile)
		if err != nil {
			return nil, "", fmt.Errorf("vem: %s: %w", EnvCAFile, err)
		}
		opts = append(opts, WithRootCAs(pool))
	}

	needCredentials := e.SessionID == ""
	if needCredentials && e.Username == "" {
		return nil, "", fmt.Errorf("vem: %s is not set, and there is no session in %s", EnvUsername, EnvSessionID)
	}
	if e.SessionID != "" {
		opts = append(opts, WithSessionID(e.SessionID))
	}
	if e.Username != "" {
		if e.Password == "" && needCredentials {
			return nil, "", fmt.Errorf("vem: %s is not set", EnvPassword)
		}
		if e.Password != "" {
			opts = append(opts, WithCredentials(e.Username, e.Password))
		}
	}
	return opts, raw, nil
}

// ParseEnvBool reads a boolean environment variable as vem does: 1, true,
// yes, on or 0, false, no, off (any case), or empty for false.
func ParseEnvBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "0", "false", "no", "off":
		return false, nil
	case "1", "true", "yes", "on":
		return true, nil
	}
	if b, err := strconv.ParseBool(s); err == nil {
		return b, nil
	}
	return false, fmt.Errorf("invalid value %q (want 1, true, yes or 0, false, no)", s)
}

// LoadCAFile reads a file of PEM certificates into a pool for WithRootCAs,
// with an error that tells a file without PEM data from one without a
// usable certificate.
func LoadCAFile(name string) (*x509.CertPool, error) {
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
