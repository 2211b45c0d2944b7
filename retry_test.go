package vem

import (
	"context"
	"crypto/x509"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRetryGETOnRetryableStatusThenSuccess(t *testing.T) {
	t.Parallel()
	for _, status := range []int{429, 502, 503, 504} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			t.Parallel()
			em := newFakeEM(t)
			seed := readFixture(t, "backuptasksession.xml")
			rec := em.serveTaskFunc(seedGUID, func(n int, req *http.Request) (*http.Response, error) {
				if n == 1 {
					return mockResp(status, ctHTML, []byte("busy")), nil
				}
				return mockResp(http.StatusOK, ctXML, seed), nil
			})
			c := em.client(t)
			s, err := c.GetBackupTaskSession(context.Background(), seedGUID)
			require.NoError(t, err)
			assert.Equal(t, wantSeed(), s)
			reqs := rec.all()
			require.Len(t, reqs, 2)
			assert.Equal(t, "tok-1", reqs[1].Header.Get(sessionHeader), "the retry carries the token")
			assert.EqualValues(t, 1, em.logons.Load())
		})
	}
}

func TestNoRetryOnOtherStatuses(t *testing.T) {
	t.Parallel()
	for _, status := range []int{400, 403, 404, 405, 500, 501} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			t.Parallel()
			em := newFakeEM(t)
			rec := em.serveTaskFunc(seedGUID, func(int, *http.Request) (*http.Response, error) {
				return mockResp(status, ctXML, nil), nil
			})
			c := em.client(t)
			_, err := c.GetBackupTaskSession(context.Background(), seedGUID)
			var ae *APIError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, status, ae.StatusCode)
			assert.Equal(t, 1, rec.count())
		})
	}
}

// With hour-long backoffs, only an honoured Retry-After: 0 lets the call
// finish before its deadline.
func TestRetryAfterHonoured(t *testing.T) {
	t.Parallel()
	for _, ra := range []string{"0", time.Unix(0, 0).UTC().Format(http.TimeFormat)} {
		t.Run(ra, func(t *testing.T) {
			t.Parallel()
			em := newFakeEM(t)
			seed := readFixture(t, "backuptasksession.xml")
			rec := em.serveTaskFunc(seedGUID, func(n int, req *http.Request) (*http.Response, error) {
				if n == 1 {
					r := mockResp(http.StatusServiceUnavailable, ctXML, nil)
					r.Header.Set("Retry-After", ra)
					return r, nil
				}
				return mockResp(http.StatusOK, ctXML, seed), nil
			})
			c := em.client(t, WithRetry(slowRetry))
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			_, err := c.GetBackupTaskSession(ctx, seedGUID)
			require.NoError(t, err)
			assert.Equal(t, 2, rec.count())
		})
	}
}

func TestRetryAfterParsing(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 10, 11, 20, 0, 0, 0, time.UTC)
	p := RetryPolicy{MaxAttempts: 2, MaxBackoff: 5 * time.Second, MaxRetryAfter: 30 * time.Second}
	tests := []struct {
		h      string
		want   time.Duration
		wantOK bool
	}{
		{"", 0, false},
		{"0", 0, true},
		{"7", 7 * time.Second, true},
		{"3600", 30 * time.Second, true},                    // capped by MaxRetryAfter
		{"9223372037", 30 * time.Second, true},              // would overflow to a negative wait
		{"99999999999999999999999", 30 * time.Second, true}, // more than an int64
		{"-1", 0, false},
		{"soon", 0, false},
		{now.Add(10 * time.Second).Format(http.TimeFormat), 10 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
	}
	for _, tt := range tests {
		got, ok := p.retryAfter(tt.h, now)
		assert.Equal(t, tt.wantOK, ok, tt.h)
		assert.Equal(t, tt.want, got, tt.h)
	}
	p.MaxRetryAfter = 0 // falls back to MaxBackoff
	got, ok := p.retryAfter("3600", now)
	assert.True(t, ok)
	assert.Equal(t, 5*time.Second, got)
}

func TestBackoffGrowsWithinBounds(t *testing.T) {
	t.Parallel()
	p := RetryPolicy{MaxAttempts: 10, MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second}
	for range 50 {
		for n, cap := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond, 5: time.Second, 9: time.Second} {
			d := p.backoff(n)
			assert.GreaterOrEqual(t, d, cap/2, "attempt %d", n)
			assert.LessOrEqual(t, d, cap, "attempt %d", n)
		}
	}
	assert.Zero(t, NoRetries().backoff(1))
}

func TestRetryAttemptsInFinalError(t *testing.T) {
	t.Parallel()
	t.Run("status", func(t *testing.T) {
		t.Parallel()
		em := newFakeEM(t)
		rec := em.serveTaskFunc(seedGUID, func(int, *http.Request) (*http.Response, error) {
			return mockResp(http.StatusServiceUnavailable, ctHTML, []byte("<html>down</html>")), nil
		})
		c := em.client(t)
		_, err := c.GetBackupTaskSession(context.Background(), seedGUID)
		var ae *APIError
		require.ErrorAs(t, err, &ae)
		assert.Equal(t, http.StatusServiceUnavailable, ae.StatusCode)
		assert.Equal(t, 3, ae.Attempts)
		assert.Contains(t, err.Error(), "after 3 attempts")
		assert.Equal(t, 3, rec.count())
	})
	t.Run("transport error", func(t *testing.T) {
		t.Parallel()
		em := newFakeEM(t)
		rec := em.serveTaskFunc(seedGUID, func(int, *http.Request) (*http.Response, error) {
			return nil, syscall.ECONNRESET
		})
		c := em.client(t)
		_, err := c.GetBackupTaskSession(context.Background(), seedGUID)
		require.ErrorIs(t, err, syscall.ECONNRESET)
		var re *RequestError
		require.ErrorAs(t, err, &re)
		assert.Equal(t, 3, re.Attempts)
		assert.Equal(t, http.MethodGet, re.Method)
		assert.Equal(t, "/api/backupTaskSessions/"+seedGUID, re.Path)
		assert.Contains(t, err.Error(), "after 3 attempts")
		assert.Equal(t, 3, rec.count())
	})
}

func TestRetryTransportErrorThenSuccess(t *testing.T) {
	t.Parallel()
	for _, cause := range []error{syscall.ECONNRESET, syscall.ECONNREFUSED, syscall.EPIPE} {
		t.Run(cause.Error(), func(t *testing.T) {
			t.Parallel()
			em := newFakeEM(t)
			seed := readFixture(t, "backuptasksession.xml")
			rec := em.serveTaskFunc(seedGUID, func(n int, req *http.Request) (*http.Response, error) {
				if n == 1 {
					return nil, cause
				}
				return mockResp(http.StatusOK, ctXML, seed), nil
			})
			c := em.client(t)
			_, err := c.GetBackupTaskSession(context.Background(), seedGUID)
			require.NoError(t, err)
			assert.Equal(t, 2, rec.count())
		})
	}
}

func TestNonRetryableTransportError(t *testing.T) {
	t.Parallel()
	em := newFakeEM(t)
	rec := em.serveTaskFunc(seedGUID, func(int, *http.Request) (*http.Response, error) {
		// A certificate error inside a net.OpError: not worth a retry.
		return nil, &net.OpError{Op: "remote error", Net: "tcp", Err: x509.UnknownAuthorityError{}}
	})
	c := em.client(t)
	_, err := c.GetBackupTaskSession(context.Background(), seedGUID)
	var re *RequestError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, 1, re.Attempts)
	assert.Equal(t, 1, rec.count())
}

func TestNoRetryPolicy(t *testing.T) {
	t.Parallel()
	em := newFakeEM(t)
	rec := em.serveTaskFunc(seedGUID, func(int, *http.Request) (*http.Response, error) {
		return mockResp(http.StatusServiceUnavailable, ctXML, nil), nil
	})
	c := em.client(t, WithRetry(NoRetries()))
	_, err := c.GetBackupTaskSession(context.Background(), seedGUID)
	var ae *APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 1, ae.Attempts)
	assert.NotContains(t, err.Error(), "attempts")
	assert.Equal(t, 1, rec.count())
}

func TestLogonPOSTNotRetried(t *testing.T) {
	t.Parallel()
	t.Run("503", func(t *testing.T) {
		t.Parallel()
		em := newFakeEM(t)
		logons := &reqRecorder{}
		em.mt.RegisterResponderWithQuery(http.MethodPost, testBase+"/api/sessionMngr/", "v=latest", func(req *http.Request) (*http.Response, error) {
			logons.add(req)
			return mockResp(http.StatusServiceUnavailable, ctHTML, readFixture(t, "error-502.html")), nil
		})
		c := em.client(t, WithRetry(RetryPolicy{MaxAttempts: 4, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond}))
		_, err := c.GetBackupTaskSession(context.Background(), seedGUID)
		var ae *APIError
		require.ErrorAs(t, err, &ae)
		assert.Equal(t, http.StatusServiceUnavailable, ae.StatusCode)
		assert.Equal(t, http.MethodPost, ae.Method)
		assert.Equal(t, "/api/sessionMngr/", ae.Path)
		assert.Equal(t, 1, logons.count())
		assert.Zero(t, em.calls(http.MethodGet, em.taskURL(seedGUID)+"?format=Entity"))
	})
	// The mock transport never writes the request, so a connection error
	// there counts as "never sent" and the logon may be retried.
	t.Run("connection error before sending", func(t *testing.T) {
		t.Parallel()
		em := newFakeEM(t)
		var n atomic.Int32
		em.mt.RegisterResponderWithQuery(http.MethodPost, testBase+"/api/sessionMngr/", "v=latest", func(req *http.Request) (*http.Response, error) {
			if n.Add(1) == 1 {
				return nil, syscall.ECONNREFUSED
			}
			return em.logon(req)
		})
		c := em.client(t)
		require.NoError(t, c.Logon(context.Background()))
		assert.EqualValues(t, 2, n.Load())
	})
}

// Retries are logged at debug level with the attempt number.
func TestRetryIsLogged(t *testing.T) {
	t.Parallel()
	em := newFakeEM(t)
	seed := readFixture(t, "backuptasksession.xml")
	em.serveTaskFunc(seedGUID, func(n int, req *http.Request) (*http.Response, error) {
		if n == 1 {
			return mockResp(http.StatusServiceUnavailable, ctXML, nil), nil
		}
		return mockResp(http.StatusOK, ctXML, seed), nil
	})
	retries := make(chan slog.Record, 10)
	c := em.client(t, WithLogger(slog.New(hookHandler{fn: func(r slog.Record) {
		if r.Message == "vem: retrying" {
			retries <- r
		}
	}})))
	_, err := c.GetBackupTaskSession(context.Background(), seedGUID)
	require.NoError(t, err)
	require.Len(t, retries, 1)
	r := <-retries
	attrs := map[string]string{}
	r.Attrs(func(a slog.Attr) bool { attrs[a.Key] = a.Value.String(); return true })
	assert.Equal(t, "1", attrs["attempt"])
	assert.Equal(t, "Service Unavailable", attrs["reason"])
}

// TestDNSNotFoundIsNotRetried: a name that does not resolve is reported at
// once, for GETs and for the logon.
func TestDNSNotFoundIsNotRetried(t *testing.T) {
	t.Parallel()
	notFound := &net.DNSError{Err: "no such host", Name: "em", IsNotFound: true}
	assert.False(t, retryableTransportError(&url.Error{Op: "Get", URL: "https://em/api/", Err: &net.OpError{Op: "dial", Net: "tcp", Err: notFound}}))
	assert.True(t, retryableTransportError(&net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "server misbehaving", Name: "em", IsTemporary: true}}),
		"a DNS server failure may heal")

	em := newFakeEM(t)
	em.mt.RegisterResponderWithQuery(http.MethodPost, testBase+"/api/sessionMngr/", "v=latest", func(*http.Request) (*http.Response, error) {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: notFound}
	})
	c := em.client(t, WithRetry(RetryPolicy{MaxAttempts: 4, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond}))
	err := c.Logon(context.Background())
	var dnsErr *net.DNSError
	require.ErrorAs(t, err, &dnsErr)
	assert.Equal(t, 1, em.mt.GetTotalCallCount(), "no retry")
}
