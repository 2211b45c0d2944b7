package vem

import (
	"context"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stopper ends a context in one of the two ways a caller can.
type stopper struct {
	name string
	want error
	// ctx returns a context and the function that ends it (for the deadline
	// kind, ending it is the clock's job and the function only cleans up).
	ctx func() (context.Context, context.CancelFunc)
	// endsByItself is true for deadlines.
	endsByItself bool
}

var stoppers = []stopper{
	{"deadline", context.DeadlineExceeded, func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(context.Background(), 50*time.Millisecond)
	}, true},
	{"cancel", context.Canceled, func() (context.Context, context.CancelFunc) {
		return context.WithCancel(context.Background())
	}, false},
}

// within returns the error a call sends on errc. A call that ignores its
// context would wait for an hour or forever; within fails the test after
// ten seconds instead of hanging (a liveness bound, not a speed check).
func within(t *testing.T, errc <-chan error) error {
	t.Helper()
	select {
	case err := <-errc:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("the call did not return after its context ended")
		return nil
	}
}

// A caller waiting for the shared logon gives up when its context ends; the
// logon itself goes on for the others and its session is used afterwards.
func TestContextWhileWaitingForLogon(t *testing.T) {
	t.Parallel()
	for _, st := range stoppers {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			em := newFakeEM(t)
			em.serveTask(seedGUID, ctXML, readFixture(t, "backuptasksession.xml"))
			entered := make(chan struct{})
			release := make(chan struct{})
			em.mt.RegisterResponderWithQuery(http.MethodPost, testBase+"/api/sessionMngr/", "v=latest", func(req *http.Request) (*http.Response, error) {
				close(entered)
				<-release
				return em.logon(req)
			})
			c := em.client(t)

			ctx, cancel := st.ctx()
			defer cancel()
			errc := make(chan error, 2)
			go func() { errc <- c.Logon(ctx) }()
			go func() { _, err := c.GetBackupTaskSession(ctx, seedGUID); errc <- err }()
			<-entered
			if !st.endsByItself {
				cancel()
			}
			for range 2 {
				err := within(t, errc)
				require.ErrorIs(t, err, st.want)
				assert.NotErrorIs(t, err, ErrUnauthorized)
			}

			close(release)
			_, err := c.GetBackupTaskSession(context.Background(), seedGUID)
			require.NoError(t, err)
			assert.EqualValues(t, 1, em.logons.Load(), "the abandoned logon was shared, not repeated")
		})
	}
}

// The request in flight is abandoned when the context ends, and not retried.
func TestContextDuringRequest(t *testing.T) {
	t.Parallel()
	for _, st := range stoppers {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			em := newFakeEM(t)
			entered := make(chan struct{}, 10)
			rec := em.serveTaskFunc(seedGUID, func(_ int, req *http.Request) (*http.Response, error) {
				entered <- struct{}{}
				<-req.Context().Done()
				return nil, req.Context().Err()
			})
			c := em.client(t, WithRetry(slowRetry))
			require.NoError(t, c.Logon(context.Background()))

			ctx, cancel := st.ctx()
			defer cancel()
			go func() {
				<-entered
				if !st.endsByItself {
					cancel()
				}
			}()
			errc := make(chan error, 1)
			go func() { _, err := c.GetBackupTaskSession(ctx, seedGUID); errc <- err }()
			err := within(t, errc)
			require.ErrorIs(t, err, st.want)
			var re *RequestError
			require.ErrorAs(t, err, &re)
			assert.Equal(t, 1, re.Attempts)
			assert.Equal(t, 1, rec.count(), "no retry after the caller gave up")
		})
	}
}

// The wait between two attempts ends with the context. The retry policy
// would wait an hour, so only an honoured context lets the test finish.
func TestContextDuringRetryBackoff(t *testing.T) {
	t.Parallel()
	for _, st := range stoppers {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := st.ctx()
			defer cancel()
			em := newFakeEM(t)
			rec := em.serveTaskFunc(seedGUID, func(int, *http.Request) (*http.Response, error) {
				return mockResp(http.StatusServiceUnavailable, ctXML, nil), nil
			})
			// The cancel kind cancels right when the client announces the
			// backoff, i.e. just before it starts waiting.
			logger := slog.New(hookHandler{fn: func(r slog.Record) {
				if r.Message == "vem: retrying" && !st.endsByItself {
					cancel()
				}
			}})
			c := em.client(t, WithRetry(slowRetry), WithLogger(logger))
			require.NoError(t, c.Logon(context.Background()))

			errc := make(chan error, 1)
			go func() { _, err := c.GetBackupTaskSession(ctx, seedGUID); errc <- err }()
			require.ErrorIs(t, within(t, errc), st.want)
			assert.Equal(t, 1, rec.count(), "the second attempt never came")
		})
	}
}

// The per-attempt timeout (WithTimeout) ends a hanging attempt; the call's
// own context still lives, so the attempt is retried.
func TestPerAttemptTimeoutIsRetried(t *testing.T) {
	t.Parallel()
	em := newFakeEM(t)
	seed := readFixture(t, "backuptasksession.xml")
	rec := em.serveTaskFunc(seedGUID, func(n int, req *http.Request) (*http.Response, error) {
		if n == 1 {
			<-req.Context().Done()
			return nil, req.Context().Err()
		}
		return mockResp(http.StatusOK, ctXML, seed), nil
	})
	c := em.client(t, WithTimeout(100*time.Millisecond))
	_, err := c.GetBackupTaskSession(context.Background(), seedGUID)
	require.NoError(t, err)
	assert.Equal(t, 2, rec.count())
}
