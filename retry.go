package vem

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/vemkit/vem/internal/em"
)

// RetryPolicy says how the client retries idempotent requests (GET, and
// DELETE of a session) that failed in a way worth retrying: transport errors
// (connection refused or reset, EOF, timeouts) and the statuses 429, 502, 503
// and 504. Waits grow exponentially from MinBackoff to MaxBackoff with jitter;
// a Retry-After header is honoured up to MaxRetryAfter. The logon POST is
// retried only when the connection failed before the request was sent.
// The call's context bounds every wait.
type RetryPolicy struct {
	// MaxAttempts is the number of attempts in all, the first included;
	// 1 means no retry.
	MaxAttempts int
	// MinBackoff is the wait before the second attempt.
	MinBackoff time.Duration
	// MaxBackoff caps each computed wait.
	MaxBackoff time.Duration
	// MaxRetryAfter caps a server's Retry-After; 0 means MaxBackoff.
	MaxRetryAfter time.Duration

	// none marks the deprecated NoRetry variable: WithRetry(NoRetry)
	// turns retries off whatever was done to the variable's fields.
	none bool
}

// DefaultRetry returns the policy of a client without WithRetry: up to 4
// attempts, waiting about 0.25s, 0.5s, 1s (at most 5s, or up to 30s when the
// server asks with Retry-After). Each call returns a new value: changing it
// changes nothing else.
func DefaultRetry() RetryPolicy {
	return RetryPolicy{
		MaxAttempts:   4,
		MinBackoff:    250 * time.Millisecond,
		MaxBackoff:    5 * time.Second,
		MaxRetryAfter: 30 * time.Second,
	}
}

// NoRetries returns the policy that turns retries off: one attempt per
// request. WithRetry(NoRetries()).
func NoRetries() RetryPolicy { return RetryPolicy{MaxAttempts: 1} }

func (p RetryPolicy) validate() error {
	switch {
	case p.MaxAttempts < 1:
		return errors.New("MaxAttempts must be at least 1")
	case p.MinBackoff < 0 || p.MaxBackoff < 0 || p.MaxRetryAfter < 0:
		return errors.New("backoff durations must not be negative")
	case p.MaxBackoff < p.MinBackoff:
		return errors.New("MaxBackoff is below MinBackoff")
	}
	return nil
}

// backoff returns the wait before attempt n+1 after attempt n failed:
// exponential growth with "equal jitter" (half fixed, half random), capped.
func (p RetryPolicy) backoff(n int) time.Duration {
	d := p.MinBackoff
	for i := 1; i < n && d < p.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, p.MaxBackoff)
	if d <= 0 {
		return 0
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// retryAfter parses a Retry-After header (seconds or an HTTP date) and caps
// it by the policy. ok is false when there is no usable header.
func (p RetryPolicy) retryAfter(h string, now time.Time) (time.Duration, bool) {
	if h == "" {
		return 0, false
	}
	limit := p.MaxRetryAfter
	if limit == 0 {
		limit = p.MaxBackoff
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(h, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		// Cap before multiplying: a huge value would overflow to a
		// negative wait.
		if secs >= int64(limit/time.Second)+1 {
			return limit, true
		}
		d = time.Duration(secs) * time.Second
	} else if errors.Is(err, strconv.ErrRange) && !strings.HasPrefix(h, "-") {
		return limit, true // more seconds than an int64 holds
	} else if t, err := http.ParseTime(h); err == nil {
		d = max(t.Sub(now), 0)
	} else {
		return 0, false
	}
	return min(d, limit), true
}

// retryableStatus reports whether a status is worth another attempt.
func retryableStatus(code int) bool {
	switch code {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// retryableTransportError reports whether a transport error (the call's own
// context still being live) is worth another attempt: connection refused or
// reset, unexpected EOF, timeouts (including the per-attempt timeout).
// Certificate errors are not: they will not heal by themselves.
func retryableTransportError(err error) bool {
	if err == nil || isCertificateError(err) {
		return false
	}
	// A name that does not resolve will not resolve a second later.
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
		return false
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	var oe *net.OpError
	return errors.As(err, &oe)
}

func isCertificateError(err error) bool { return em.IsTLSError(err) }
