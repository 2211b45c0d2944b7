package vem

import (
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// Option configures a Client. Options check their input: New returns an
// error for a bad one instead of building a client that fails later.
type Option func(*config) error

type config struct {
	username, password string
	hasCredentials     bool
	sessionToken       string
	httpClient         *http.Client
	rootCAs            *x509.CertPool
	insecureSkipVerify bool
	format             Format
	timeout            time.Duration
	userAgent          string
	logger             *slog.Logger
	retry              RetryPolicy
	keepAlive          time.Duration
	maxResponseBytes   int64
	allowInsecureHTTP  bool
	observer           func(RequestEvent)
}

// Defaults.
const (
	// DefaultTimeout bounds one HTTP attempt (connect, send, wait, read the
	// body) unless WithTimeout says otherwise.
	DefaultTimeout = 2 * time.Minute
	// DefaultMaxResponseBytes bounds every response body unless
	// WithMaxResponseBytes says otherwise. A 1,000-entity query page is about
	// 2.5 MB in XML.
	DefaultMaxResponseBytes int64 = 64 << 20
	// DefaultUserAgent is sent unless WithUserAgent says otherwise.
	DefaultUserAgent = "vem/" + Version + " (+https://github.com/vemkit/vem)"
)

// Version is the version of this SDK.
const Version = "0.1.0"

// WithCredentials sets the user name and password used to log on (HTTP Basic
// authentication on POST /api/sessionMngr/). With credentials the client logs
// on by itself on the first call and again when its session expires (see
// the package documentation for the exact rule).
// The user name may be in DOMAIN\user form. The password never appears in
// logs or errors.
func WithCredentials(username, password string) Option {
	return func(c *config) error {
		if strings.TrimSpace(username) == "" {
			return errors.New("vem: WithCredentials: empty username")
		}
		if password == "" {
			return errors.New("vem: WithCredentials: empty password")
		}
		if strings.ContainsAny(username, ":\r\n") {
			return errors.New("vem: WithCredentials: username must not contain ':' or line breaks")
		}
		c.username, c.password, c.hasCredentials = username, password, true
		return nil
	}
}

// WithSessionID makes the client use an existing session token (the value of
// the X-RestSvcSessionId header from an earlier logon) instead of logging on.
// Such a borrowed session is not renewed when it expires unless credentials
// are given too, and Close does not end it; Logout does.
func WithSessionID(token string) Option {
	return func(c *config) error {
		if strings.TrimSpace(token) == "" {
			return errors.New("vem: WithSessionID: empty token")
		}
		if strings.ContainsAny(token, "\r\n") {
			return errors.New("vem: WithSessionID: token must not contain line breaks")
		}
		c.sessionToken = token
		return nil
	}
}

// WithHTTPClient makes the client send its requests through hc: its
// transport, TLS configuration and proxy are used as they are. The client
// uses a copy of hc without its cookie jar (a stale EM cookie would override
// the session header) and with a redirect policy that never carries the
// session token to another origin. It cannot be combined with WithRootCAs or
// WithInsecureSkipVerify; configure TLS on hc instead.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) error {
		if hc == nil {
			return errors.New("vem: WithHTTPClient: nil client")
		}
		c.httpClient = hc
		return nil
	}
}

// WithRootCAs makes the client trust the certificates in pool instead of the
// system roots: the way to talk to an EM with a self-signed certificate
// while still verifying it.
func WithRootCAs(pool *x509.CertPool) Option {
	return func(c *config) error {
		if pool == nil {
			return errors.New("vem: WithRootCAs: nil pool")
		}
		c.rootCAs = pool
		return nil
	}
}

// WithInsecureSkipVerify turns off TLS certificate verification. Anyone on
// the path can then read the password and the session token; prefer
// WithRootCAs. The client logs one warning when it is used.
func WithInsecureSkipVerify() Option {
	return func(c *config) error {
		c.insecureSkipVerify = true
		return nil
	}
}

// WithFormat chooses the wire format: FormatXML (the default) or FormatJSON.
// Responses are decoded by their Content-Type whatever was asked for.
func WithFormat(f Format) Option {
	return func(c *config) error {
		if f != FormatXML && f != FormatJSON {
			return fmt.Errorf("vem: WithFormat: unknown format %q", string(f))
		}
		c.format = f
		return nil
	}
}

// WithTimeout bounds each HTTP attempt, from connecting to reading the whole
// body (default DefaultTimeout). The context passed to a call bounds the call
// as a whole, retries included.
func WithTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("vem: WithTimeout: %v is not positive", d)
		}
		c.timeout = d
		return nil
	}
}

// WithUserAgent sets the User-Agent header (default DefaultUserAgent).
func WithUserAgent(ua string) Option {
	return func(c *config) error {
		if strings.TrimSpace(ua) == "" || strings.ContainsAny(ua, "\r\n") {
			return fmt.Errorf("vem: WithUserAgent: invalid user agent %q", ua)
		}
		c.userAgent = ua
		return nil
	}
}

// WithLogger sends the client's logs to l: every HTTP attempt at debug level
// with method, path, status and duration; retries and logons at debug;
// insecure settings at warn. Passwords, tokens and cookies are never logged.
// By default the client logs nothing, and it builds debug records only when
// l keeps debug records.
//
// The log messages are for people: their text and attributes are not an
// API and may change in any release. To count, trace or print requests,
// use WithObserver.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("vem: WithLogger: nil logger")
		}
		c.logger = l
		return nil
	}
}

// WithRetry sets the retry policy for idempotent requests (default
// DefaultRetry()). WithRetry(NoRetries()) turns retries off, as does the
// older spelling WithRetry(NoRetry).
func WithRetry(p RetryPolicy) Option {
	if p.none {
		p = NoRetries()
	}
	return func(c *config) error {
		if err := p.validate(); err != nil {
			return fmt.Errorf("vem: WithRetry: %w", err)
		}
		c.retry = p
		return nil
	}
}

// WithKeepAlive keeps an idle session alive: when the client has made no
// request for interval, it reads its own logon session (a cheap
// authenticated GET). EM ends sessions after 15 idle minutes, so an interval
// of a few minutes suits. It never logs on: while the client holds no
// session (after Logout, or a failed renewal) it sends nothing and checks
// again an interval later. It stops on Close.
func WithKeepAlive(interval time.Duration) Option {
	return func(c *config) error {
		if interval < time.Second || interval >= 15*time.Minute {
			return fmt.Errorf("vem: WithKeepAlive: interval %v must be between 1s and 15m (EM's idle timeout)", interval)
		}
		c.keepAlive = interval
		return nil
	}
}

// WithMaxResponseBytes bounds the size of every response body (default
// DefaultMaxResponseBytes). A larger body fails with an error matching
// ErrResponseTooLarge.
func WithMaxResponseBytes(n int64) Option {
	return func(c *config) error {
		if n < 1024 {
			return fmt.Errorf("vem: WithMaxResponseBytes: %d is below 1024", n)
		}
		c.maxResponseBytes = n
		return nil
	}
}

// WithAllowInsecureHTTP allows an http:// base URL. Without it New refuses
// one, because the password and the session token would cross the network
// in clear text. Meant for tests against a local fake server.
func WithAllowInsecureHTTP() Option {
	return func(c *config) error {
		c.allowInsecureHTTP = true
		return nil
	}
}
