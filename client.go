package vem

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-resty/resty/v2"
)

// Client is an Enterprise Manager REST API client. It logs on by itself,
// keeps one session for all its calls, renews it when it expires (see the
// package documentation for the exact rule), and decodes XML and JSON
// answers into typed structs.
//
// A Client is safe for concurrent use by multiple goroutines; share one per
// Enterprise Manager. Call Close when done to end the session.
type Client struct {
	origin *url.URL // scheme://host[:port] of the configured EM, nothing else
	base   string   // origin as a string, without a trailing slash
	cfg    config
	rc     *resty.Client
	hc     *http.Client
	log    *slog.Logger
	auth   *session

	// closed is set by Close, under gate; calls that enter after it fail
	// with ErrClosed.
	closed atomic.Bool
	gate   sync.Mutex
	// calls counts the calls in flight, so that Close can wait for them;
	// calls are added under gate only while the client is open.
	calls sync.WaitGroup
	// attempts holds the cancel functions of the calls' HTTP attempts on
	// the wire, under gate: Close cancels them.
	attempts  map[uint64]context.CancelFunc
	attemptID uint64
	// closing is closed by Close: calls waiting for a backoff or a logon
	// stop waiting.
	closing chan struct{}
}

// New returns a client for the Enterprise Manager at baseURL, for example
// "https://em.example.com:9398". A trailing "/", "/api" or "/api/" is
// accepted and means the same. New makes no network I/O; it fails on an
// empty, relative, host-less or non-HTTP(S) URL, on an http:// URL without
// WithAllowInsecureHTTP, and on bad options.
//
// Give WithCredentials to let the client log on, or WithSessionID to reuse
// a session. Note that this is the Enterprise Manager API on port 9398, not
// the Veeam Backup & Replication REST API on port 9419.
func New(baseURL string, opts ...Option) (*Client, error) {
	cfg := config{
		format:           FormatXML,
		timeout:          DefaultTimeout,
		userAgent:        DefaultUserAgent,
		retry:            DefaultRetry(),
		maxResponseBytes: DefaultMaxResponseBytes,
	}
	for _, opt := range opts {
		if opt == nil {
			return nil, errors.New("vem: nil option")
		}
		if err := opt(&cfg); err != nil {
			return nil, err
		}
	}
	origin, err := parseBaseURL(baseURL)
	if err != nil {
		return nil, err
	}
	if origin.Scheme == "http" && !cfg.allowInsecureHTTP {
		return nil, fmt.Errorf("vem: base URL %q uses http: the password and session token would travel in clear text; use https or WithAllowInsecureHTTP", origin.String())
	}
	if cfg.httpClient != nil && (cfg.rootCAs != nil || cfg.insecureSkipVerify) {
		return nil, errors.New("vem: WithRootCAs and WithInsecureSkipVerify cannot be combined with WithHTTPClient; configure TLS on that client's transport")
	}

	c := &Client{origin: origin, base: origin.String(), cfg: cfg}
	c.closing = make(chan struct{})
	c.attempts = map[uint64]context.CancelFunc{}
	c.log = cfg.logger
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if cfg.insecureSkipVerify {
		c.log.Warn("vem: TLS certificate verification is off; the password and session token can be intercepted", "host", origin.Host)
	}
	c.hc = c.buildHTTPClient()
	c.rc = resty.NewWithClient(c.hc).
		SetLogger(restyLogger{c.log}).
		SetDisableWarn(true).
		SetDoNotParseResponse(true).
		SetHeader("User-Agent", cfg.userAgent)
	var logon func(context.Context) (string, string, error)
	if cfg.hasCredentials {
		logon = c.logon
	}
	c.auth = newSession(logon, cfg.timeout, c.log, cfg.sessionToken, c.closing)
	c.auth.keepAlive = c.newClientKeepAlive()
	c.auth.start()
	return c, nil
}

// parseBaseURL checks a base URL and reduces it to its origin. A password
// in the URL's userinfo is never echoed: userinfo is refused first, and every
// message shows the URL with its userinfo hidden.
func parseBaseURL(raw string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, errors.New("vem: empty base URL")
	}
	shown := hideUserinfo(raw)
	u, err := url.Parse(raw)
	if err != nil {
		if shown != raw {
			return nil, errors.New("vem: invalid base URL (user info hidden); give credentials with WithCredentials, not in the URL")
		}
		return nil, fmt.Errorf("vem: invalid base URL: %w", err)
	}
	if u.User != nil || shown != raw && u.Opaque != "" {
		return nil, errors.New("vem: base URL must not carry user info; use WithCredentials")
	}
	switch strings.ToLower(u.Scheme) {
	case "https", "http":
	case "":
		return nil, fmt.Errorf("vem: base URL %q is not absolute (want https://host:9398)", shown)
	default:
		return nil, fmt.Errorf("vem: base URL %q: scheme %q is not http or https", shown, u.Scheme)
	}
	if u.Host == "" || u.Hostname() == "" {
		return nil, fmt.Errorf("vem: base URL %q has no host", shown)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("vem: base URL %q must not have a query or fragment", u.Redacted())
	}
	switch strings.TrimRight(u.Path, "/") {
	case "", "/api":
	default:
		return nil, fmt.Errorf("vem: base URL %q: unexpected path %q (want nothing or /api)", shown, u.Path)
	}
	return &url.URL{Scheme: strings.ToLower(u.Scheme), Host: strings.ToLower(u.Host)}, nil
}

// hideUserinfo replaces whatever could be userinfo in a raw URL (everything
// between the scheme and the last "@") with "xxxxx".
func hideUserinfo(raw string) string {
	at := strings.LastIndex(raw, "@")
	if at < 0 {
		return raw
	}
	start := 0
	if i := strings.Index(raw, "://"); i >= 0 && i < at {
		start = i + 3
	} else if i := strings.Index(raw, ":"); i >= 0 && i < at {
		start = i + 1
	}
	return raw[:start] + "xxxxx" + raw[at:]
}

// buildHTTPClient returns the http.Client the client sends through: the
// user's (copied, without cookie jar) or one with sane timeouts.
func (c *Client) buildHTTPClient() *http.Client {
	var hc http.Client
	if c.cfg.httpClient != nil {
		hc = *c.cfg.httpClient
		if hc.Transport == nil {
			hc.Transport = http.DefaultTransport
		}
	} else {
		hc.Transport = newTransport(&tls.Config{
			MinVersion:         tls.VersionTLS12,
			RootCAs:            c.cfg.rootCAs,
			InsecureSkipVerify: c.cfg.insecureSkipVerify, //nolint:gosec // explicit user choice, warned about
		})
	}
	hc.Jar = nil
	next := hc.CheckRedirect
	hc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= 10 {
			return errors.New("vem: stopped after 10 redirects")
		}
		if !sameOrigin(req.URL, c.origin) {
			// Never carry the session token or credentials to another origin.
			req.Header.Del(sessionHeader)
			req.Header.Del("Authorization")
			req.Header.Del("Cookie")
		}
		if next != nil {
			return next(req, via)
		}
		return nil
	}
	return &hc
}

// newTransport is the default transport: bounded connect, TLS handshake and
// response-header waits, and enough idle connections per host for many
// goroutines sharing one client.
func newTransport(tlsConfig *tls.Config) *http.Transport {
	return &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   15 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		TLSClientConfig:        tlsConfig,
		TLSHandshakeTimeout:    15 * time.Second,
		ResponseHeaderTimeout:  2 * time.Minute,
		ExpectContinueTimeout:  time.Second,
		MaxIdleConns:           128,
		MaxIdleConnsPerHost:    64,
		IdleConnTimeout:        90 * time.Second,
		ForceAttemptHTTP2:      true,
		MaxResponseHeaderBytes: maxResponseHeaderBytes,
	}
}

// maxResponseHeaderBytes bounds the response headers the default transport
// reads (Go's own default is 10 MiB). EM's headers are well under 2 KiB.
const maxResponseHeaderBytes = 64 << 10

func sameOrigin(u, origin *url.URL) bool {
	return strings.EqualFold(u.Scheme, origin.Scheme) && strings.EqualFold(hostPort(u), hostPort(origin))
}

func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[strings.ToLower(u.Scheme)]
	}
	return net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// BaseURL returns the origin the client talks to, e.g.
// "https://em.example.com:9398".
func (c *Client) BaseURL() string { return c.base }

// Format returns the wire format the client asks for.
func (c *Client) Format() Format { return c.cfg.format }

// DefaultCloseTimeout bounds Close: the wait for a logon in flight and the
// logout, retries included. CloseContext takes its own deadline instead.
const DefaultCloseTimeout = 10 * time.Second

// Close ends the session the client opened itself (a borrowed one, from
// WithSessionID, stays open), stops the keep-alive and releases idle
// connections, within DefaultCloseTimeout. It is CloseContext with that
// deadline.
func (c *Client) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), DefaultCloseTimeout)
	defer cancel()
	return c.CloseContext(ctx)
}

// CloseContext closes the client within ctx. Once it begins, no new call
// and no logon may start: calls in flight are cancelled and fail with an
// error matching ErrClosed, and calls made later fail with ErrClosed. It
// waits for a logon in flight (so that its session can be ended too), then
// logs out, once, the session the client opened itself: one DELETE with the
// retries of the client's policy. When it returns, the client sends nothing
// more and runs no goroutine. An error means the session may still be open
// on EM (the logout failed, or ctx ended first). Calling it again returns
// nil at once.
func (c *Client) CloseContext(ctx context.Context) error {
	c.gate.Lock()
	if c.closed.Swap(true) {
		c.gate.Unlock()
		return nil
	}
	close(c.closing) // calls waiting for a backoff or a logon give up
	for _, cancel := range c.attempts {
		cancel() // calls on the wire give up
	}
	c.gate.Unlock()
	c.calls.Wait() // every call has returned; none can start any more
	err := c.auth.close(ctx)
	if c.auth.owned() {
		err = errors.Join(err, c.logout(ctx, false))
	}
	if c.cfg.httpClient == nil {
		c.hc.CloseIdleConnections()
	}
	return err
}

func (c *Client) isClosed() bool { return c.closed.Load() }

// enter registers a call, unless the client is closed; the call must end
// with leave.
func (c *Client) enter() error {
	c.gate.Lock()
	defer c.gate.Unlock()
	if c.closed.Load() {
		return ErrClosed
	}
	c.calls.Add(1)
	return nil
}

func (c *Client) leave() { c.calls.Done() }

// track registers the cancel function of a call's attempt, so that Close
// can cancel it. It fails once Close has begun: the attempt must not be
// sent.
func (c *Client) track(cancel context.CancelFunc) (uint64, bool) {
	c.gate.Lock()
	defer c.gate.Unlock()
	if c.closed.Load() {
		return 0, false
	}
	c.attemptID++
	c.attempts[c.attemptID] = cancel
	return c.attemptID, true
}

func (c *Client) untrack(id uint64) {
	c.gate.Lock()
	delete(c.attempts, id)
	c.gate.Unlock()
}

// closedErr turns the failure of a call that Close stopped into an error
// matching ErrClosed. ctx is the call's context.
func (c *Client) closedErr(ctx context.Context, what string, err error) error {
	if err == nil || !c.isClosed() || errors.Is(err, ErrClosed) || ctx.Err() != nil {
		return err
	}
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("vem: %s: %w", what, ErrClosed)
	}
	return err
}

// restyLogger routes resty's own messages to the client's logger at debug
// level, so that resty never writes to stderr by itself.
type restyLogger struct{ l *slog.Logger }

func (r restyLogger) Errorf(format string, v ...any) { r.debug(format, v) }
func (r restyLogger) Warnf(format string, v ...any)  { r.debug(format, v) }
func (r restyLogger) Debugf(format string, v ...any) { r.debug(format, v) }

// debug formats and logs a message only when the logger keeps debug
// records.
func (r restyLogger) debug(format string, v []any) {
	if r.l.Enabled(context.Background(), slog.LevelDebug) {
		r.l.Debug("resty: " + fmt.Sprintf(format, v...))
	}
}
