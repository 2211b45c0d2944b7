package vemtest_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vemkit/vem/vemtest"
)

func TestFailNext(t *testing.T) {
	srv := newServer(t, vemtest.WithDataset(0))
	token, _ := logon(t, srv)
	path := "/api/backupTaskSessions/" + vemtest.SeedBackupTaskSessionID

	srv.FailNext(2, http.StatusServiceUnavailable)
	srv.FailNextRetryAfter(1, http.StatusTooManyRequests, 1500*time.Millisecond)
	srv.FailNext(1, http.StatusInternalServerError)

	for _, tc := range []struct {
		status     int
		retryAfter string
	}{
		{http.StatusServiceUnavailable, ""},
		{http.StatusServiceUnavailable, ""},
		{http.StatusTooManyRequests, "2"},
		{http.StatusInternalServerError, ""},
		{http.StatusOK, ""},
	} {
		r := do(t, srv, request{path: path, token: token, accept: "application/json"})
		if tc.status == http.StatusOK {
			require.Equal(t, http.StatusOK, r.status)
			continue
		}
		msg := requireError(t, r, tc.status)
		assert.Contains(t, msg, "Injected")
		assert.Equal(t, tc.retryAfter, r.header.Get("Retry-After"))
	}
	st := srv.Stats()
	assert.Equal(t, 4, st.InjectedErrors)
	assert.Equal(t, 4, st.FaultsInjected)
	assert.Equal(t, 1, st.Logons)
}

func TestFailNextSkipsLogonAndRoot(t *testing.T) {
	srv := newServer(t, vemtest.WithDataset(0))
	srv.FailNext(1, http.StatusBadGateway)
	assert.Equal(t, http.StatusOK, get(t, srv, "", "/api/").status)
	token, _ := logon(t, srv)
	// Faults come before authentication: even a request without a token fails.
	requireError(t, get(t, srv, "", "/api/backupTaskSessions"), http.StatusBadGateway)
	assert.Equal(t, http.StatusOK, get(t, srv, token, "/api/backupTaskSessions").status)
}

func TestFailNextLogon(t *testing.T) {
	srv := newServer(t, vemtest.WithDataset(0))
	srv.FailNextLogon(2, http.StatusServiceUnavailable)
	rq := request{method: http.MethodPost, path: "/api/sessionMngr/?v=latest", user: srv.Username, pass: srv.Password}
	requireError(t, do(t, srv, rq), http.StatusServiceUnavailable)
	requireError(t, do(t, srv, rq), http.StatusServiceUnavailable)
	require.Equal(t, http.StatusCreated, do(t, srv, rq).status)
	st := srv.Stats()
	assert.Equal(t, 1, st.Logons)
	assert.Equal(t, 2, st.InjectedErrors)
}

func TestFaultPlanIsSeeded(t *testing.T) {
	srv := newServer(t, vemtest.WithDataset(0))
	token, _ := logon(t, srv)
	run := func() []int {
		srv.SetFaults(vemtest.Faults{Seed: 42, ErrorRate: 0.5, ErrorStatus: http.StatusServiceUnavailable, RetryAfterRate: 1, RetryAfter: 3 * time.Second})
		var statuses []int
		for range 24 {
			r := get(t, srv, token, "/api/backupTaskSessions/"+vemtest.SeedBackupTaskSessionID)
			if r.status != http.StatusOK {
				requireError(t, r, http.StatusServiceUnavailable)
				assert.Equal(t, "3", r.header.Get("Retry-After"))
			}
			statuses = append(statuses, r.status)
		}
		return statuses
	}
	first := run()
	assert.Contains(t, first, http.StatusOK)
	assert.Contains(t, first, http.StatusServiceUnavailable)
	assert.Equal(t, first, run(), "the same seed gives the same faults")

	// Logons are spared unless IncludeLogon is set.
	srv.SetFaults(vemtest.Faults{Seed: 1, ErrorRate: 1})
	logon(t, srv)
	srv.SetFaults(vemtest.Faults{Seed: 1, ErrorRate: 1, IncludeLogon: true})
	r := do(t, srv, request{method: http.MethodPost, path: "/api/sessionMngr/?v=latest", user: srv.Username, pass: srv.Password})
	requireError(t, r, http.StatusServiceUnavailable) // ErrorStatus 0 means 503
	assert.Empty(t, r.header.Get("Retry-After"))

	srv.SetFaults(vemtest.Faults{})
	assert.Equal(t, http.StatusOK, get(t, srv, token, "/api/logonSessions").status)
	st := srv.Stats()
	assert.Equal(t, st.InjectedErrors, st.FaultsInjected)
	assert.Positive(t, st.InjectedErrors)
}

func TestFaultReset(t *testing.T) {
	for _, tls := range []bool{true, false} {
		t.Run(map[bool]string{true: "https", false: "http"}[tls], func(t *testing.T) {
			opts := []vemtest.Option{vemtest.WithDataset(0)}
			if !tls {
				opts = append(opts, vemtest.WithoutTLS())
			}
			srv := newServer(t, opts...)
			token, _ := logon(t, srv)
			srv.SetFaults(vemtest.Faults{Seed: 7, ResetRate: 1})
			req, err := http.NewRequest(http.MethodGet, srv.URL+"/api/backupTaskSessions", nil)
			require.NoError(t, err)
			req.Header.Set(vemtest.SessionHeader, token)
			resp, err := srv.Client().Do(req)
			if err == nil {
				resp.Body.Close()
			}
			require.Error(t, err, "a reset connection gives no response")
			assert.True(t, errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF),
				"want a reset or EOF, got %v", err)
			assert.GreaterOrEqual(t, srv.Stats().Resets, 1)

			srv.SetFaults(vemtest.Faults{})
			assert.Equal(t, http.StatusOK, get(t, srv, token, "/api/backupTaskSessions").status)
		})
	}
}

func TestFaultDelay(t *testing.T) {
	srv := newServer(t, vemtest.WithDataset(0))
	token, _ := logon(t, srv)
	srv.SetFaults(vemtest.Faults{Seed: 3, DelayRate: 1, Delay: 80 * time.Millisecond})
	start := time.Now()
	assert.Equal(t, http.StatusOK, get(t, srv, token, "/api/logonSessions").status)
	assert.GreaterOrEqual(t, time.Since(start), 80*time.Millisecond)
	assert.Equal(t, 1, srv.Stats().Delays)

	// A delay ends when the client gives up. (Go's transport may still hand
	// over the server's quick 503 that races with its own cancellation.)
	srv.SetFaults(vemtest.Faults{Seed: 3, DelayRate: 1, Delay: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/api/logonSessions", nil)
	require.NoError(t, err)
	req.Header.Set(vemtest.SessionHeader, token)
	start = time.Now()
	resp, err := srv.Client().Do(req)
	if err == nil {
		resp.Body.Close()
		assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	} else {
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	}
	assert.Less(t, time.Since(start), 5*time.Second)
	// The handler has returned: the server answers at once after the plan is off.
	srv.SetFaults(vemtest.Faults{})
	assert.Equal(t, http.StatusOK, get(t, srv, token, "/api/logonSessions").status)
	assert.GreaterOrEqual(t, srv.Stats().Delays, 1) // the client may give up before the server sees it
}

func TestDelayInterruptedByClose(t *testing.T) {
	srv := newServer(t, vemtest.WithDataset(0)) // closed below; Close is idempotent
	token, _ := logon(t, srv)
	srv.SetFaults(vemtest.Faults{Seed: 3, DelayRate: 1, Delay: time.Hour})
	srv.SetLatency(0)

	var wg sync.WaitGroup
	outcomes := make(chan string, 3)
	for range 3 {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/backupTaskSessions", nil)
			req.Header.Set(vemtest.SessionHeader, token)
			resp, err := srv.Client().Do(req)
			if err != nil {
				outcomes <- "connection error"
				return
			}
			resp.Body.Close()
			outcomes <- resp.Status
		})
	}
	require.Eventually(t, func() bool { return srv.Stats().Delays == 3 }, 5*time.Second, 5*time.Millisecond)
	start := time.Now()
	srv.Close()
	assert.Less(t, time.Since(start), 2*time.Second, "Close does not wait for delays")
	wg.Wait()
	close(outcomes)
	for o := range outcomes {
		assert.Contains(t, []string{"503 Service Unavailable", "connection error"}, o)
	}
}

func TestLatency(t *testing.T) {
	srv := newServer(t, vemtest.WithDataset(0))
	srv.SetLatency(60 * time.Millisecond)
	start := time.Now()
	assert.Equal(t, http.StatusOK, get(t, srv, "", "/api/").status)
	assert.GreaterOrEqual(t, time.Since(start), 60*time.Millisecond)
	srv.SetLatency(0)
	assert.Equal(t, 0, srv.Stats().FaultsInjected, "latency is not a fault")
}
