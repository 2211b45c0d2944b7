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
	seed := "/api/backupTaskSessions/" + vemtest.SeedTaskSessionID
	logon := obs{vem.KindLogon, http.MethodPost, "/api/sessionMngr/", 1, http.StatusCreated, vem.OutcomeOK, false}
	get := obs{vem.KindRequest, http.MethodGet, seed, 1, http.StatusOK, vem.OutcomeOK, false}
	logout := obs{vem.KindLogout, http.MethodDelete, "/api/logonSessions/{ID}", 1, http.StatusNoContent, vem.OutcomeOK, false}
	tests := []struct {
		name string
		pass string // "" is the server's password
		run  func(t *testing.T, srv *vemtest.Server, c *vem.Client)
		want []obs
	}{
		{
			name: "plain GET",
			run: func(t *testing.T, _ *vemtest.Server, c *vem.Client) {
				_, err := c.GetBackupTaskSession(ctx, vemtest.SeedTaskSessionID)
				require.NoError(t, err)
			},
			want: []obs{logon, get, logout},
		},
		{
			name: "retried GET",
			run: func(t *testing.T, srv *vemtest.Server, c *vem.Client) {
				require.NoError(t, c.Logon(ctx))
				srv.FailNext(1, http.StatusServiceUnavailable)
				_, err := c.GetBackupTaskSession(ctx, vemtest.SeedTaskSessionID)
				require.NoError(t, err)
			},
			want: []obs{logon,
				{vem.KindRequest, http.MethodGet, seed, 1, http.StatusServiceUnavailable, vem.OutcomeHTTPError, true},
				{vem.KindRequest, http.MethodGet, seed, 2, http.StatusOK, vem.OutcomeOK, false}, logout},
		},
		{
			name: "expired session",
			run: func(t *testing.T, srv *vemtest.Server, c *vem.Client) {
				_, err := c.GetBackupTaskSession(ctx, vemtest.SeedTaskSessionID)
				require.NoError(t, err)
				srv.ExpireSessions()
				_, err = c.GetBackupTaskSession(ctx, vemtest.SeedTaskSessionID)
				require.NoError(t, err)
			},
			want: []obs{logon, get,
				{vem.KindRequest, http.MethodGet, seed, 1, http.StatusUnauthorized, vem.OutcomeHTTPError, false},
				{vem.KindRenewal, http.MethodPost, "/api/sessionMngr/", 1, http.StatusCreated, vem.OutcomeOK, false},
				get, logout},
		},
		{
			name: "logon failure",
			pass: "not-the-password",
			run: func(t *testing.T, _ *vemtest.Server, c *vem.Client) {
				_, err := c.GetBackupTaskSession(ctx, vemtest.SeedTaskSessionID)
				require.ErrorIs(t, err, vem.ErrUnauthorized)
			},
			want: []obs{{vem.KindLogon, http.MethodPost, "/api/sessionMngr/", 1, http.StatusUnauthorized, vem.OutcomeHTTPError, false}},
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
