package vem

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Close does not wait for a logon that hangs: the logon runs detached from
// the caller's context, so Close must stop it itself.
func TestCloseStopsHangingLogon(t *testing.T) {
	entered := make(chan struct{}, 1)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		assert.Equal(t, int64(0), r.ContentLength, "the logon POST has an empty body")
		assert.Empty(t, r.TransferEncoding)
		<-r.Context().Done() // hang until the client goes away
	}))
	defer srv.Close()
	c, err := New(srv.URL, WithCredentials("user", "secret-pass"), WithRootCAs(poolOf(srv)),
		WithTimeout(time.Hour), WithRetry(NoRetries()))
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- c.Logon(ctx) }()
	<-entered
	cancel()
	require.ErrorIs(t, <-errc, context.Canceled)

	// Close waits for a logon in flight only until its deadline (the
	// session it may open must be logged out), then stops it.
	closeCtx, closeCancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer closeCancel()
	done := make(chan error, 1)
	go func() { done <- c.CloseContext(closeCtx) }()
	select {
	case err := <-done:
		require.ErrorIs(t, err, context.DeadlineExceeded, "the caller learns that a session may be open")
	case <-time.After(30 * time.Second): // a generous bound; without the fix Close waits an hour
		t.Fatal("Close waited for the hanging logon")
	}
	assert.Empty(t, c.SessionID())
}

// TestCloseFailsCallsInFlightWithErrClosed: a call in flight when Close
// begins fails with ErrClosed; Close still logs out, once.
func TestCloseFailsCallsInFlightWithErrClosed(t *testing.T) {
	t.Parallel()
	em := newFakeEM(t)
	entered := make(chan struct{}, 1)
	em.serveTaskFunc(seedGUID, func(_ int, req *http.Request) (*http.Response, error) {
		entered <- struct{}{}
		<-req.Context().Done() // hang until the call is cancelled
		return nil, req.Context().Err()
	})
	c := em.client(t, WithTimeout(time.Hour))
	errc := make(chan error, 1)
	go func() {
		_, err := c.GetBackupTaskSession(context.Background(), seedGUID)
		errc <- err
	}()
	<-entered
	require.NoError(t, c.Close())
	err := within(t, errc)
	require.ErrorIs(t, err, ErrClosed)
	assert.NotErrorIs(t, err, context.Canceled, "the caller did not cancel anything")
	assert.EqualValues(t, 1, em.deletes.Load())
	assert.EqualValues(t, 1, em.logons.Load())
}

// TestCloseContextIsBounded: a logout that hangs, or that the server asks to
// retry in an hour, does not hold CloseContext past its context.
func TestCloseContextIsBounded(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		respond func(req *http.Request) (*http.Response, error)
	}{
		{"hanging DELETE", func(req *http.Request) (*http.Response, error) {
			<-req.Context().Done()
			return nil, req.Context().Err()
		}},
		{"503 with Retry-After: 3600", func(*http.Request) (*http.Response, error) {
			r := mockResp(http.StatusServiceUnavailable, ctHTML, nil)
			r.Header.Set("Retry-After", "3600")
			return r, nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			em := newFakeEM(t)
			em.mt.RegisterResponder(http.MethodDelete, testBase+"/api/logonSessions/"+logonSessID, tt.respond)
			c := em.client(t, WithTimeout(time.Hour), WithRetry(slowRetry))
			require.NoError(t, c.Logon(context.Background()))
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			errc := make(chan error, 1)
			go func() { errc <- c.CloseContext(ctx) }()
			require.ErrorIs(t, within(t, errc), context.DeadlineExceeded)
		})
	}
	assert.Equal(t, 10*time.Second, DefaultCloseTimeout, "Close's own bound is short")
}
