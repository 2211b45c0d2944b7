package vem_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vemkit/vem"
	"github.com/vemkit/vem/vemtest"
)

// End-to-end tests of job runs and waits against vemtest.

// fastWait polls quickly, so that runs of a few hundred milliseconds are
// awaited in a few dozen polls.
var fastWait = vem.WaitOptions{Interval: 10 * time.Millisecond, MaxInterval: 40 * time.Millisecond}

const jobID = vemtest.SeedJobID

func TestRunJobResults(t *testing.T) {
	for _, want := range []vem.Result{vem.ResultSuccess, vem.ResultWarning, vem.ResultFailed} {
		for _, f := range []vem.Format{vem.FormatXML, vem.FormatJSON} {
			t.Run(string(want)+"/"+string(f), func(t *testing.T) {
				t.Parallel()
				srv, c := newE2E(t, []vemtest.Option{vemtest.WithRunTime(300 * time.Millisecond), vemtest.WithJSONStyle(vemtest.JSONStyleEM13CamelCase)}, vem.WithFormat(f))
				srv.SetNextResult(want)
				ctx := context.Background()
				before := time.Now()
				var reported []*vem.BackupJobSession
				js, err := c.RunJob(ctx, "urn:veeam:Job:"+jobID, vem.RunOptions{WaitOptions: fastWait,
					OnSession: func(s *vem.BackupJobSession) { reported = append(reported, s) }})
				require.NoError(t, err)
				assert.Equal(t, want, js.Result)
				assert.Equal(t, vem.StateStopped, js.State)
				assert.Equal(t, vem.UID("urn:veeam:Job:"+jobID), js.JobUID)
				assert.False(t, js.CreationTime.Before(before.Add(-time.Second)), "a session of this run, not an older one")
				require.Len(t, reported, 1)
				assert.Equal(t, js.UID, reported[0].UID)

				// It is the job's newest session, the one vemtest created.
				newest := newestSession(t, c)
				assert.Equal(t, newest.UID, js.UID)
				if want == vem.ResultFailed {
					assert.NotEmpty(t, js.FailureMessage)
				}
			})
		}
	}
}

func newestSession(t *testing.T, c *vem.Client) *vem.BackupJobSession {
	t.Helper()
	for s, err := range c.QueryBackupJobSessions(context.Background(), vem.Query{
		Filter: vem.Eq(vem.BackupJobSessionFieldJobUID, "urn:veeam:Job:"+jobID), SortDesc: vem.BackupJobSessionFieldCreationTime, PageSize: 1}) {
		require.NoError(t, err)
		return s
	}
	t.Fatal("no job session")
	return nil
}

// A Timeout that passes while the job runs returns the session found so
// far and ErrWaitTimeout; the job goes on running.
func TestRunJobTimeout(t *testing.T) {
	srv, c := newE2E(t, []vemtest.Option{vemtest.WithRunTime(time.Hour)})
	var reported *vem.BackupJobSession
	opts := vem.RunOptions{WaitOptions: fastWait, OnSession: func(s *vem.BackupJobSession) { reported = s }}
	opts.Timeout = 500 * time.Millisecond
	js, err := c.RunJob(context.Background(), jobID, opts)
	require.ErrorIs(t, err, vem.ErrWaitTimeout)
	var te *vem.WaitTimeoutError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, opts.Timeout, te.Timeout)
	require.NotNil(t, js)
	require.NotNil(t, reported)
	assert.Equal(t, reported.UID, js.UID)
	assert.Equal(t, vem.StateWorking, js.State)

	// Still running: a later wait picks it up, and a stop ends it.
	again, err := c.WaitBackupJobSession(context.Background(), js.UID.ID(), vem.WaitOptions{Interval: 10 * time.Millisecond, Timeout: 100 * time.Millisecond})
	require.ErrorIs(t, err, vem.ErrWaitTimeout)
	assert.Equal(t, vem.StateWorking, again.State)
	task, err := c.StopJob(context.Background(), jobID)
	require.NoError(t, err)
	task, err = c.WaitTask(context.Background(), task.ID, fastWait)
	require.NoError(t, err)
	assert.True(t, task.Succeeded())
	final, err := c.WaitBackupJobSession(context.Background(), string(js.UID), fastWait)
	require.NoError(t, err)
	assert.Equal(t, vem.ResultFailed, final.Result)
	_ = srv
}

// expiringTransport ends every vemtest session right after the answers
// whose request matches, as EM's idle timeout would at the worst moment.
type expiringTransport struct {
	base  http.RoundTripper
	srv   *vemtest.Server
	match func(*http.Request) bool
	n     atomic.Int32
	// taskGone counts the 404 answers to GET /api/tasks/{ID}.
	taskGone atomic.Int32
}

func (e *expiringTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := e.base.RoundTrip(r)
	if err == nil && strings.HasPrefix(r.URL.Path, "/api/tasks/") && resp.StatusCode == http.StatusNotFound {
		e.taskGone.Add(1)
	}
	if err == nil && e.match(r) {
		e.n.Add(1)
		e.srv.ExpireSessions()
	}
	return resp, err
}

// The session expires right after the start and again while the job
// session is awaited: the task is out of sight of the new logon session
// (404), and RunJob still finds the job session and its end.
func TestRunJobSessionExpires(t *testing.T) {
	srv := vemtest.NewServer(vemtest.WithRunTime(400 * time.Millisecond))
	t.Cleanup(srv.Close)
	var polls atomic.Int32
	et := &expiringTransport{base: srv.Client().Transport, srv: srv, match: func(r *http.Request) bool {
		switch {
		case r.Method == http.MethodPost && strings.Contains(r.URL.RawQuery, "action=start"):
			return true
		case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/api/backupSessions/"):
			return polls.Add(1) == 2
		}
		return false
	}}
	c, err := vem.New(srv.URL, vem.WithHTTPClient(&http.Client{Transport: et}), vem.WithCredentials(srv.Username, srv.Password))
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	srv.SetNextResult(vem.ResultWarning)

	js, err := c.RunJob(context.Background(), jobID, vem.RunOptions{WaitOptions: fastWait})
	require.NoError(t, err)
	assert.Equal(t, vem.ResultWarning, js.Result)
	assert.True(t, js.State.Ended())
	assert.Equal(t, newestSession(t, c).UID, js.UID)
	assert.Equal(t, int32(2), et.n.Load(), "expired twice")
	assert.GreaterOrEqual(t, srv.Stats().Logons, 3)
	assert.Equal(t, int32(1), et.taskGone.Load(), "the task was out of sight after the first expiry")
}

// With a collection lag, the running session is not in the query
// service: RunJob finds it once it is collected.
func TestRunJobCollectionLag(t *testing.T) {
	srv, c := newE2E(t, []vemtest.Option{vemtest.WithRunTime(200 * time.Millisecond), vemtest.WithCollectionLag(300 * time.Millisecond)})
	srv.SetNextResult(vem.ResultSuccess)
	js, err := c.RunJob(context.Background(), jobID, vem.RunOptions{WaitOptions: fastWait})
	require.NoError(t, err)
	assert.Equal(t, vem.ResultSuccess, js.Result)
	assert.Equal(t, newestSession(t, c).UID, js.UID)
}

func TestRunJobRetry(t *testing.T) {
	srv, c := newE2E(t, []vemtest.Option{vemtest.WithRunTime(200 * time.Millisecond)})
	ctx := context.Background()
	srv.SetNextResult(vem.ResultSuccess)
	first, err := c.RunJob(ctx, jobID, vem.RunOptions{WaitOptions: fastWait})
	require.NoError(t, err)
	require.Equal(t, vem.ResultSuccess, first.Result)

	// A job that did not fail cannot be retried: EM's 400 and message.
	_, err = c.RunJob(ctx, jobID, vem.RunOptions{WaitOptions: fastWait, Retry: true})
	var ae *vem.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, http.StatusBadRequest, ae.StatusCode)
	assert.Contains(t, ae.Message, "can be retried only after it has failed")

	srv.SetNextResult(vem.ResultFailed)
	failed, err := c.RunJob(ctx, jobID, vem.RunOptions{WaitOptions: fastWait})
	require.NoError(t, err)
	require.Equal(t, vem.ResultFailed, failed.Result)
	srv.SetNextResult(vem.ResultSuccess)
	retried, err := c.RunJob(ctx, jobID, vem.RunOptions{WaitOptions: fastWait, Retry: true})
	require.NoError(t, err)
	assert.True(t, retried.IsRetry)
	assert.Equal(t, vem.ResultSuccess, retried.Result)
	assert.NotEqual(t, failed.UID, retried.UID)
}

// Starting a job that runs already: EM's task reports the failure.
func TestRunJobAlreadyRunning(t *testing.T) {
	_, c := newE2E(t, []vemtest.Option{vemtest.WithRunTime(time.Hour)})
	ctx := context.Background()
	_, err := c.StartJob(ctx, jobID)
	require.NoError(t, err)
	_, err = c.RunJob(ctx, jobID, vem.RunOptions{WaitOptions: fastWait})
	require.ErrorIs(t, err, vem.ErrJobActionFailed)
	assert.Contains(t, err.Error(), "already running")
}

func TestJobActionsForbiddenUser(t *testing.T) {
	srv, _ := newE2E(t, []vemtest.Option{vemtest.WithForbiddenUser("viewer", "viewer-pass")})
	c, err := srv.NewClient(vem.WithCredentials("viewer", "viewer-pass"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	_, err = c.StartJob(context.Background(), jobID)
	require.ErrorIs(t, err, vem.ErrForbidden)
	assert.Contains(t, err.Error(), "Portal Administrator")
	_, err = c.RunJob(context.Background(), jobID, vem.RunOptions{WaitOptions: fastWait})
	require.ErrorIs(t, err, vem.ErrForbidden)
}

// WaitTask follows a task to Finished; a new logon session cannot see it.
func TestWaitTask(t *testing.T) {
	srv, c := newE2E(t, []vemtest.Option{vemtest.WithRunTime(200 * time.Millisecond)})
	ctx := context.Background()
	task, err := c.StartJob(ctx, jobID)
	require.NoError(t, err)
	assert.Equal(t, vem.TaskStateRunning, task.State)
	assert.Equal(t, "StartJob", task.Operation)
	done, err := c.WaitTask(ctx, task.ID, fastWait)
	require.NoError(t, err)
	assert.Equal(t, vem.TaskStateFinished, done.State)
	assert.True(t, done.Succeeded())

	srv.ExpireSessions()
	_, err = c.WaitTask(ctx, task.ID, fastWait)
	require.ErrorIs(t, err, vem.ErrNotFound)
}

// Polls that fail with 503 (the client's own retries turned off) are
// repeated at the next tick; a 404 ends the wait at once.
func TestWaitSurvivesTransientFailures(t *testing.T) {
	srv, c := newE2E(t, []vemtest.Option{vemtest.WithRunTime(300 * time.Millisecond)}, vem.WithRetry(vem.NoRetries()))
	ctx := context.Background()
	_, err := c.StartJob(ctx, jobID)
	require.NoError(t, err)
	js := newestSession(t, c)
	srv.FailNext(3, http.StatusServiceUnavailable)
	final, err := c.WaitBackupJobSession(ctx, js.UID.ID(), fastWait)
	require.NoError(t, err)
	assert.True(t, final.State.Ended())
	assert.Equal(t, js.UID, final.UID)

	_, err = c.WaitBackupJobSession(ctx, "00000000-0000-4000-8000-000000000001", fastWait)
	require.ErrorIs(t, err, vem.ErrNotFound)
	_, err = c.WaitBackupTaskSession(ctx, "not-a-guid", fastWait)
	require.ErrorIs(t, err, vem.ErrInvalidID)
}

func TestWaitBackupTaskSession(t *testing.T) {
	srv, c := newE2E(t, []vemtest.Option{vemtest.WithRunTime(300 * time.Millisecond)})
	ctx := context.Background()
	srv.SetNextResult(vem.ResultSuccess)
	_, err := c.StartJob(ctx, jobID)
	require.NoError(t, err)
	js := newestSession(t, c)
	var ids []string
	for ts, err := range c.QueryBackupTaskSessions(ctx, vem.Query{Filter: vem.Eq(vem.BackupTaskSessionFieldJobSessionUID, string(js.UID))}) {
		require.NoError(t, err)
		ids = append(ids, ts.UID.ID())
	}
	require.NotEmpty(t, ids)
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Go(func() {
			ts, err := c.WaitBackupTaskSession(ctx, id, fastWait)
			if assert.NoError(t, err) {
				assert.Equal(t, vem.StateCompleted, ts.State)
				assert.Equal(t, vem.ResultSuccess, ts.Result)
			}
		})
	}
	wg.Wait()
}

// Cancelling the context ends a wait with the context's error.
func TestWaitStopsOnContext(t *testing.T) {
	_, c := newE2E(t, []vemtest.Option{vemtest.WithRunTime(time.Hour)})
	_, err := c.StartJob(context.Background(), jobID)
	require.NoError(t, err)
	js := newestSession(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	last, err := c.WaitBackupJobSession(ctx, js.UID.ID(), fastWait)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.NotErrorIs(t, err, vem.ErrWaitTimeout)
	require.NotNil(t, last)
	assert.Equal(t, vem.StateWorking, last.State)
}
