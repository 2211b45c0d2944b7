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

// The environment variables FromEnv reads; the vem command reads the same.
const (
	EnvURL       = "VEM_URL"        // Enterprise Manager address, e.g. https://em.example.com:9398
	EnvUsername  = "VEM_USERNAME"   // user name, e.g. DOMAIN\user
	EnvPassword  = "VEM_PASSWORD"   // password
	EnvSessionID = "VEM_SESSION_ID" // a session token to reuse (see WithSessionID)
	EnvCAFile    = "VEM_CA_FILE"    // PEM file of CA certificates to trust
	EnvInsecure  = "VEM_INSECURE"   // 1/true/yes/on: skip TLS verification, allow http://
)

// FromEnv reads the connection settings from the environment, as the vem
// command does, and returns the options for New and the base URL:
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
// Values are trimmed of surrounding white space, except the password. The
// password never appears in an error.
func FromEnv() (opts []Option, baseURL string, err error) {
	return fromEnv(os.Getenv)
}

// NewFromEnv returns a client configured by FromEnv; opts are added after
// the environment's options and so override them.
func NewFromEnv(opts ...Option) (*Client, error) {
	envOpts, baseURL, err := FromEnv()
	if err != nil {
		return nil, err
	}
	return New(baseURL, append(envOpts, opts...)...)
}

func fromEnv(getenv func(string) string) ([]Option, string, error) {
	env := func(name string) string { return strings.TrimSpace(getenv(name)) }
	raw := env(EnvURL)
	if raw == "" {
		return nil, "", fmt.Errorf("vem: %s is not set (want e.g. https://em.example.com:9398)", EnvURL)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, "", fmt.Errorf("vem: %s: invalid address %q (want https://host:9398)", EnvURL, hideUserinfo(raw))
	}
	insecure, err := parseBoolEnv(getenv(EnvInsecure))
	if err != nil {
		return nil, "", fmt.Errorf("vem: %s: %w", EnvInsecure, err)
	}
	var opts []Option
	switch {
	case u.Scheme == "http" && !insecure:
		return nil, "", fmt.Errorf("vem: %s: %s uses http://, which sends the password and the session token in clear text; use https://, or set %s=1 to allow it", EnvURL, hideUserinfo(raw), EnvInsecure)
	case u.Scheme == "http":
		opts = append(opts, WithAllowInsecureHTTP())
	case insecure:
		opts = append(opts, WithInsecureSkipVerify())
	case env(EnvCAFile) != "":
		pool, err := loadCAFile(env(EnvCAFile))
		if err != nil {
			return nil, "", fmt.Errorf("vem: %s: %w", EnvCAFile, err)
		}
		opts = append(opts, WithRootCAs(pool))
	}

	sessionID := env(EnvSessionID)
	username := env(EnvUsername)
	needCredentials := sessionID == ""
	if needCredentials && username == "" {
		return nil, "", fmt.Errorf("vem: %s is not set, and there is no session in %s", EnvUsername, EnvSessionID)
	}
	if sessionID != "" {
		opts = append(opts, WithSessionID(sessionID))
	}
	if username != "" {
		password := getenv(EnvPassword)
		if password == "" && needCredentials {
			return nil, "", fmt.Errorf("vem: %s is not set", EnvPassword)
		}
		if password != "" {
			opts = append(opts, WithCredentials(username, password))
		}
	}
	return opts, raw, nil
}

// parseBoolEnv reads a boolean environment variable: 1, true, yes, on or
// 0, false, no, off, or empty for false.
func parseBoolEnv(s string) (bool, error) {
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
