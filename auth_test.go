package vem

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const logonSessionJSON = `{"Links":[{"Rel":"Delete","Href":"https://srv12.tech.local:9398/api/logonSessions/15a3fc97-0325-4119-b789-5c0367c6c565","Name":null,"Type":null}],"UserName":"SRV12\\Administrator","SessionId":"15a3fc97-0325-4119-b789-5c0367c6c565","Href":"https://srv12.tech.local:9398/api/logonSessions/15a3fc97-0325-4119-b789-5c0367c6c565","Type":"LogonSession"}`

func TestLogonIsLazy(t *testing.T) {
	t.Parallel()
	em := newFakeEM(t)
	rec := em.serveTask(seedGUID, ctXML, readFixture(t, "backuptasksession.xml"))
	c := em.client(t)
	assert.Zero(t, em.mt.GetTotalCallCount(), "New must not talk to the server")
	assert.Empty(t, c.SessionID())

	_, err := c.GetBackupTaskSession(context.Background(), seedGUID)
	require.NoError(t, err)
	assert.EqualValues(t, 1, em.logons.Load())
	assert.Equal(t, "tok-1", rec.last().Header.Get(sessionHeader))
	assert.Equal(t, "tok-1", c.SessionID())

	_, err = c.GetBackupTaskSession(context.Background(), seedGUID)
	require.NoError(t, err)
	assert.EqualValues(t, 1, em.logons.Load(), "the session is reused")
}

// Logon: POST /api/sessionMngr/?v=latest with Basic user:pass, 201, token
// from the X-RestSvcSessionId header, SessionId from the LogonSession body
// in XML or JSON (proved by Logout deleting that SessionId).
func TestLogonExplicit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		format Format
		ct     string
		body   string
	}{
		{"xml", FormatXML, ctXML, ""},
		{"json", FormatJSON, ctJSON, logonSessionJSON},
		{"json answer to xml client", FormatXML, "application/json", logonSessionJSON},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			em := newFakeEM(t)
			em.logonCT = tt.ct
			if tt.body != "" {
				em.logonBody = []byte(tt.body)
			}
			logons := &reqRecorder{}
			em.mt.RegisterResponderWithQuery(http.MethodPost, testBase+"/api/sessionMngr/", "v=latest", func(req *http.Request) (*http.Response, error) {
				logons.add(req)
				return em.logon(req)
			})
			c := em.client(t, WithFormat(tt.format))

			require.NoError(t, c.Logon(context.Background()))
			require.Equal(t, 1, logons.count())
			req := logons.last()
			assert.Equal(t, http.MethodPost, req.Method)
			assert.Equal(t, testBase+"/api/sessionMngr/?v=latest", req.URL.String())
			auth, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Basic ")
			require.True(t, ok, "Basic authorization expected, got %q", req.Header.Get("Authorization"))
			dec, err := base64.StdEncoding.DecodeString(auth)
			require.NoError(t, err)
			assert.Equal(t, testUser+":"+testPass, string(dec))
			assert.Empty(t, req.Header.Values(sessionHeader))
			assert.Equal(t, []string{acceptFor(tt.format)}, req.Header.Values("Accept"))
			assert.Equal(t, "tok-1", c.SessionID())

			// Logon again is a no-op while the session lives.
			require.NoError(t, c.Logon(context.Background()))
			assert.Equal(t, 1, logons.count())

			require.NoError(t, c.Logout(context.Background()))
			assert.EqualValues(t, 1, em.deletes.Load(), "DELETE /api/logonSessions/%s", logonSessID)
			assert.Zero(t, em.calls(http.MethodGet, testBase+"/api/logonSessions"), "SessionId must come from the logon body")
		})
	}
}

func TestLogonNeeds201AndToken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		token  string
	}{
		{"200 without token", http.StatusOK, ""},
		{"201 without token", http.StatusCreated, ""},
		{"302", http.StatusFound, "tok-x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			em := newFakeEM(t)
			em.mt.RegisterResponderWithQuery(http.MethodPost, testBase+"/api/sessionMngr/", "v=latest", func(req *http.Request) (*http.Response, error) {
				r := mockResp(tt.status, ctXML, readFixture(t, "logonsession.xml"))
				if tt.token != "" {
					r.Header.Set(sessionHeader, tt.token)
				}
				return r, nil
			})
			c := em.client(t)
			err := c.Logon(context.Background())
			require.Error(t, err)
			assert.Empty(t, c.SessionID())
		})
	}
}

func TestLogonConcurrentCallsShareOneLogon(t *testing.T) {
	t.Parallel()
	em := newFakeEM(t)
	em.logonDelay = 30 * time.Millisecond
	em.serveTask(seedGUID, ctXML, readFixture(t, "backuptasksession.xml"))
	c := em.client(t)

	const n = 100
	start := make(chan struct{})
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := c.GetBackupTaskSession(context.Background(), seedGUID)
			errs <- err
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.EqualValues(t, 1, em.logons.Load())
	assert.Equal(t, n, em.calls(http.MethodGet, em.taskURL(seedGUID)+"?format=Entity"))
}

// EM prefers a cookie over the header, so the client must keep no cookie
// jar, not even the one of the user's http.Client.
func TestNoCookieJar(t *testing.T) {
	t.Parallel()
	em := newFakeEM(t)
	rec := em.serveTask(seedGUID, ctXML, readFixture(t, "backuptasksession.xml"))
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	c := em.client(t, WithHTTPClient(&http.Client{Transport: em.mt, Jar: jar}))

	require.NoError(t, c.Logon(context.Background()))
	for range 2 {
		_, err := c.GetBackupTaskSession(context.Background(), seedGUID)
		require.NoError(t, err)
	}
	require.NoError(t, c.Logout(context.Background()))

	reqs := rec.all()
	require.Len(t, reqs, 2)
	for _, r := range reqs {
		assert.Empty(t, r.Header.Values("Cookie"))
		assert.Empty(t, r.Cookies())
		assert.Equal(t, []string{"tok-1"}, r.Header.Values(sessionHeader))
	}
	em.mu.Lock()
	for _, ck := range em.cookies {
		assert.Empty(t, ck, "no request may carry a Cookie header")
	}
	em.mu.Unlock()
	assert.Empty(t, jar.Cookies(mustParseURL(t, testBase+"/api/")), "the user's jar must not receive EM's cookie")
}

func TestNoCredentials(t *testing.T) {
	t.Parallel()
	em := newFakeEM(t)
	c, err := New(testBase, WithHTTPClient(&http.Client{Transport: em.mt}))
	require.NoError(t, err)
	defer c.Close()
	_, err = c.GetBackupTaskSession(context.Background(), seedGUID)
	require.ErrorIs(t, err, ErrNoCredentials)
	require.ErrorIs(t, c.Logon(context.Background()), ErrNoCredentials)
	assert.Zero(t, em.mt.GetTotalCallCount())
}

// An expired session (401) is renewed once and the request retried once.
func TestRelogonAfterExpiry(t *testing.T) {
	t.Parallel()
	em := newFakeEM(t)
	rec := em.serveTask(seedGUID, ctXML, readFixture(t, "backuptasksession.xml"))
	c := em.client(t)
	require.NoError(t, c.Logon(context.Background()))
	em.expire()

	s, err := c.GetBackupTaskSession(context.Background(), seedGUID)
	require.NoError(t, err)
	assert.Equal(t, UID(seedUID), s.UID)
	assert.EqualValues(t, 2, em.logons.Load())
	reqs := rec.all()
	require.Len(t, reqs, 2)
	assert.Equal(t, "tok-1", reqs[0].Header.Get(sessionHeader))
	assert.Equal(t, "tok-2", reqs[1].Header.Get(sessionHeader))
	assert.Equal(t, "tok-2", c.SessionID())
}

func TestRelogonConcurrentSharesOneLogon(t *testing.T) {
	t.Parallel()
	em := newFakeEM(t)
	em.serveTask(seedGUID, ctXML, readFixture(t, "backuptasksession.xml"))
	c := em.client(t)
	require.NoError(t, c.Logon(context.Background()))
	em.logonDelay = 30 * time.Millisecond // written before the goroutines start
	em.expire()

	const n = 100
	start := make(chan struct{})
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := c.GetBackupTaskSession(context.Background(), seedGUID)
			errs <- err
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.EqualValues(t, 2, em.logons.Load(), "one first logon and exactly one renewal")
	assert.Equal(t, "tok-2", c.SessionID())
}

// Callers whose 401 on the expired token arrives only after another caller
// has already renewed the session use the new session: no further logon.
func TestRelogonLate401sUseTheRenewedSession(t *testing.T) {
	t.Parallel()
	const n = 100
	em := newFakeEM(t)
	seed := readFixture(t, "backuptasksession.xml")
	var arrived atomic.Int32
	allIn := make(chan struct{})   // all n requests with tok-1 have arrived
	renewed := make(chan struct{}) // tok-2 has been used
	var once sync.Once
	wait := func(ch <-chan struct{}) bool {
		select {
		case <-ch:
			return true
		case <-time.After(10 * time.Second): // liveness bound, not a speed check
			return false
		}
	}
	em.serveTaskFunc(seedGUID, func(_ int, req *http.Request) (*http.Response, error) {
		switch req.Header.Get(sessionHeader) {
		case "tok-1":
			k := arrived.Add(1)
			if k == n {
				close(allIn)
			}
			// The first 401 is held until every caller is in flight; the
			// others are held until the renewed session is in use.
			gate := (<-chan struct{})(renewed)
			if k == 1 {
				gate = allIn
			}
			if !wait(gate) {
				return mockResp(http.StatusInternalServerError, ctXML, nil), nil
			}
			return unauthorized(), nil
		case "tok-2":
			once.Do(func() { close(renewed) })
			return mockResp(http.StatusOK, ctXML, seed), nil
		}
		return unauthorized(), nil
	})
	c := em.client(t)
	require.NoError(t, c.Logon(context.Background()))
	em.expire()

	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.GetBackupTaskSession(context.Background(), seedGUID)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.EqualValues(t, n, arrived.Load(), "every caller met the expired token")
	assert.EqualValues(t, 2, em.logons.Load(), "one first logon and exactly one renewal")
	assert.Equal(t, "tok-2", c.SessionID())
}

// 401s that must not be answered by logging on (again): no loop.
func TestUnauthorizedDoesNotLoop(t *testing.T) {
	t.Parallel()
	get := em401URL(seedGUID)

	t.Run("second 401 after a fresh logon", func(t *testing.T) {
		t.Parallel()
		em := newFakeEM(t)
		em.serveTaskFunc(seedGUID, func(n int, _ *http.Request) (*http.Response, error) {
			if n > 10 { // a client in a relogon loop: stop it rather than hang
				return mockResp(http.StatusInternalServerError, ctXML, nil), nil
			}
			return unauthorized(), nil
		})
		c := em.client(t)
		_, err := c.GetBackupTaskSession(context.Background(), seedGUID)
		require.ErrorIs(t, err, ErrUnauthorized)
		var ae *APIError
		require.ErrorAs(t, err, &ae)
		assert.Equal(t, http.StatusUnauthorized, ae.StatusCode)
		assert.EqualValues(t, 2, em.logons.Load())
		assert.Equal(t, 2, em.calls(http.MethodGet, get))
	})

	t.Run("wrong password", func(t *testing.T) {
		t.Parallel()
		em := newFakeEM(t)
		em.serveTask(seedGUID, ctXML, readFixture(t, "backuptasksession.xml"))
		c := em.client(t, WithCredentials(testUser, "wrong-password"))
		_, err := c.GetBackupTaskSession(context.Background(), seedGUID)
		require.ErrorIs(t, err, ErrUnauthorized)
		var ae *APIError
		require.ErrorAs(t, err, &ae)
		assert.Equal(t, http.MethodPost, ae.Method)
		assert.Equal(t, "/api/sessionMngr/", ae.Path)
		assert.Equal(t, "Authentication failed", ae.Message)
		assert.EqualValues(t, 1, em.logons.Load())
		assert.Zero(t, em.calls(http.MethodGet, get))

		require.ErrorIs(t, c.Logon(context.Background()), ErrUnauthorized)
		assert.EqualValues(t, 2, em.logons.Load(), "one logon per call")
		assert.Empty(t, c.SessionID())
	})

	t.Run("borrowed session", func(t *testing.T) {
		t.Parallel()
		em := newFakeEM(t)
		em.serveTask(seedGUID, ctXML, readFixture(t, "backuptasksession.xml"))
		c := em.borrowedClient(t, "expired-token")
		_, err := c.GetBackupTaskSession(context.Background(), seedGUID)
		require.ErrorIs(t, err, ErrUnauthorized)
		assert.Zero(t, em.logons.Load())
		assert.Equal(t, 1, em.calls(http.MethodGet, get))
	})

	t.Run("borrowed session with credentials renews once", func(t *testing.T) {
		t.Parallel()
		em := newFakeEM(t)
		em.serveTask(seedGUID, ctXML, readFixture(t, "backuptasksession.xml"))
		c := em.client(t, WithSessionID("expired-token"))
		_, err := c.GetBackupTaskSession(context.Background(), seedGUID)
		require.NoError(t, err)
		assert.EqualValues(t, 1, em.logons.Load())
		assert.Equal(t, 2, em.calls(http.MethodGet, get))
		assert.Equal(t, "tok-1", c.SessionID())
	})
}

func em401URL(guid string) string {
	return testBase + "/api/backupTaskSessions/" + guid + "?format=Entity"
}

func TestLogout(t *testing.T) {
	t.Parallel()
	em := newFakeEM(t)
	c := em.client(t)
	require.NoError(t, c.Logon(context.Background()))
	require.Equal(t, "tok-1", c.SessionID())

	require.NoError(t, c.Logout(context.Background()))
	assert.EqualValues(t, 1, em.deletes.Load())
	em.mu.Lock()
	assert.Equal(t, []string{"tok-1"}, em.deleted, "DELETE carries the token header")
	em.mu.Unlock()
	assert.False(t, em.isValid("tok-1"))
	assert.Empty(t, c.SessionID())

	calls := em.mt.GetTotalCallCount()
	require.NoError(t, c.Logout(context.Background()), "a second Logout is fine")
	assert.Equal(t, calls, em.mt.GetTotalCallCount(), "and sends nothing")
	assert.EqualValues(t, 1, em.deletes.Load())

	// A later call logs on again.
	require.NoError(t, c.Logon(context.Background()))
	assert.EqualValues(t, 2, em.logons.Load())
	assert.Equal(t, "tok-2", c.SessionID())
}

func TestLogoutWithoutSessionSendsNothing(t *testing.T) {
	t.Parallel()
	em := newFakeEM(t)
	c := em.client(t)
	require.NoError(t, c.Logout(context.Background()))
	assert.Zero(t, em.mt.GetTotalCallCount())
}

func TestLogoutForgetsTokenWhenSessionAlreadyGone(t *testing.T) {
	t.Parallel()
	em := newFakeEM(t)
	c := em.client(t)
	require.NoError(t, c.Logon(context.Background()))
	em.expire() // the DELETE now gets a 401
	require.NoError(t, c.Logout(context.Background()))
	assert.Empty(t, c.SessionID())
	assert.Equal(t, 1, em.calls(http.MethodDelete, testBase+"/api/logonSessions/"+logonSessID))
}

const logonSessionsXML = `<LogonSessions xmlns="http://www.veeam.com/ent/v1.0">
  <LogonSession Type="LogonSession" Href="https://em:9398/api/logonSessions/6b0d7c8e-1f2a-4b3c-9d4e-5f6a7b8c9d0e">
    <Links><Link Rel="Delete" Href="https://em:9398/api/logonSessions/6b0d7c8e-1f2a-4b3c-9d4e-5f6a7b8c9d0e" /></Links>
    <UserName>TECH\svc-vem</UserName>
    <SessionId>6B0D7C8E-1F2A-4B3C-9D4E-5F6A7B8C9D0E</SessionId>
  </LogonSession>
</LogonSessions>`

func TestLogoutBorrowedSessionLooksUpItsID(t *testing.T) {
	t.Parallel()
	em := newFakeEM(t)
	em.addToken("borrowed-tok")
	list := &reqRecorder{}
	em.mt.RegisterResponder(http.MethodGet, testBase+"/api/logonSessions", func(req *http.Request) (*http.Response, error) {
		list.add(req)
		if !em.authorized(req) {
			return unauthorized(), nil
		}
		return mockResp(http.StatusOK, ctXML, []byte(logonSessionsXML)), nil
	})
	del := &reqRecorder{}
	em.mt.RegisterResponder(http.MethodDelete, testBase+"/api/logonSessions/6b0d7c8e-1f2a-4b3c-9d4e-5f6a7b8c9d0e", func(req *http.Request) (*http.Response, error) {
		del.add(req)
		return mockResp(http.StatusNoContent, ctXML, nil), nil
	})
	c := em.borrowedClient(t, "borrowed-tok")

	require.NoError(t, c.Logout(context.Background()))
	require.Equal(t, 1, list.count())
	assert.Equal(t, "borrowed-tok", list.last().Header.Get(sessionHeader))
	require.Equal(t, 1, del.count())
	assert.Equal(t, "borrowed-tok", del.last().Header.Get(sessionHeader))
	assert.Zero(t, em.deletes.Load(), "must not delete another SessionId")
	assert.Empty(t, c.SessionID())
}

func TestLogoutBorrowedSessionAmbiguousList(t *testing.T) {
	t.Parallel()
	em := newFakeEM(t)
	em.addToken("borrowed-tok")
	two := strings.Replace(logonSessionsXML, "</LogonSessions>", `<LogonSession><SessionId>`+logonSessID+`</SessionId></LogonSession></LogonSessions>`, 1)
	em.mt.RegisterResponder(http.MethodGet, testBase+"/api/logonSessions", func(req *http.Request) (*http.Response, error) {
		return mockResp(http.StatusOK, ctXML, []byte(two)), nil
	})
	other := &reqRecorder{}
	em.mt.RegisterResponder(http.MethodDelete, testBase+"/api/logonSessions/6b0d7c8e-1f2a-4b3c-9d4e-5f6a7b8c9d0e", func(req *http.Request) (*http.Response, error) {
		other.add(req)
		return mockResp(http.StatusNoContent, ctXML, nil), nil
	})
	c := em.borrowedClient(t, "borrowed-tok")
	require.Error(t, c.Logout(context.Background()))
	assert.Zero(t, em.deletes.Load(), "never guess which session to delete")
	assert.Zero(t, other.count(), "never guess which session to delete")
	assert.Equal(t, "borrowed-tok", c.SessionID())
}

func TestCloseLogsOutOwnedSession(t *testing.T) {
	t.Parallel()
	em := newFakeEM(t)
	em.serveTask(seedGUID, ctXML, readFixture(t, "backuptasksession.xml"))
	c := em.client(t)
	require.NoError(t, c.Logon(context.Background()))

	require.NoError(t, c.Close())
	assert.EqualValues(t, 1, em.deletes.Load())
	assert.False(t, em.isValid("tok-1"))
	assert.Empty(t, c.SessionID())

	calls := em.mt.GetTotalCallCount()
	require.NoError(t, c.Close(), "Close twice is fine")
	_, err := c.GetBackupTaskSession(context.Background(), seedGUID)
	require.ErrorIs(t, err, ErrClosed)
	require.ErrorIs(t, c.Logon(context.Background()), ErrClosed)
	require.ErrorIs(t, c.Logout(context.Background()), ErrClosed)
	assert.Equal(t, calls, em.mt.GetTotalCallCount(), "nothing is sent after Close")
	assert.EqualValues(t, 1, em.deletes.Load())
}

func TestCloseLeavesBorrowedSessionOpen(t *testing.T) {
	t.Parallel()
	em := newFakeEM(t)
	em.addToken("borrowed-tok")
	em.serveTask(seedGUID, ctXML, readFixture(t, "backuptasksession.xml"))
	c := em.borrowedClient(t, "borrowed-tok")
	_, err := c.GetBackupTaskSession(context.Background(), seedGUID)
	require.NoError(t, err)

	require.NoError(t, c.Close())
	assert.Equal(t, 1, em.mt.GetTotalCallCount(), "Close sends nothing for a borrowed session")
	assert.True(t, em.isValid("borrowed-tok"))
	_, err = c.GetBackupTaskSession(context.Background(), seedGUID)
	require.ErrorIs(t, err, ErrClosed)
}

// Close while a logon is in flight stops that logon instead of waiting for
// it, leaves no goroutine behind and no session on the client.
func TestCloseDuringLogon(t *testing.T) {
	t.Parallel()
	em := newFakeEM(t)
	entered := make(chan struct{})
	release := make(chan struct{})
	defer close(release) // lets the held responder end
	em.mt.RegisterResponderWithQuery(http.MethodPost, testBase+"/api/sessionMngr/", "v=latest", func(req *http.Request) (*http.Response, error) {
		close(entered)
		<-release
		return em.logon(req)
	})
	c := em.client(t, WithKeepAlive(time.Second))
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- c.Logon(ctx) }()
	<-entered
	cancel()
	require.ErrorIs(t, within(t, errc), context.Canceled)

	closeCtx, closeCancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer closeCancel()
	closed := make(chan error, 1)
	go func() { closed <- c.CloseContext(closeCtx) }()
	require.ErrorIs(t, within(t, closed), context.DeadlineExceeded, "Close stopped waiting for the logon")
	select {
	case <-bgDone(c):
	case <-time.After(10 * time.Second):
		t.Fatal("a goroutine of the client outlived Close")
	}
	assert.Empty(t, c.SessionID())
	require.ErrorIs(t, c.Logon(context.Background()), ErrClosed)
}

func TestKeepAlive(t *testing.T) {
	t.Parallel()
	em := newFakeEM(t)
	pings := &reqRecorder{}
	em.mt.RegisterResponder(http.MethodGet, testBase+"/api/logonSessions/"+logonSessID, func(req *http.Request) (*http.Response, error) {
		pings.add(req)
		if !em.authorized(req) {
			return unauthorized(), nil
		}
		return mockResp(http.StatusOK, ctXML, readFixture(t, "logonsession.xml")), nil
	})
	c := em.client(t, WithKeepAlive(time.Second))
	require.NoError(t, c.Logon(context.Background()))

	require.Eventually(t, func() bool { return pings.count() > 0 }, 5*time.Second, 10*time.Millisecond,
		"an idle session must be pinged")
	assert.Equal(t, "tok-1", pings.last().Header.Get(sessionHeader))
	assert.Equal(t, "", pings.last().URL.RawQuery)

	require.NoError(t, c.Logout(context.Background()))
	after := pings.count()
	time.Sleep(2500 * time.Millisecond) // more than two intervals
	assert.Equal(t, after, pings.count(), "no ping without a session")
	assert.EqualValues(t, 1, em.logons.Load(), "the keep-alive never logs on")
	require.NoError(t, c.Close())
	select {
	case <-bgDone(c):
	case <-time.After(5 * time.Second):
		t.Fatal("the keep-alive goroutine still runs after Close")
	}
}

func TestKeepAliveStopsOnClose(t *testing.T) {
	t.Parallel()
	em := newFakeEM(t)
	em.addToken("borrowed-tok")
	c := em.borrowedClient(t, "borrowed-tok", WithKeepAlive(time.Second))
	require.NoError(t, c.Close())
	select {
	case <-bgDone(c):
	case <-time.After(5 * time.Second):
		t.Fatal("the keep-alive goroutine still runs after Close")
	}
	assert.True(t, em.isValid("borrowed-tok"))
}
