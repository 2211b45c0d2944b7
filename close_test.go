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
		WithTimeout(time.Hour), WithRetry(NoRetry))
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
