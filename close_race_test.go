package vem_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vemkit/vem"
	"github.com/vemkit/vem/vemtest"
)

// TestCloseWithRenewingCallsInFlight hammers Close while many calls renew
// their session against vemtest: Close never panics or races, no logon
// begins once Close has begun, every call succeeds or fails with ErrClosed
// (or ErrUnauthorized, when a fresh session expired before it worked),
// nothing is sent after Close returns, and no session is left
// open on the server.
func TestCloseWithRenewingCallsInFlight(t *testing.T) {
	srv := vemtest.NewServer()
	t.Cleanup(srv.Close)
	const rounds, workers = 8, 16
	for round := range rounds {
		c, err := vem.New(srv.URL, vem.WithHTTPClient(srv.Client()), vem.WithCredentials(srv.Username, srv.Password),
			vem.WithRetry(vem.NoRetries()))
		require.NoError(t, err)
		require.NoError(t, c.Logon(context.Background()))

		ctx, stop := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		var mu sync.Mutex
		var unexpected []error
		ok := 0
		for range workers {
			wg.Go(func() {
				for ctx.Err() == nil {
					_, err := c.GetBackupTaskSession(context.Background(), seedID)
					mu.Lock()
					switch {
					case err == nil:
						ok++
					case errors.Is(err, vem.ErrClosed):
						mu.Unlock()
						return
					case errors.Is(err, vem.ErrUnauthorized):
						// A fresh session expired before it served a call:
						// the session rule returns that 401.
					default:
						unexpected = append(unexpected, err)
					}
					mu.Unlock()
				}
			})
		}
		// Expire the sessions again and again, so that calls are renewing
		// when Close comes.
		expired := make(chan struct{})
		go func() {
			defer close(expired)
			for range 20 + round*5 {
				srv.ExpireSessions()
			}
		}()
		<-expired
		srv.ExpireSessions()
		require.NoError(t, c.Close(), "round %d", round)
		after := srv.Stats()
		stop()
		wg.Wait()

		assert.Empty(t, unexpected, "round %d: every call succeeds or fails with ErrClosed or ErrUnauthorized", round)
		_, err = c.GetBackupTaskSession(context.Background(), seedID)
		require.ErrorIs(t, err, vem.ErrClosed)
		now := srv.Stats()
		assert.Equal(t, after.Requests, now.Requests, "round %d: nothing is sent after Close returns", round)
		assert.Equal(t, 0, now.Logons-now.Logouts-now.Expirations, "round %d: no session left open (ok=%d)", round, ok)
		assert.Empty(t, c.SessionID())
	}
}
