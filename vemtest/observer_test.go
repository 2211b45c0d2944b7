package vemtest_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vemkit/vem"
	"github.com/vemkit/vem/vemtest"
)

// obs is what TestObserverAgainstFake asserts of one event.
type obs struct {
	Kind    vem.RequestKind
	Method  string
	Path    string
	Attempt int
	Status  int
	Outcome vem.RequestOutcome
	Retry   bool
}

// TestObserverAgainstFake runs the main request paths against the fake EM
// and asserts the exact observer events, and that they agree with the
// server's own counts of requests and logons.
func TestObserverAgainstFake(t *testing.T) {
	ctx := context.Background()
	seed := "/api/backupTaskSessions/" + vemtest.SeedBackupTaskSessionID
	logon := obs{vem.RequestKindLogon, http.MethodPost, "/api/sessionMngr/", 1, http.StatusCreated, vem.RequestOutcomeOK, false}
	get := obs{vem.RequestKindCall, http.MethodGet, seed, 1, http.StatusOK, vem.RequestOutcomeOK, false}
	logout := obs{vem.RequestKindLogout, http.MethodDelete, "/api/logonSessions/{ID}", 1, http.StatusNoContent, vem.RequestOutcomeOK, false}
	tests := []struct {
		name string
		pass string // "" is the server's password
		run  func(t *testing.T, srv *vemtest.Server, c *vem.Client)
		want []obs
	}{
		{
			name: "plain GET",
			run: func(t *testing.T, _ *vemtest.Server, c *vem.Client) {
				_, err := c.GetBackupTaskSession(ctx, vemtest.SeedBackupTaskSessionID)
				require.NoError(t, err)
			},
			want: []obs{logon, get, logout},
		},
		{
			name: "retried GET",
			run: func(t *testing.T, srv *vemtest.Server, c *vem.Client) {
				require.NoError(t, c.Logon(ctx))
				srv.FailNext(1, http.StatusServiceUnavailable)
				_, err := c.GetBackupTaskSession(ctx, vemtest.SeedBackupTaskSessionID)
				require.NoError(t, err)
			},
			want: []obs{logon,
				{vem.RequestKindCall, http.MethodGet, seed, 1, http.StatusServiceUnavailable, vem.RequestOutcomeHTTPError, true},
				{vem.RequestKindCall, http.MethodGet, seed, 2, http.StatusOK, vem.RequestOutcomeOK, false}, logout},
		},
		{
			name: "expired session",
			run: func(t *testing.T, srv *vemtest.Server, c *vem.Client) {
				_, err := c.GetBackupTaskSession(ctx, vemtest.SeedBackupTaskSessionID)
				require.NoError(t, err)
				srv.ExpireSessions()
				_, err = c.GetBackupTaskSession(ctx, vemtest.SeedBackupTaskSessionID)
				require.NoError(t, err)
			},
			want: []obs{logon, get,
				{vem.RequestKindCall, http.MethodGet, seed, 1, http.StatusUnauthorized, vem.RequestOutcomeHTTPError, false},
				{vem.RequestKindRenewal, http.MethodPost, "/api/sessionMngr/", 1, http.StatusCreated, vem.RequestOutcomeOK, false},
				get, logout},
		},
		{
			name: "logon failure",
			pass: "not-the-password",
			run: func(t *testing.T, _ *vemtest.Server, c *vem.Client) {
				_, err := c.GetBackupTaskSession(ctx, vemtest.SeedBackupTaskSessionID)
				require.ErrorIs(t, err, vem.ErrUnauthorized)
			},
			want: []obs{{vem.RequestKindLogon, http.MethodPost, "/api/sessionMngr/", 1, http.StatusUnauthorized, vem.RequestOutcomeHTTPError, false}},
		},
		{
			name: "logout on Close",
			run: func(t *testing.T, _ *vemtest.Server, c *vem.Client) {
				require.NoError(t, c.Logon(ctx))
				require.NoError(t, c.Close())
			},
			want: []obs{logon, logout},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			var (
				mu  sync.Mutex
				evs []vem.RequestEvent
			)
			opts := []vem.Option{vem.WithObserver(func(e vem.RequestEvent) {
				mu.Lock()
				evs = append(evs, e)
				mu.Unlock()
			})}
			if tt.pass != "" {
				opts = append(opts, vem.WithCredentials(srv.Username, tt.pass))
			}
			c, err := srv.NewClient(opts...)
			require.NoError(t, err)
			tt.run(t, srv, c)
			require.NoError(t, c.Close()) // logs out, unless run did

			mu.Lock()
			defer mu.Unlock()
			var got []obs
			logons := 0
			for _, e := range evs {
				p := e.Path
				if strings.HasPrefix(p, "/api/logonSessions/") {
					p = "/api/logonSessions/{ID}" // the SessionId differs each run
				}
				got = append(got, obs{e.Kind, e.Method, p, e.Attempt, e.Status, e.Outcome, e.Retry})
				if e.SessionOpened() {
					logons++
				}
			}
			assert.Equal(t, tt.want, got)
			st := srv.Stats()
			assert.Equal(t, st.Requests, len(evs), "one event per request the server saw")
			assert.Equal(t, st.Logons, logons, "SessionOpened counts the server's logons")
		})
	}
}
