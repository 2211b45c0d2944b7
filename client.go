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
// keeps one session for all its calls, renews it once when it expires, and
// decodes XML and JSON answers into typed structs.
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
	auth   session
	closed atomic.Bool
	// bg tracks the client's own goroutines (shared logons, keep-alive) so
	// that Close leaves none behind.
	bg sync.WaitGroup
	// life is cancelled by Close: it stops a logon still in flight, which
	// runs detached from the context of the call that started it.
	life     context.Context
	lifeStop context.CancelFunc
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
		retry:            DefaultRetryPolicy,
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
	c.life, c.lifeStop = context.WithCancel(context.Background())
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
	c.auth.init(c, cfg.sessionToken)
	return c, nil
}

// parseBaseURL checks a base URL and reduces it to its origin.
func parseBaseURL(raw string) (*url.URL, error) {
	if strings.TrimSpace(raw) == "" {
		return nil, errors.New("vem: empty base URL")
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("vem: invalid base URL: %w", err)
	}
	switch strings.ToLower(u.Scheme) {
	case "https", "http":
	case "":
		return nil, fmt.Errorf("vem: base URL %q is not absolute (want https://host:9398)", raw)
	default:
		return nil, fmt.Errorf("vem: base URL %q: scheme %q is not http or https", raw, u.Scheme)
	}
	if u.Host == "" || u.Hostname() == "" {
		return nil, fmt.Errorf("vem: base URL %q has no host", raw)
	}
	if u.User != nil {
		return nil, errors.New("vem: base URL must not carry user info; use WithCredentials")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("vem: base URL %q must not have a query or fragment", u.Redacted())
	}
	switch strings.TrimRight(u.Path, "/") {
	case "", "/api":
	default:
		return nil, fmt.Errorf("vem: base URL %q: unexpected path %q (want nothing or /api)", raw, u.Path)
	}
	return &url.URL{Scheme: strings.ToLower(u.Scheme), Host: strings.ToLower(u.Host)}, nil
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
		TLSClientConfig:       tlsConfig,
		TLSHandshakeTimeout:   15 * time.Second,
		ResponseHeaderTimeout: 2 * time.Minute,
		ExpectContinueTimeout: time.Second,
		MaxIdleConns:          128,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
}

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

// Close ends the session the client opened itself (a borrowed one, from
// WithSessionID, stays open), stops the keep-alive and releases idle
// connections. Calls made after Close fail with ErrClosed. Close is safe to
// call more than once.
func (c *Client) Close() error {
	if c.closed.Swap(true) {
		return nil
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var err error
	if c.auth.owned() {
		err = c.logout(ctx)
	}
	c.auth.stopKeepAlive()
	c.lifeStop() // a logon still in flight gives up now
	c.bg.Wait()
	// A logon that was in flight may have finished meanwhile.
	if c.auth.owned() {
		err = errors.Join(err, c.logout(ctx))
		c.auth.stopKeepAlive()
		c.bg.Wait()
	}
	if c.cfg.httpClient == nil {
		c.hc.CloseIdleConnections()
	}
	return err
}

func (c *Client) isClosed() bool { return c.closed.Load() }

// restyLogger routes resty's own messages to the client's logger at debug
// level, so that resty never writes to stderr by itself.
type restyLogger struct{ l *slog.Logger }

func (r restyLogger) Errorf(format string, v ...any) {
	r.l.Debug("resty: " + fmt.Sprintf(format, v...))
}
func (r restyLogger) Warnf(format string, v ...any) { r.l.Debug("resty: " + fmt.Sprintf(format, v...)) }
func (r restyLogger) Debugf(format string, v ...any) {
	r.l.Debug("resty: " + fmt.Sprintf(format, v...))
}
