package vem

import (
	"context"
	"net/http"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// eventLog collects observer events.
type eventLog struct {
	mu  sync.Mutex
	evs []RequestEvent
}

func (l *eventLog) observe(ev RequestEvent) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.evs = append(l.evs, ev)
}

func (l *eventLog) all() []RequestEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]RequestEvent(nil), l.evs...)
}

// ev is the part of an event a test asserts exactly.
type ev struct {
	Kind    RequestKind
	Method  string
	Path    string
	Attempt int
	Status  int
	Outcome RequestOutcome
	Retry   bool
}

func brief(evs []RequestEvent) []ev {
	var out []ev
	for _, e := range evs {
		out = append(out, ev{e.Kind, e.Method, e.Path, e.Attempt, e.Status, e.Outcome, e.Retry})
	}
	return out
}

// checkEvents asserts what every event must hold whatever the test: a
// duration, an error exactly when the outcome is not ok, and no secret.
func checkEvents(t *testing.T, evs []RequestEvent) {
	t.Helper()
	for _, e := range evs {
		assert.GreaterOrEqual(t, e.Duration, time.Duration(0), e.String())
		if e.Outcome == RequestOutcomeOK {
			assert.NoError(t, e.Err, e.String())
		} else {
			assert.Error(t, e.Err, e.String())
		}
		if e.Outcome == RequestOutcomeHTTPError {
			var ae *APIError
			require.ErrorAs(t, e.Err, &ae)
			assert.Equal(t, e.Status, ae.StatusCode)
			assert.NotContains(t, ae.Error(), testPass)
		}
		assert.NotContains(t, e.String(), testPass)
		assert.NotContains(t, e.Path, "?")
	}
}

const (
	logonPath  = "/api/sessionMngr/"
	logoutPath = "/api/logonSessions/" + logonSessID
	seedPath   = "/api/backupTaskSessions/" + seedGUID
)

var (
	evLogon    = ev{RequestKindLogon, http.MethodPost, logonPath, 1, http.StatusCreated, RequestOutcomeOK, false}
	evSeedOK   = ev{RequestKindCall, http.MethodGet, seedPath, 1, http.StatusOK, RequestOutcomeOK, false}
	evLogout   = ev{RequestKindLogout, http.MethodDelete, logoutPath, 1, http.StatusNoContent, RequestOutcomeOK, false}
	evSeed401  = ev{RequestKindCall, http.MethodGet, seedPath, 1, http.StatusUnauthorized, RequestOutcomeHTTPError, false}
	evRenewal  = ev{RequestKindRenewal, http.MethodPost, logonPath, 1, http.StatusCreated, RequestOutcomeOK, false}
	evLogon401 = ev{RequestKindLogon, http.MethodPost, logonPath, 1, http.StatusUnauthorized, RequestOutcomeHTTPError, false}
)

// TestObserverSequences asserts the exact events of the main request
// paths: every attempt, logons, renewals and logouts included.
func TestObserverSequences(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		opts  []Option
		setup func(em *fakeEM)
		run   func(t *testing.T, c *Client, em *fakeEM)
		want  []ev
	}{
		{
			name:  "plain GET",
			setup: func(em *fakeEM) { em.serveTask(seedGUID, ctXML, readFixture(t, "backuptasksession.xml")) },
			run: func(t *testing.T, c *Client, _ *fakeEM) {
				_, err := c.GetBackupTaskSession(ctx, seedGUID)
				require.NoError(t, err)
			},
			want: []ev{evLogon, evSeedOK},
		},
		{
			name: "retried GET",
			setup: func(em *fakeEM) {
				body := readFixture(t, "backuptasksession.xml")
				em.serveTaskFunc(seedGUID, func(n int, _ *http.Request) (*http.Response, error) {
					if n == 1 {
						return mockResp(http.StatusServiceUnavailable, ctHTML, []byte("<html>busy</html>")), nil
					}
					return mockResp(http.StatusOK, ctXML, body), nil
				})
			},
			run: func(t *testing.T, c *Client, _ *fakeEM) {
				_, err := c.GetBackupTaskSession(ctx, seedGUID)
				require.NoError(t, err)
			},
			want: []ev{evLogon,
				{RequestKindCall, http.MethodGet, seedPath, 1, http.StatusServiceUnavailable, RequestOutcomeHTTPError, true},
				{RequestKindCall, http.MethodGet, seedPath, 2, http.StatusOK, RequestOutcomeOK, false}},
		},
		{
			name: "transport error retried",
			setup: func(em *fakeEM) {
				body := readFixture(t, "backuptasksession.xml")
				em.serveTaskFunc(seedGUID, func(n int, _ *http.Request) (*http.Response, error) {
					if n == 1 {
						return nil, syscall.ECONNRESET
					}
					return mockResp(http.StatusOK, ctXML, body), nil
				})
			},
			run: func(t *testing.T, c *Client, _ *fakeEM) {
				_, err := c.GetBackupTaskSession(ctx, seedGUID)
				require.NoError(t, err)
			},
			want: []ev{evLogon,
				{RequestKindCall, http.MethodGet, seedPath, 1, 0, RequestOutcomeTransportError, true},
				{RequestKindCall, http.MethodGet, seedPath, 2, http.StatusOK, RequestOutcomeOK, false}},
		},
		{
			name:  "expired session",
			setup: func(em *fakeEM) { em.serveTask(seedGUID, ctXML, readFixture(t, "backuptasksession.xml")) },
			run: func(t *testing.T, c *Client, em *fakeEM) {
				_, err := c.GetBackupTaskSession(ctx, seedGUID)
				require.NoError(t, err)
				em.expire()
				_, err = c.GetBackupTaskSession(ctx, seedGUID)
				require.NoError(t, err)
			},
			want: []ev{evLogon, evSeedOK, evSeed401, evRenewal, evSeedOK},
		},
		{
			name:  "logon failure",
			opts:  []Option{WithCredentials(testUser, "wrong-password")},
			setup: func(em *fakeEM) { em.serveTask(seedGUID, ctXML, readFixture(t, "backuptasksession.xml")) },
			run: func(t *testing.T, c *Client, _ *fakeEM) {
				_, err := c.GetBackupTaskSession(ctx, seedGUID)
				require.ErrorIs(t, err, ErrUnauthorized)
			},
			want: []ev{evLogon401},
		},
		{
			name:  "logout on Close",
			setup: func(em *fakeEM) { em.serveTask(seedGUID, ctXML, readFixture(t, "backuptasksession.xml")) },
			run: func(t *testing.T, c *Client, _ *fakeEM) {
				_, err := c.GetBackupTaskSession(ctx, seedGUID)
				require.NoError(t, err)
				require.NoError(t, c.Close())
			},
			want: []ev{evLogon, evSeedOK, evLogout},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			em := newFakeEM(t)
			tt.setup(em)
			var log eventLog
			c := em.client(t, append([]Option{WithObserver(log.observe)}, tt.opts...)...)
			tt.run(t, c, em)
			evs := log.all()
			checkEvents(t, evs)
			assert.Equal(t, tt.want, brief(evs))
		})
	}
}

// TestObserverCanceled: an attempt cut by the caller's context is reported
// as canceled, with the context's error.
func TestObserverCanceled(t *testing.T) {
	em := newFakeEM(t)
	ctx, cancel := context.WithCancel(context.Background())
	em.serveTaskFunc(seedGUID, func(_ int, req *http.Request) (*http.Response, error) {
		cancel()
		<-req.Context().Done()
		return nil, req.Context().Err()
	})
	var log eventLog
	c := em.client(t, WithObserver(log.observe))
	_, err := c.GetBackupTaskSession(ctx, seedGUID)
	require.ErrorIs(t, err, context.Canceled)
	evs := log.all()
	checkEvents(t, evs)
	assert.Equal(t, []ev{evLogon, {RequestKindCall, http.MethodGet, seedPath, 1, 0, RequestOutcomeCanceled, false}}, brief(evs))
	assert.ErrorIs(t, evs[1].Err, context.Canceled)
}

func TestWithObserverNil(t *testing.T) {
	_, err := New(testBase, WithObserver(nil))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "WithObserver")
}

func TestRequestEventString(t *testing.T) {
	e := RequestEvent{Kind: RequestKindRenewal, Method: "POST", Path: "/api/sessionMngr/", Query: "v=latest", Attempt: 2,
		Status: 201, Outcome: RequestOutcomeOK, Duration: 1500 * time.Microsecond, Retry: false}
	assert.Equal(t, "POST /api/sessionMngr/?v=latest [renewal] 201 ok attempt=2 1.5ms", e.String())
	assert.True(t, e.SessionOpened())
	e.Kind = RequestKindCall
	assert.False(t, e.SessionOpened())
}

// TestObserverTimeout: attempts cut by the per-attempt timeout are reported
// as timeouts, retried until the policy's last attempt.
func TestObserverTimeout(t *testing.T) {
	em := newFakeEM(t)
	em.serveTaskFunc(seedGUID, func(_ int, req *http.Request) (*http.Response, error) {
		<-req.Context().Done()
		return nil, req.Context().Err()
	})
	var log eventLog
	c := em.client(t, WithObserver(log.observe), WithTimeout(30*time.Millisecond))
	_, err := c.GetBackupTaskSession(context.Background(), seedGUID)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	evs := log.all()
	checkEvents(t, evs)
	assert.Equal(t, []ev{evLogon,
		{RequestKindCall, http.MethodGet, seedPath, 1, 0, RequestOutcomeTimeout, true},
		{RequestKindCall, http.MethodGet, seedPath, 2, 0, RequestOutcomeTimeout, true},
		{RequestKindCall, http.MethodGet, seedPath, 3, 0, RequestOutcomeTimeout, false},
	}, brief(evs))
	for _, e := range evs[1:] {
		assert.GreaterOrEqual(t, e.Duration, 30*time.Millisecond)
	}
}
