package vem

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// RequestKind says why the client sent a request.
type RequestKind string

// The kinds of request.
const (
	// RequestKindCall is a request made for a call of the caller's (a getter,
	// a query page, a job action, FollowLink, ...).
	RequestKindCall RequestKind = "call"
	// RequestKindLogon is the logon POST that opens the client's first session,
	// or a new one after the previous session was refused or logged out.
	RequestKindLogon RequestKind = "logon"
	// RequestKindRenewal is the logon POST that replaces a session EM expired
	// (a 401 on a session that had worked).
	RequestKindRenewal RequestKind = "renewal"
	// RequestKindLogout is a request of Logout or Close: the DELETE of the logon
	// session, and the GET that finds a borrowed session's SessionId.
	RequestKindLogout RequestKind = "logout"
	// RequestKindKeepAlive is the keep-alive's read of the client's own logon
	// session (WithKeepAlive).
	RequestKindKeepAlive RequestKind = "keepalive"
)

// RequestOutcome says how one attempt of a request ended.
type RequestOutcome string

// The outcomes of an attempt.
const (
	// RequestOutcomeOK is a 2xx answer.
	RequestOutcomeOK RequestOutcome = "ok"
	// RequestOutcomeHTTPError is an answer with another status (Status holds it;
	// Err is the *APIError the answer makes).
	RequestOutcomeHTTPError RequestOutcome = "http_error"
	// RequestOutcomeTransportError is an attempt that got no usable answer: the
	// connection failed or was reset, TLS failed, the body could not be
	// read or was over the size limit (Err says which).
	RequestOutcomeTransportError RequestOutcome = "transport_error"
	// RequestOutcomeTimeout is an attempt cut by its per-attempt timeout
	// (WithTimeout) or by the deadline of the call's context.
	RequestOutcomeTimeout RequestOutcome = "timeout"
	// RequestOutcomeCanceled is an attempt cut because the call's context was
	// cancelled or the client was closed.
	RequestOutcomeCanceled RequestOutcome = "canceled"
)

// RequestEvent describes one HTTP attempt the client made: every attempt
// of every request, retries, logons, renewals, logouts and keep-alive reads
// included. An attempt that was never sent (the client was closing) makes
// no event.
//
// It carries no secret: no header, no password, no session token. Path is
// the request path without the query string; Query is the escaped query
// string, which holds only filters, paging and format (vem sends its
// secrets in headers only).
type RequestEvent struct {
	Kind     RequestKind
	Method   string
	Path     string // escaped, starting with /api/, without the query
	Query    string // escaped query string, without "?"; "" when none
	Attempt  int    // 1 for the first attempt of the request, 2 for its first retry, ...
	Status   int    // the HTTP status; 0 when there was no answer
	Bytes    int64  // the response body's length as read; 0 when there was none
	Duration time.Duration
	Outcome  RequestOutcome
	// Retry reports that the client will make another attempt of the
	// same request (after a backoff wait).
	Retry bool
	// Err is why the attempt failed: an *APIError for RequestOutcomeHTTPError,
	// the transport's or context's error otherwise; nil for RequestOutcomeOK.
	Err error
}

// String formats the event on one line, e.g.
// "GET /api/jobs?format=Entity 200 ok attempt=1 12ms".
func (e RequestEvent) String() string {
	p := e.Path
	if e.Query != "" {
		p += "?" + e.Query
	}
	s := fmt.Sprintf("%s %s", e.Method, p)
	if e.Kind != RequestKindCall && e.Kind != "" {
		s += " [" + string(e.Kind) + "]"
	}
	if e.Status != 0 {
		s += fmt.Sprintf(" %d", e.Status)
	}
	s += fmt.Sprintf(" %s attempt=%d %v", e.Outcome, e.Attempt, e.Duration.Round(time.Microsecond))
	if e.Retry {
		s += " (retrying)"
	}
	return s
}

// SessionOpened reports whether the event is a logon or renewal that EM
// accepted: a new session. A counter of logons counts these.
func (e RequestEvent) SessionOpened() bool {
	return (e.Kind == RequestKindLogon || e.Kind == RequestKindRenewal) && e.Outcome == RequestOutcomeOK
}

// WithObserver makes the client call fn once for every HTTP attempt it
// makes (see RequestEvent), after the attempt ended and before the next
// one starts, on the goroutine that made it. Calls of the client, its
// logons and its keep-alive run on several goroutines, so fn must be safe
// for concurrent use; it should return quickly, as the request waits for
// it. It is how to count requests and logons, trace them or print them:
// the client's log messages are for people and may change.
func WithObserver(fn func(RequestEvent)) Option {
	return func(c *config) error {
		if fn == nil {
			return errors.New("vem: WithObserver: nil function")
		}
		c.observer = fn
		return nil
	}
}

// kindKey carries the kind of the logon in flight in its context.
type kindKey struct{}

func withKind(ctx context.Context, k RequestKind) context.Context {
	return context.WithValue(ctx, kindKey{}, k)
}

func kindFrom(ctx context.Context, def RequestKind) RequestKind {
	if k, ok := ctx.Value(kindKey{}).(RequestKind); ok {
		return k
	}
	return def
}

// observe reports one attempt to the observer, if there is one.
func (c *Client) observe(ctx context.Context, r *request, attempt int, resp *response, d time.Duration, err error, retry bool, tok string) {
	fn := c.cfg.observer
	if fn == nil {
		return
	}
	ev := RequestEvent{
		Kind: r.kind, Method: r.method, Path: r.path, Query: r.rawQuery,
		Attempt: attempt, Duration: d, Retry: retry, Err: err,
	}
	if ev.Kind == "" {
		ev.Kind = RequestKindCall
	}
	if resp != nil {
		ev.Status = resp.status
		if resp.buf != nil {
			ev.Bytes = int64(resp.buf.Len())
		}
	}
	switch {
	case err == nil && resp != nil && statusOK(resp.status):
		ev.Outcome = RequestOutcomeOK
	case err == nil && resp != nil:
		ev.Outcome = RequestOutcomeHTTPError
		ae := newAPIError(r, resp, c.redactor(tok))
		ae.Attempts = attempt
		ev.Err = ae
	case errors.Is(err, context.Canceled) || ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded):
		ev.Outcome = RequestOutcomeCanceled
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		ev.Outcome = RequestOutcomeTimeout
	default:
		ev.Outcome = RequestOutcomeTransportError
	}
	fn(ev)
}

// isTimeout reports whether err is a network timeout.
func isTimeout(err error) bool {
	var te interface{ Timeout() bool }
	return errors.As(err, &te) && te.Timeout()
}

// statusOK reports a 2xx status.
func statusOK(code int) bool { return code >= http.StatusOK && code < http.StatusMultipleChoices }
