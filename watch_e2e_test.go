package vem_test

import (
	"context"
	"fmt"
	"iter"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vemkit/vem"
	"github.com/vemkit/vem/vemtest"
)

var watchStart = time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)

// jobStarter starts vemtest jobs with raw requests (POST
// /api/jobs/{ID}?action=start), logging on again when its session expired.
type jobStarter struct {
	srv   *vemtest.Server
	token string
}

func (j *jobStarter) start(t *testing.T, jobID string) bool {
	t.Helper()
	for range 5 { // requests may meet injected faults
		if j.token == "" {
			req, err := http.NewRequest(http.MethodPost, j.srv.URL+"/api/sessionMngr/?v=latest", nil)
			require.NoError(t, err)
			req.SetBasicAuth(j.srv.Username, j.srv.Password)
			resp, err := j.srv.Client().Do(req)
			if err != nil {
				continue
			}
			resp.Body.Close()
			j.token = resp.Header.Get("X-RestSvcSessionId")
		}
		req, err := http.NewRequest(http.MethodPost, j.srv.URL+"/api/jobs/"+jobID+"?action=start", nil)
		require.NoError(t, err)
		req.Header.Set("X-RestSvcSessionId", j.token)
		resp, err := j.srv.Client().Do(req)
		if err != nil {
			continue
		}
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusAccepted:
			return true
		case http.StatusUnauthorized:
			j.token = ""
		}
	}
	return false
}

func jobIDs(t *testing.T, c *vem.Client) []string {
	t.Helper()
	var ids []string
	for j, err := range c.QueryJobs(context.Background(), vem.Query{}) {
		require.NoError(t, err)
		ids = append(ids, j.UID.ID())
	}
	require.NotEmpty(t, ids)
	return ids
}

// watched is what a test keeps of a yielded session.
type watched struct {
	uid string
	end time.Time
}

// watchKind runs the watcher's iterator of one kind as (uid, end time).
func watchKind(w *vem.Watcher, ctx context.Context, jobs bool) iter.Seq2[watched, error] {
	return func(yield func(watched, error) bool) {
		if jobs {
			for s, err := range w.BackupJobSessions(ctx) {
				var x watched
				if s != nil {
					x = watched{s.UID.ID(), s.EndTime}
				}
				if !yield(x, err) {
					return
				}
			}
			return
		}
		for s, err := range w.BackupTaskSessions(ctx) {
			var x watched
			if s != nil {
				x = watched{s.UID.ID(), s.EndTime}
			}
			if !yield(x, err) {
				return
			}
		}
	}
}

// finishedSince is vemtest's ground truth: every finished session of the
// kind that ended at or after since, read without a filter.
func finishedSince(t *testing.T, c *vem.Client, jobs bool, since time.Time) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	ctx := context.Background()
	if jobs {
		for s, err := range c.QueryBackupJobSessions(ctx, vem.Query{PageSize: 1000}) {
			require.NoError(t, err)
			if s.State.Ended() && !s.EndTime.Before(since) {
				out[s.UID.ID()] = true
			}
		}
		return out
	}
	for s, err := range c.QueryBackupTaskSessions(ctx, vem.Query{PageSize: 1000}) {
		require.NoError(t, err)
		if s.State.Ended() && !s.EndTime.Before(since) {
			out[s.UID.ID()] = true
		}
	}
	return out
}

func TestWatchEndToEnd(t *testing.T) {
	for _, jobs := range []bool{false, true} {
		t.Run(map[bool]string{false: "task sessions", true: "job sessions"}[jobs], func(t *testing.T) {
			clk := vemtest.NewClock(watchStart)
			srv := vemtest.NewServer(vemtest.WithClock(clk.Now), vemtest.WithNow(watchStart), vemtest.WithDataset(30),
				vemtest.WithRunTime(2*time.Minute), vemtest.WithCollectionLag(5*time.Minute))
			defer srv.Close()
			c, err := srv.NewClient()
			require.NoError(t, err)
			defer c.Close()
			starter := &jobStarter{srv: srv}
			ids := jobIDs(t, c)

			w := c.NewWatcher(vem.WatchOptions{Interval: time.Minute, Lag: 10 * time.Minute, Now: clk.Now,
				Filter: vem.Ne(vem.Field("Result"), vem.ResultNone)})
			require.NoError(t, w.Err())
			polls := 0
			var requestsPerPoll []int
			last := srv.Stats().Routes["GET /api/query"]
			vem.SetWatcherSleep(w, func(ctx context.Context, d time.Duration) error {
				n := srv.Stats().Routes["GET /api/query"]
				requestsPerPoll = append(requestsPerPoll, n-last)
				last = n
				if polls < len(ids) {
					require.True(t, starter.start(t, ids[polls]))
				}
				polls++
				clk.Add(d)
				if polls > 30 {
					return context.Canceled
				}
				return ctx.Err()
			})
			var got []watched
			for s, err := range watchKind(w, context.Background(), jobs) {
				require.NoError(t, err)
				got = append(got, s)
			}
			want := finishedSince(t, c, jobs, watchStart)
			require.NotEmpty(t, want)
			seen := map[string]int{}
			for i, s := range got {
				seen[s.uid]++
				if i > 0 {
					assert.False(t, s.end.Before(got[i-1].end), "in end-time order: the run times are equal, so nothing arrives out of order")
				}
			}
			for uid := range want {
				assert.Equal(t, 1, seen[uid], uid)
			}
			assert.Len(t, seen, len(want))
			for _, n := range requestsPerPoll {
				assert.Equal(t, 1, n, "one request per poll: %v", requestsPerPoll)
			}
			cur := w.Cursor()
			t.Logf("%d sessions, cursor %d characters", len(got), len(cur))
		})
	}
}

// TestWatchIdleQueryRate measures the requests of an idle watcher over a
// simulated hour with Interval one minute.
func TestWatchIdleQueryRate(t *testing.T) {
	for _, jobs := range []bool{false, true} {
		clk := vemtest.NewClock(watchStart)
		srv := vemtest.NewServer(vemtest.WithClock(clk.Now), vemtest.WithNow(watchStart))
		c, err := srv.NewClient()
		require.NoError(t, err)
		w := c.NewWatcher(vem.WatchOptions{Interval: time.Minute, Now: clk.Now})
		vem.SetWatcherSleep(w, func(ctx context.Context, d time.Duration) error {
			clk.Add(d)
			if !clk.Now().Before(watchStart.Add(time.Hour)) {
				return context.Canceled
			}
			return nil
		})
		n := 0
		for _, err := range watchKind(w, context.Background(), jobs) {
			require.NoError(t, err)
			n++
		}
		assert.Zero(t, n, "nothing finished")
		st := srv.Stats()
		queries := st.Routes["GET /api/query"]
		t.Logf("idle %s watcher, Interval 1m, one simulated hour: %d query requests, %d requests in all (%d logons)",
			map[bool]string{false: "task-session", true: "job-session"}[jobs], queries, st.Requests, st.Logons)
		assert.InDelta(t, 60, queries, 5, "about one query per Interval")
		assert.LessOrEqual(t, st.Requests, queries+2)
		c.Close()
		srv.Close()
	}
}

// TestWatchCampaign: sessions finish at random times (started jobs, whose
// sessions reach the query service 10 minutes late, and sessions added up
// to 15 minutes late with older end times), logon sessions expire, 5% of
// requests fail with 503 or connection resets, the client gives up after
// one or two attempts, and the watcher "process" (a new client and watcher) is
// stopped and resumed from its cursor ten times. Every finished session
// must be yielded exactly once.
func TestWatchCampaign(t *testing.T) {
	for _, jobs := range []bool{false, true} {
		t.Run(map[bool]string{false: "task sessions", true: "job sessions"}[jobs], func(t *testing.T) {
			r := runWatchCampaign(t, jobs, 7, 20*time.Minute)
			assert.Zero(t, r.repeats, "repeated sessions")
			assert.Zero(t, r.lost, "lost sessions")
			assert.Zero(t, r.extra, "sessions that should not have come")
		})
	}
	// The control: with a Lag below the collection delay, the campaign
	// sees sessions lost, so it would see a watcher that loses them.
	t.Run("control: Lag too short", func(t *testing.T) {
		r := runWatchCampaign(t, false, 7, 2*time.Minute)
		assert.Positive(t, r.lost)
		assert.Zero(t, r.repeats)
	})
}

type campaignOutcome struct{ repeats, lost, extra int }

func runWatchCampaign(t *testing.T, jobs bool, seed uint64, lag time.Duration) campaignOutcome {
	const (
		segments     = 11 // ten stops and resumes
		maxPolls     = 40 // per segment
		collection   = 10 * time.Minute
		maxLateAdded = 15 * time.Minute
	)
	rng := rand.New(rand.NewPCG(seed, 99))
	clk := vemtest.NewClock(watchStart)
	srv := vemtest.NewServer(vemtest.WithClock(clk.Now), vemtest.WithNow(watchStart), vemtest.WithDataset(20),
		vemtest.WithRunTime(3*time.Minute), vemtest.WithCollectionLag(collection))
	defer srv.Close()
	admin, err := srv.NewClient()
	require.NoError(t, err)
	defer admin.Close()
	ids := jobIDs(t, admin)
	starter := &jobStarter{srv: srv}
	seedJobSession := vemtest.SeedBackupTaskSession().JobSessionUID

	added := 0
	// act is the world moving on during one minute: jobs start, sessions
	// arrive late, logon sessions expire.
	act := func() {
		if rng.IntN(3) == 0 {
			starter.start(t, ids[rng.IntN(len(ids))]) // may be running already, or fail: the truth is the server's
		}
		if rng.IntN(4) == 0 {
			now := clk.Now()
			end := now.Add(-time.Duration(rng.Int64N(int64(maxLateAdded))))
			added++
			guid := fmt.Sprintf("%08x-cafe-4000-8000-%012x", seed, added)
			if jobs {
				srv.AddBackupJobSession(vem.BackupJobSession{UID: vem.UID("urn:veeam:BackupJobSession:" + guid), Name: "late@" + guid,
					JobName: "Late job", CreationTime: end.Add(-time.Minute), EndTime: end, State: vem.StateStopped, Result: vem.ResultSuccess})
			} else {
				srv.AddBackupTaskSession(vem.BackupTaskSession{UID: vem.UID("urn:veeam:BackupTaskSession:" + guid), VMDisplayName: "late-vm",
					JobSessionUID: seedJobSession, CreationTime: end.Add(-time.Minute), EndTime: end, State: vem.StateCompleted, Result: vem.ResultWarning})
			}
		}
		if rng.IntN(20) == 0 {
			srv.ExpireSessions()
		}
	}

	srv.SetFaults(vemtest.Faults{Seed: int64(seed), ResetRate: 0.025, ErrorRate: 0.025})
	yielded := map[string]int{}
	cursor := ""
	transient := 0
	for seg := range segments {
		// Every other "process" retries once; the others do not retry, so
		// that polls fail for good too.
		retry := vem.RetryPolicy{MaxAttempts: 1 + seg%2, MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond}
		c, err := srv.NewClient(vem.WithRetry(retry))
		require.NoError(t, err)
		opts := vem.WatchOptions{Interval: time.Minute, Lag: lag, Now: clk.Now, Resume: cursor, Since: watchStart,
			OnError: func(error) error { transient++; return nil }}
		w := c.NewWatcher(opts)
		require.NoError(t, w.Err())
		ctx, cancel := context.WithCancel(context.Background())
		polls := 0
		draining := seg == segments-1
		stopAfter := -1 // a stop by break after this many yields
		if !draining && seg%2 == 1 {
			stopAfter = 1 + rng.IntN(8)
		}
		vem.SetWatcherSleep(w, func(ctx context.Context, d time.Duration) error {
			polls++
			if !draining {
				act()
			}
			clk.Add(d)
			if polls >= maxPolls || (draining && clk.Now().After(watchStart.Add(6*time.Hour))) {
				cancel() // a stop by Ctrl-C between polls
			}
			return ctx.Err()
		})
		n := 0
		for s, err := range watchKind(w, ctx, jobs) {
			require.NoError(t, err, "transient errors go to OnError")
			yielded[s.uid]++
			cursor = w.Cursor() // saved after each session, as a real consumer does
			n++
			if n == stopAfter {
				break
			}
		}
		cancel()
		c.Close()
		if seg == segments-2 {
			// The last segment drains: no more faults or new sessions, and
			// every session has reached the query service.
			srv.SetFaults(vemtest.Faults{})
			clk.Add(collection + time.Minute)
		} else {
			clk.Add(time.Duration(rng.IntN(5)) * time.Minute) // the restart takes a while
		}
	}

	want := finishedSince(t, admin, jobs, watchStart)
	require.Greater(t, len(want), 50, "the campaign produced sessions")
	repeats, lost, extra := 0, 0, 0
	for uid, n := range yielded {
		if n > 1 {
			repeats++
			t.Logf("session %s yielded %d times", uid, n)
		}
		if !want[uid] {
			extra++
			t.Logf("session %s yielded but not finished since the start", uid)
		}
	}
	for uid := range want {
		if yielded[uid] == 0 {
			lost++
		}
	}
	st := srv.Stats()
	t.Logf("%d finished sessions (%d added late), %d distinct sessions yielded, %d repeated, %d lost; %d requests, %d faults injected, %d polls failed after retries, %d expirations, cursor %d characters",
		len(want), added, len(yielded), repeats, lost, st.Requests, st.FaultsInjected, transient, st.Expirations, len(cursor))
	assert.Positive(t, st.FaultsInjected)
	assert.Positive(t, transient, "some polls failed for good and the watcher went on")
	assert.Positive(t, st.Expirations)
	return campaignOutcome{repeats, lost, extra}
}
