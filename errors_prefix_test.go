package vem_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vemkit/vem"
	"github.com/vemkit/vem/health"
	"github.com/vemkit/vem/vemtest"
)

// TestErrorsSayVemOnce runs the main error paths against vemtest: every
// error's text starts with "vem: " (or "health: " for the health package)
// and says "vem:" exactly once, however many layers wrap it.
func TestErrorsSayVemOnce(t *testing.T) {
	ctx := context.Background()
	noRetry := vem.WithRetry(vem.NoRetries())
	tests := []struct {
		name string
		run  func(t *testing.T) error
		is   error
	}{
		{"not found", func(t *testing.T) error {
			_, c := newE2E(t, nil)
			_, err := c.GetBackupTaskSession(ctx, "00000000-0000-0000-0000-000000000001")
			return err
		}, vem.ErrNotFound},
		{"invalid ID", func(t *testing.T) error {
			_, c := newE2E(t, nil)
			_, err := c.GetJob(ctx, "not-a-guid")
			return err
		}, vem.ErrInvalidID},
		{"wrong password", func(t *testing.T) error {
			srv, _ := newE2E(t, nil)
			c, err := srv.NewClient(vem.WithCredentials(srv.Username, "wrong"))
			require.NoError(t, err)
			t.Cleanup(func() { _ = c.Close() })
			_, err = c.GetJob(ctx, jobID)
			return err
		}, vem.ErrUnauthorized},
		{"server error after retries", func(t *testing.T) error {
			srv, c := newE2E(t, nil, vem.WithRetry(vem.RetryPolicy{MaxAttempts: 2, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond}))
			require.NoError(t, c.Logon(ctx))
			srv.FailNext(2, http.StatusServiceUnavailable)
			_, err := c.GetJob(ctx, jobID)
			return err
		}, nil},
		{"start job forbidden", func(t *testing.T) error {
			srv, _ := newE2E(t, []vemtest.Option{vemtest.WithForbiddenUser("viewer", "viewer-pass")})
			c, err := srv.NewClient(vem.WithCredentials("viewer", "viewer-pass"))
			require.NoError(t, err)
			t.Cleanup(func() { _ = c.Close() })
			_, err = c.StartJob(ctx, jobID)
			return err
		}, vem.ErrForbidden},
		{"start job server error", func(t *testing.T) error {
			srv, c := newE2E(t, nil, noRetry)
			require.NoError(t, c.Logon(ctx))
			srv.FailNext(1, http.StatusInternalServerError)
			_, err := c.StartJob(ctx, jobID)
			return err
		}, nil},
		{"job action failed", func(t *testing.T) error {
			_, c := newE2E(t, []vemtest.Option{vemtest.WithRunTime(time.Hour)})
			_, err := c.StartJob(ctx, jobID)
			require.NoError(t, err)
			_, err = c.RunJob(ctx, jobID, vem.RunOptions{WaitOptions: fastWait})
			return err
		}, vem.ErrJobActionFailed},
		{"wait timeout with a failing poll", func(t *testing.T) error {
			srv, c := newE2E(t, []vemtest.Option{vemtest.WithRunTime(time.Hour)}, noRetry)
			task, err := c.StartJob(ctx, jobID)
			require.NoError(t, err)
			srv.FailNext(1000, http.StatusServiceUnavailable)
			_, err = c.WaitTask(ctx, task.ID, vem.WaitOptions{Interval: 5 * time.Millisecond, MaxInterval: 5 * time.Millisecond, Timeout: 60 * time.Millisecond})
			var wt *vem.WaitTimeoutError
			require.ErrorAs(t, err, &wt)
			require.Error(t, wt.LastErr, "a poll failed")
			return err
		}, vem.ErrWaitTimeout},
		{"wait canceled", func(t *testing.T) error {
			_, c := newE2E(t, []vemtest.Option{vemtest.WithRunTime(time.Hour)})
			cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
			defer cancel()
			_, err := c.RunJob(cctx, jobID, vem.RunOptions{WaitOptions: fastWait})
			return err
		}, context.DeadlineExceeded},
		{"call after Close", func(t *testing.T) error {
			_, c := newE2E(t, nil)
			require.NoError(t, c.Close())
			_, err := c.GetJob(ctx, jobID)
			return err
		}, vem.ErrClosed},
		{"call stopped by Close", func(t *testing.T) error {
			srv, c := newE2E(t, nil)
			require.NoError(t, c.Logon(ctx))
			srv.SetLatency(time.Hour)
			done := make(chan error, 1)
			go func() { _, err := c.GetJob(ctx, jobID); done <- err }()
			time.Sleep(50 * time.Millisecond)
			srv.SetLatency(0) // the call in flight still waits; the logout does not
			_ = c.Close()
			return <-done
		}, vem.ErrClosed},
		{"transport error", func(t *testing.T) error {
			srv, c := newE2E(t, nil, vem.WithRetry(vem.RetryPolicy{MaxAttempts: 2, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond}))
			srv.Close()
			_, err := c.GetJob(ctx, jobID)
			return err
		}, nil},
		{"bad filter value", func(t *testing.T) error {
			_, c := newE2E(t, nil)
			for _, err := range c.QueryJobs(ctx, vem.Query{Filter: vem.Eq(vem.JobFieldName, struct{}{})}) {
				return err
			}
			return nil
		}, nil},
		{"bad watch cursor", func(t *testing.T) error {
			_, c := newE2E(t, nil)
			w := c.NewWatcher(vem.WatchOptions{Resume: "garbage"})
			for _, err := range w.BackupTaskSessions(ctx) {
				return err
			}
			return w.Err()
		}, vem.ErrInvalidCursor},
		{"health over a failing server", func(t *testing.T) error {
			srv, c := newE2E(t, nil, noRetry)
			require.NoError(t, c.Logon(ctx))
			srv.FailNext(10, http.StatusInternalServerError)
			_, err := health.Evaluate(ctx, c, health.Options{})
			return err
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.run(t)
			require.Error(t, err)
			if tt.is != nil {
				assert.True(t, errors.Is(err, tt.is), "%v is not %v", err, tt.is)
			}
			msg := err.Error()
			assert.Equal(t, 1, strings.Count(msg, "vem:"), "exactly one vem: in %q", msg)
			assert.True(t, strings.HasPrefix(msg, "vem: ") || strings.HasPrefix(msg, "health: "), msg)
		})
	}
}
