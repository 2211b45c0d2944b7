package vem

import (
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMayRenew is the session rule, decision by decision.
func TestMayRenew(t *testing.T) {
	t.Parallel()
	logon := func(context.Context) (string, string, error) { return "", "", errors.New("unused") }
	type state struct {
		credentials bool
		gen         uint64 // the session's current generation
		token       string
		worked      uint64 // newest generation that answered something else than 401
	}
	tests := []struct {
		name     string
		s        state
		gen      uint64 // generation of the token that met the 401
		before   sessionRetry
		want     bool
		wantRetr sessionRetry
	}{
		{"no credentials: never", state{false, 1, "tok-1", 0}, 1, sessionRetry{}, false, sessionRetry{}},
		{"first 401: log on", state{true, 1, "tok-1", 1}, 1, sessionRetry{}, true, sessionRetry{1, true}},
		{"first 401 on a session that never worked: log on once", state{true, 1, "tok-1", 0}, 1, sessionRetry{}, true, sessionRetry{1, true}},
		{"token replaced meanwhile: repeat without a logon of its own", state{true, 2, "tok-2", 0}, 1, sessionRetry{}, true, sessionRetry{1, false}},
		{"token replaced after the call's own logon: repeat", state{true, 3, "tok-3", 0}, 2, sessionRetry{1, true}, true, sessionRetry{2, true}},
		{"401 on the fresh session the call logged on, never worked: refusal", state{true, 2, "tok-2", 1}, 2, sessionRetry{1, true}, false, sessionRetry{1, true}},
		{"401 on the fresh session that worked meanwhile: an expiry, log on again", state{true, 2, "tok-2", 2}, 2, sessionRetry{1, true}, true, sessionRetry{2, true}},
		{"fourth 401: never", state{true, 5, "tok-5", 5}, 4, sessionRetry{3, true}, false, sessionRetry{3, true}},
		{"logon in flight (no token): counts as the call's logon", state{true, 2, "", 0}, 1, sessionRetry{}, true, sessionRetry{1, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var l func(context.Context) (string, string, error)
			if tt.s.credentials {
				l = logon
			}
			s := newSession(l, time.Second, slog.New(slog.DiscardHandler), "", make(chan struct{}))
			s.gen, s.token = tt.s.gen, tt.s.token
			s.markWorked(tt.s.worked)
			r := tt.before
			assert.Equal(t, tt.want, s.mayRenew(tt.gen, &r))
			assert.Equal(t, tt.wantRetr, r)
		})
	}
}

// TestLogonNotEnterpriseManager: a logon answered as EM never answers is
// ErrNotEnterpriseManager, never ErrNotFound, and the message says what to
// check.
func TestLogonNotEnterpriseManager(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		ct     string
		body   string
		header map[string]string
	}{
		{"404 (VBR REST API on 9419, a proxy path)", http.StatusNotFound, "application/problem+json", `{"title":"Not Found"}`, nil},
		{"404 HTML", http.StatusNotFound, ctHTML, "<html><body>Not Found</body></html>", nil},
		{"405", http.StatusMethodNotAllowed, ctHTML, "", nil},
		{"400", http.StatusBadRequest, ctJSON, `{"message":"bad"}`, nil},
		{"401 Bearer", http.StatusUnauthorized, ctJSON, `{"error":"unauthorized"}`, map[string]string{"WWW-Authenticate": `Bearer realm="api"`}},
		{"200 HTML page", http.StatusOK, ctHTML, "<html>Welcome</html>", nil},
		{"201 without a token", http.StatusCreated, ctXML, "<LogonSession/>", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			em := newFakeEM(t)
			em.mt.RegisterResponderWithQuery(http.MethodPost, testBase+"/api/sessionMngr/", "v=latest", func(*http.Request) (*http.Response, error) {
				r := mockResp(tt.status, tt.ct, []byte(tt.body))
				for k, v := range tt.header {
					r.Header.Set(k, v)
				}
				return r, nil
			})
			c := em.client(t)
			err := c.Logon(context.Background())
			require.ErrorIs(t, err, ErrNotEnterpriseManager)
			assert.NotErrorIs(t, err, ErrNotFound, "a script must not read a wrong server as a missing object")
			assert.NotErrorIs(t, err, ErrUnauthorized)
			var ne *NotEnterpriseManagerError
			require.ErrorAs(t, err, &ne)
			assert.Equal(t, tt.status, ne.StatusCode)
			for _, s := range []string{"9398", "9419", "/api"} {
				assert.Contains(t, err.Error(), s)
			}
			assert.Empty(t, c.SessionID())
		})
	}

	t.Run("EM's own 401 stays ErrUnauthorized", func(t *testing.T) {
		t.Parallel()
		em := newFakeEM(t)
		c := em.client(t, WithCredentials(testUser, "wrong-password"))
		err := c.Logon(context.Background())
		require.ErrorIs(t, err, ErrUnauthorized)
		assert.NotErrorIs(t, err, ErrNotEnterpriseManager)
	})
}

// TestLogonRefusesHugeToken: a token longer than a few KB would be re-sent on
// every request; it is refused.
func TestLogonRefusesHugeToken(t *testing.T) {
	t.Parallel()
	em := newFakeEM(t)
	em.mt.RegisterResponderWithQuery(http.MethodPost, testBase+"/api/sessionMngr/", "v=latest", func(req *http.Request) (*http.Response, error) {
		r := mockResp(http.StatusCreated, ctXML, readFixture(t, "logonsession.xml"))
		r.Header.Set(sessionHeader, strings.Repeat("A", maxTokenBytes+1))
		return r, nil
	})
	c := em.client(t)
	err := c.Logon(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "over the limit")
	assert.Empty(t, c.SessionID())
}

// TestLogoutOfASessionEMNoLongerKnows: 401, 404, or a 500 about that session
// is a quiet success; any other failure is reported.
func TestLogoutOfASessionEMNoLongerKnows(t *testing.T) {
	t.Parallel()
	errBody := func(msg string) []byte {
		return []byte(`<Error Message="` + msg + `" StatusCode="500" xmlns="http://www.veeam.com/ent/v1.0" />`)
	}
	tests := []struct {
		name    string
		status  int
		body    []byte
		wantErr bool
	}{
		{"401", http.StatusUnauthorized, []byte(`<Error Message="Unauthorized" StatusCode="401" xmlns="http://www.veeam.com/ent/v1.0" />`), false},
		{"404", http.StatusNotFound, []byte(`<Error Message="Not found" StatusCode="404" xmlns="http://www.veeam.com/ent/v1.0" />`), false},
		{"500 naming the session", http.StatusInternalServerError, errBody("Logon session [" + logonSessID + "] was not found."), false},
		{"500 unknown session", http.StatusInternalServerError, errBody("Session does not exist"), false},
		{"500 about something else", http.StatusInternalServerError, errBody("Database connection lost"), true},
		{"403", http.StatusForbidden, []byte(`<Error Message="Forbidden" StatusCode="403" xmlns="http://www.veeam.com/ent/v1.0" />`), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			em := newFakeEM(t)
			em.mt.RegisterResponder(http.MethodDelete, testBase+"/api/logonSessions/"+logonSessID, func(*http.Request) (*http.Response, error) {
				return mockResp(tt.status, ctXML, tt.body), nil
			})
			c := em.client(t)
			require.NoError(t, c.Logon(context.Background()))
			err := c.Logout(context.Background())
			if tt.wantErr {
				require.Error(t, err)
				assert.Equal(t, "tok-1", c.SessionID(), "a failed logout keeps the token")
				return
			}
			require.NoError(t, err)
			assert.Empty(t, c.SessionID())
		})
	}
}

// TestLogoutOfABorrowedSessionEMNoLongerKnows: the lookup of a borrowed
// session's SessionId meets a 401: the session is gone, Logout succeeds
// quietly and forgets it.
func TestLogoutOfABorrowedSessionEMNoLongerKnows(t *testing.T) {
	t.Parallel()
	em := newFakeEM(t)
	em.mt.RegisterResponder(http.MethodGet, testBase+"/api/logonSessions", func(*http.Request) (*http.Response, error) {
		return unauthorized(), nil
	})
	c := em.borrowedClient(t, "ended-tok")
	require.NoError(t, c.Logout(context.Background()))
	assert.Empty(t, c.SessionID())
	assert.Equal(t, 1, em.mt.GetTotalCallCount(), "no DELETE of a guessed session")
}

// TestSecretsRedactedFromErrors: whatever the server echoes back, the
// password, the Basic value, its base64 and the token never reach an error.
func TestSecretsRedactedFromErrors(t *testing.T) {
	t.Parallel()
	b64 := base64.StdEncoding.EncodeToString([]byte(testUser + ":" + testPass))
	assertClean := func(t *testing.T, err error, tok string) {
		t.Helper()
		require.Error(t, err)
		var all []string
		all = append(all, err.Error())
		var ae *APIError
		if errors.As(err, &ae) {
			all = append(all, ae.Message, ae.FirstChanceExceptionMessage, ae.Snippet)
		}
		var de *DecodeError
		if errors.As(err, &de) {
			all = append(all, de.Snippet, de.Err.Error())
		}
		for _, s := range all {
			assert.NotContains(t, s, testPass)
			assert.NotContains(t, s, b64)
			assert.NotContains(t, s, strings.TrimRight(b64, "="))
			if tok != "" {
				assert.NotContains(t, s, tok)
			}
		}
		assert.Contains(t, err.Error(), redacted, "the redaction shows")
	}

	t.Run("logon 401 and 500 bodies", func(t *testing.T) {
		t.Parallel()
		for _, status := range []int{http.StatusUnauthorized, http.StatusInternalServerError} {
			em := newFakeEM(t)
			em.mt.RegisterResponderWithQuery(http.MethodPost, testBase+"/api/sessionMngr/", "v=latest", func(req *http.Request) (*http.Response, error) {
				echo := "got Authorization: " + req.Header.Get("Authorization") + " password " + testPass
				return mockResp(status, ctXML, []byte(`<Error Message="`+echo+`" StatusCode="500" xmlns="http://www.veeam.com/ent/v1.0"><FirstChanceExceptionMessage>`+b64+`</FirstChanceExceptionMessage></Error>`)), nil
			})
			c := em.client(t, WithRetry(NoRetries()))
			assertClean(t, c.Logon(context.Background()), "")

			em2 := newFakeEM(t)
			em2.mt.RegisterResponderWithQuery(http.MethodPost, testBase+"/api/sessionMngr/", "v=latest", func(req *http.Request) (*http.Response, error) {
				return mockResp(status, ctHTML, []byte("<html>"+req.Header.Get("Authorization")+"</html>")), nil
			})
			c2 := em2.client(t, WithRetry(NoRetries()))
			assertClean(t, c2.Logon(context.Background()), "")
		}
	})

	t.Run("token in Message, FirstChanceExceptionMessage and an HTML snippet", func(t *testing.T) {
		t.Parallel()
		em := newFakeEM(t)
		n := 0
		em.serveTaskFunc(seedGUID, func(_ int, req *http.Request) (*http.Response, error) {
			n++
			tok := req.Header.Get(sessionHeader)
			if n == 1 {
				return mockResp(http.StatusInternalServerError, ctXML, []byte(`<Error Message="session `+tok+` failed" StatusCode="500" xmlns="http://www.veeam.com/ent/v1.0"><FirstChanceExceptionMessage>token=`+tok+`</FirstChanceExceptionMessage></Error>`)), nil
			}
			return mockResp(http.StatusBadGateway, ctHTML, []byte("<html>upstream said "+tok+"</html>")), nil
		})
		c := em.client(t, WithRetry(NoRetries()))
		_, err := c.GetBackupTaskSession(context.Background(), seedGUID)
		assertClean(t, err, "tok-1")
		_, err = c.GetBackupTaskSession(context.Background(), seedGUID)
		assertClean(t, err, "tok-1")
	})

	t.Run("logout failure reported by Close", func(t *testing.T) {
		t.Parallel()
		em := newFakeEM(t)
		em.mt.RegisterResponder(http.MethodDelete, testBase+"/api/logonSessions/"+logonSessID, func(req *http.Request) (*http.Response, error) {
			return mockResp(http.StatusInternalServerError, ctXML, []byte(`<Error Message="database down while handling `+req.Header.Get(sessionHeader)+`" StatusCode="500" xmlns="http://www.veeam.com/ent/v1.0" />`)), nil
		})
		c := em.client(t, WithRetry(NoRetries()))
		require.NoError(t, c.Logon(context.Background()))
		assertClean(t, c.Close(), "tok-1")
	})
}

// TestCloseGoneServerLogsOutOnce: Close on a client whose server is gone
// makes one logout (with its retries) and returns one error.
func TestCloseGoneServerLogsOutOnce(t *testing.T) {
	t.Parallel()
	em := newFakeEM(t)
	c := em.client(t) // fastRetry: 3 attempts
	require.NoError(t, c.Logon(context.Background()))
	del := testBase + "/api/logonSessions/" + logonSessID
	em.mt.RegisterResponder(http.MethodDelete, del, func(*http.Request) (*http.Response, error) {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	})
	err := c.Close()
	require.Error(t, err)
	var re *RequestError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, fastRetry.MaxAttempts, em.calls(http.MethodDelete, del), "one logout, with its retries")
	assert.Equal(t, 1, strings.Count(err.Error(), "DELETE"), "one error: %v", err)
}

// TestNoLogonOnceCloseBegins: once Close has begun, neither a first logon
// nor a renewal starts, and a caller waiting for the logon in flight stops
// waiting.
func TestNoLogonOnceCloseBegins(t *testing.T) {
	t.Parallel()
	var logons atomic.Int32
	release := make(chan struct{})
	closing := make(chan struct{})
	s := newSession(func(ctx context.Context) (string, string, error) {
		logons.Add(1)
		select {
		case <-release:
		case <-ctx.Done():
			return "", "", ctx.Err()
		}
		return "tok", "", nil
	}, time.Minute, slog.New(slog.DiscardHandler), "", closing)

	waiting := make(chan error, 1)
	go func() { _, _, err := s.current(context.Background()); waiting <- err }()
	require.Eventually(t, func() bool { return logons.Load() == 1 }, 10*time.Second, time.Millisecond)
	close(closing)
	require.ErrorIs(t, <-waiting, ErrClosed, "the waiter stops waiting")

	_, _, err := s.current(context.Background())
	require.ErrorIs(t, err, ErrClosed, "joins the logon in flight, which Close will end")
	close(release)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	require.NoError(t, s.close(ctx), "the logon in flight ends, its session can be logged out")
	assert.Equal(t, "tok", s.token)

	require.ErrorIs(t, s.renew(context.Background(), s.gen), ErrClosed)
	_, _, err = s.current(context.Background())
	require.ErrorIs(t, err, ErrClosed)
	assert.EqualValues(t, 1, logons.Load(), "no logon began after Close")
}
