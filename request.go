package vem

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptrace"
	"sync"
	"time"
)

// sessionHeader carries the session token on every authenticated request.
const sessionHeader = "X-RestSvcSessionId"

// request describes one API call. Every resource goes through Client.do:
// build the request, attach the session (logging on if needed), send with the
// retry policy, classify the status, decode by Content-Type.
type request struct {
	method   string
	path     string // escaped absolute path, starting with /api/
	rawQuery string // already escaped
	resource string // what is being read, for error messages
	// logon marks the logon POST: Basic auth instead of the token, and
	// retried only when the request was never sent.
	logon bool
	// call marks a request made by a caller's call (not by Close or the
	// keep-alive): Close stops it.
	call bool
	// accept overrides the client's wire format when set.
	accept Format
	// kind is what the request is for, in observer events; "" is
	// RequestKindCall.
	kind RequestKind
}

func (r *request) idempotent() bool {
	return r.method == http.MethodGet || r.method == http.MethodHead || r.method == http.MethodDelete
}

// response is a fully read answer. Its body lives in a pooled buffer that
// the pipeline returns to the pool once decoding is done.
type response struct {
	status   int
	header   http.Header
	buf      *bytes.Buffer
	attempts int
}

func (r *response) body() []byte { return r.buf.Bytes() }

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func (r *response) release() {
	if r == nil || r.buf == nil {
		return
	}
	if r.buf.Cap() <= 4<<20 { // do not pin huge buffers
		r.buf.Reset()
		bufPool.Put(r.buf)
	}
	r.buf = nil
}

// decodeFunc decodes a 2xx body; it must not keep body after it returns.
type decodeFunc func(contentType string, body []byte) error

// do runs one call: it attaches the session (logging on first if needed),
// sends with retries, turns non-2xx answers into *APIError and decodes 2xx
// bodies with decode (which may be nil). On a 401 it follows the session
// rule, session.mayRenew. It returns the response headers of the final
// answer.
func (c *Client) do(ctx context.Context, r *request, decode decodeFunc) (http.Header, error) {
	if err := c.enter(); err != nil {
		return nil, err
	}
	defer c.leave()
	r.call = true
	hdr, err := c.doSession(ctx, r, decode)
	return hdr, c.closedErr(ctx, r.method+" "+r.path, err)
}

func (c *Client) doSession(ctx context.Context, r *request, decode decodeFunc) (http.Header, error) {
	var retry sessionRetry
	for {
		tok, gen, err := c.auth.current(ctx)
		if err != nil {
			return nil, err
		}
		resp, err := c.send(ctx, r, tok)
		if err != nil {
			return nil, err
		}
		if resp.status != http.StatusUnauthorized {
			c.auth.markWorked(gen)
		} else if c.auth.mayRenew(gen, &retry) {
			resp.release()
			if err := c.auth.renew(ctx, gen); err != nil {
				return nil, err
			}
			continue
		} else {
			c.auth.invalidate(gen)
		}
		hdr := resp.header
		err = c.finish(r, resp, decode, tok)
		resp.release()
		return hdr, err
	}
}

// finish classifies the status and decodes a 2xx body. tok is the token the
// request carried: it is redacted, with the password, from the error.
func (c *Client) finish(r *request, resp *response, decode decodeFunc, tok string) error {
	ct := resp.header.Get("Content-Type")
	if resp.status < 200 || resp.status > 299 {
		return newAPIError(r, resp, c.redactor(tok))
	}
	if decode == nil {
		return nil
	}
	if err := decode(ct, resp.body()); err != nil {
		rd := c.redactor(tok)
		if msg := err.Error(); rd.apply(msg) != msg {
			err = errors.New(rd.apply(msg))
		}
		return &DecodeError{Resource: r.resource, Path: r.path, ContentType: ct, Snippet: snippet(resp.body(), rd), Err: err}
	}
	return nil
}

// redactor removes from error texts the client's password, its Basic
// authorization value, tok and the current session token.
func (c *Client) redactor(tok string) redactor {
	cur, _, _ := c.auth.snapshot()
	return newRedactor(secrets(c.cfg.username, c.cfg.password, tok, cur))
}

// redact removes the client's secrets from s.
func (c *Client) redact(s string) string { return c.redactor("").apply(s) }

// send makes up to RetryPolicy.MaxAttempts attempts of one request.
func (c *Client) send(ctx context.Context, r *request, tok string) (*response, error) {
	policy := c.cfg.retry
	for attempt := 1; ; attempt++ {
		var start time.Time
		if c.cfg.observer != nil {
			start = time.Now()
		}
		resp, wrote, err := c.attempt(ctx, r, tok)
		var took time.Duration
		if c.cfg.observer != nil {
			took = time.Since(start)
		}
		if ctx.Err() != nil {
			// The caller's context wins over whatever the transport said.
			if err != errNotSent {
				c.observe(ctx, r, attempt, resp, took, err, false, tok)
			}
			resp.release()
			return nil, &RequestError{Method: r.method, Path: r.path, Attempts: attempt, Err: ctx.Err()}
		}
		var wait time.Duration
		retry := false
		switch {
		case errors.Is(err, ErrResponseTooLarge):
		case err != nil:
			retry = retryableTransportError(err) && (r.idempotent() || (r.logon && !wrote))
			wait = policy.backoff(attempt)
		case retryableStatus(resp.status) && r.idempotent():
			retry = true
			var ok bool
			if wait, ok = policy.retryAfter(resp.header.Get("Retry-After"), time.Now()); !ok {
				wait = policy.backoff(attempt)
			}
		}
		retry = retry && attempt < policy.MaxAttempts
		if err != errNotSent {
			c.observe(ctx, r, attempt, resp, took, err, retry, tok)
		}
		if !retry {
			if errors.Is(err, ErrResponseTooLarge) {
				return nil, err
			}
			if err != nil {
				return nil, &RequestError{Method: r.method, Path: r.path, Attempts: attempt, Err: err}
			}
			resp.attempts = attempt
			return resp, nil
		}
		if c.log.Enabled(ctx, slog.LevelDebug) {
			reason := "transport error"
			if err == nil {
				reason = http.StatusText(resp.status)
			}
			c.log.DebugContext(ctx, "vem: retrying", "method", r.method, "path", r.path, "attempt", attempt, "reason", reason, "wait", wait)
		}
		resp.release()
		var closing <-chan struct{}
		if r.call {
			closing = c.closing
		}
		if err := sleep(ctx, closing, wait); err != nil {
			return nil, &RequestError{Method: r.method, Path: r.path, Attempts: attempt, Err: err}
		}
	}
}

// errNotSent is the error of an attempt that was not sent because Close
// had begun. It matches context.Canceled.
var errNotSent error = notSentError{}

type notSentError struct{}

func (notSentError) Error() string        { return context.Canceled.Error() }
func (notSentError) Is(target error) bool { return target == context.Canceled }

// attempt sends the request once and reads the whole body through the size
// limit. wrote reports whether the request was written to the connection.
func (c *Client) attempt(ctx context.Context, r *request, tok string) (*response, bool, error) {
	actx, cancel := context.WithTimeout(ctx, c.cfg.timeout)
	defer cancel()
	if r.call {
		id, ok := c.track(cancel)
		if !ok {
			return nil, false, errNotSent // Close has begun: send nothing
		}
		defer c.untrack(id)
	}
	// Only the logon POST needs to know whether the request was written
	// (it is retried only when it was not); GETs skip the trace's cost.
	var (
		wroteMu sync.Mutex
		wrote   bool
	)
	if r.logon {
		actx = httptrace.WithClientTrace(actx, &httptrace.ClientTrace{
			WroteRequest: func(httptrace.WroteRequestInfo) { wroteMu.Lock(); wrote = true; wroteMu.Unlock() },
		})
	}
	didWrite := func() bool { wroteMu.Lock(); defer wroteMu.Unlock(); return wrote || !r.logon }

	accept := r.accept
	if accept == "" {
		accept = c.cfg.format
	}
	req := c.rc.R().SetContext(actx).SetHeader("Accept", accept.mediaType())
	switch {
	case r.logon:
		// An empty body, so that the POST says Content-Length: 0 (resty
		// would otherwise send an empty chunked body).
		req.SetBasicAuth(c.cfg.username, c.cfg.password).SetBody([]byte{})
	case tok != "":
		req.SetHeader(sessionHeader, tok)
	}
	u := c.base + r.path
	if r.rawQuery != "" {
		u += "?" + r.rawQuery
	}
	start := time.Now()
	rr, err := req.Execute(r.method, u)
	if err != nil {
		if rr != nil && rr.RawResponse != nil {
			rr.RawResponse.Body.Close()
		}
		if c.log.Enabled(ctx, slog.LevelDebug) {
			c.log.DebugContext(ctx, "vem: request failed", "method", r.method, "path", r.path, "query", r.rawQuery, "duration", time.Since(start), "error", err.Error())
		}
		return nil, didWrite(), err
	}
	raw := rr.RawResponse
	defer raw.Body.Close()
	buf := bufPool.Get().(*bytes.Buffer)
	limit := c.cfg.maxResponseBytes
	if raw.ContentLength > limit {
		buf.Reset()
		bufPool.Put(buf)
		return nil, true, &ResponseTooLargeError{Method: r.method, Path: r.path, Limit: limit}
	}
	if raw.ContentLength > 0 {
		buf.Grow(int(raw.ContentLength) + 1)
	}
	n, err := buf.ReadFrom(io.LimitReader(raw.Body, limit+1))
	resp := &response{status: raw.StatusCode, header: raw.Header, buf: buf}
	if c.log.Enabled(ctx, slog.LevelDebug) {
		// The query string holds filters and paging, never a secret: the
		// password and the session token travel in headers only.
		c.log.DebugContext(ctx, "vem: request", "method", r.method, "path", r.path, "query", r.rawQuery, "status", raw.StatusCode, "bytes", n, "duration", time.Since(start))
	}
	if err != nil {
		resp.release()
		return nil, true, fmt.Errorf("reading response body: %w", err)
	}
	if n > limit {
		resp.release()
		return nil, true, &ResponseTooLargeError{Method: r.method, Path: r.path, Limit: limit}
	}
	return resp, true, nil
}

// sleep waits d, unless ctx ends or closing is closed (then it fails with
// context.Canceled).
func sleep(ctx context.Context, closing <-chan struct{}, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-closing:
		return context.Canceled
	case <-t.C:
		return nil
	}
}

// errorWire is EM's Error document, in XML and in both JSON casings.
type errorWire struct {
	XMLName                     xml.Name `json:"-"`
	Message                     string   `xml:"Message,attr" json:"Message"`
	StatusCode                  int      `xml:"StatusCode,attr" json:"StatusCode"`
	FirstChanceExceptionMessage string   `xml:"FirstChanceExceptionMessage" json:"FirstChanceExceptionMessage"`
}

// newAPIError builds the error for a non-2xx answer, with EM's message when
// the body is an EM Error document and a short snippet otherwise.
func newAPIError(r *request, resp *response, rd redactor) *APIError {
	e := &APIError{
		StatusCode:  resp.status,
		Method:      r.method,
		Path:        r.path,
		ContentType: resp.header.Get("Content-Type"),
		Attempts:    resp.attempts,
	}
	body := resp.body()
	var w errorWire
	if f, ok := bodyFormat(e.ContentType, body); ok {
		var err error
		b := bytes.TrimPrefix(body, utf8BOM)
		if f == FormatJSON {
			err = json.Unmarshal(b, &w)
		} else {
			err = decodeXML(b, &w)
			if w.XMLName.Local != "Error" {
				err = errors.New("not an Error document")
			}
		}
		if err == nil && (w.Message != "" || w.FirstChanceExceptionMessage != "") {
			e.Message = rd.limit(w.Message, 2000)
			e.FirstChanceExceptionMessage = rd.limit(w.FirstChanceExceptionMessage, 2000)
			if e.Message == "" {
				e.Message = e.FirstChanceExceptionMessage
			}
			return e
		}
	}
	e.Snippet = snippet(body, rd)
	return e
}
