package vem

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/vemkit/vem/internal/em"
)

// Defaults of WaitOptions and RunOptions.
const (
	// DefaultWaitInterval is the first pause between two polls.
	DefaultWaitInterval = 5 * time.Second
	// DefaultMaxWaitInterval caps the pause between two polls: pauses grow
	// by half at each poll up to it.
	DefaultMaxWaitInterval = time.Minute
	// DefaultClockSkew is how much earlier than the client's clock at the
	// start a job session may say it was created, for RunJob to still take
	// it as the session the start created.
	DefaultClockSkew = 2 * time.Minute
)

// ErrWaitTimeout matches the error of a wait whose WaitOptions.Timeout
// passed while the object was still running. The object goes on running.
var ErrWaitTimeout = errors.New("vem: wait timed out")

// ErrJobActionFailed matches the error of RunJob when EM reported that the
// start (or retry) did not succeed, for example because the job was
// already running.
var ErrJobActionFailed = errors.New("vem: job action failed")

// WaitOptions says how a Wait call polls. The zero value polls every 5
// seconds at first, then less often, up to once a minute, with no limit
// but the context.
type WaitOptions struct {
	// Interval is the first pause between two polls (default
	// DefaultWaitInterval).
	Interval time.Duration
	// MaxInterval caps the pause, which grows by half at each poll
	// (default DefaultMaxWaitInterval; never below Interval).
	MaxInterval time.Duration
	// Timeout bounds the whole wait (0: only the context bounds it). When
	// it passes, the call returns the last state it read and an error
	// matching ErrWaitTimeout.
	Timeout time.Duration
}

func (o WaitOptions) withDefaults() WaitOptions {
	if o.Interval <= 0 {
		o.Interval = DefaultWaitInterval
	}
	if o.MaxInterval <= 0 {
		o.MaxInterval = max(DefaultMaxWaitInterval, o.Interval)
	}
	o.MaxInterval = max(o.MaxInterval, o.Interval)
	return o
}

// WaitTimeoutError is the error of a wait whose Timeout passed; it matches
// ErrWaitTimeout.
type WaitTimeoutError struct {
	What    string        // what was awaited, e.g. "BackupJobSession <GUID>"
	Timeout time.Duration // the WaitOptions.Timeout that passed
	// LastErr is the transient error of the last poll, if it failed.
	LastErr error
}

// Error says what was still running when the timeout passed.
func (e *WaitTimeoutError) Error() string {
	s := fmt.Sprintf("vem: %s still running after %s", e.What, e.Timeout)
	if e.LastErr != nil {
		s += " (last poll: " + e.LastErr.Error() + ")"
	}
	return s
}

// Is makes the error match ErrWaitTimeout.
func (e *WaitTimeoutError) Is(target error) bool { return target == ErrWaitTimeout }

// errWaitDeadline is the cause of a waiter's context when Timeout passed.
var errWaitDeadline = errors.New("wait timeout")

// waiter polls for one call: ctx is the caller's, wctx is bounded by the
// Timeout too.
type waiter struct {
	c        *Client
	ctx      context.Context
	wctx     context.Context
	cancel   context.CancelFunc
	opts     WaitOptions
	interval time.Duration
	lastErr  error
}

func (c *Client) newWaiter(ctx context.Context, opts WaitOptions) *waiter {
	w := &waiter{c: c, ctx: ctx, opts: opts.withDefaults()}
	if w.opts.Timeout > 0 {
		w.wctx, w.cancel = context.WithTimeoutCause(ctx, w.opts.Timeout, errWaitDeadline)
	} else {
		w.wctx, w.cancel = context.WithCancel(ctx)
	}
	w.interval = w.opts.Interval
	return w
}

// reset starts the pauses again from Interval (a new phase of RunJob).
func (w *waiter) reset() { w.interval = w.opts.Interval }

// stopped returns the error that ends the wait when its context is done:
// the caller's context error, or a *WaitTimeoutError.
func (w *waiter) stopped(what string) error {
	if err := w.ctx.Err(); err != nil {
		return fmt.Errorf("vem: waiting for %s: %w", what, err)
	}
	if w.wctx.Err() != nil {
		return &WaitTimeoutError{What: what, Timeout: w.opts.Timeout, LastErr: w.lastErr}
	}
	return nil
}

// failed decides on a poll's error: nil to poll again (a transient
// failure, logged and kept), or the error that ends the wait.
func (w *waiter) failed(what string, err error) error {
	if serr := w.stopped(what); serr != nil {
		return serr
	}
	if !transientPollError(err) {
		return err
	}
	w.lastErr = err
	w.c.log.DebugContext(w.ctx, "vem: poll failed, trying again", "what", what, "error", err.Error())
	return nil
}

// pause sleeps for the current interval and grows it.
func (w *waiter) pause(what string) error {
	if err := sleep(w.wctx, w.c.closing, w.interval); err != nil {
		if serr := w.stopped(what); serr != nil {
			return serr
		}
		return ErrClosed // the client was closed during the pause
	}
	w.interval = min(w.interval+w.interval/2, w.opts.MaxInterval)
	return nil
}

// transientPollError reports whether a poll that failed with err is worth
// repeating at the next tick: no answer (the client has already retried
// the request), 5xx, 429 and 408. A 404, 403, 401 (after the client's own
// logon again), 400, a bad ID or a body that does not decode end the wait.
func transientPollError(err error) bool {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.StatusCode >= 500 || ae.StatusCode == http.StatusTooManyRequests || ae.StatusCode == http.StatusRequestTimeout
	}
	var re *RequestError
	return errors.As(err, &re) && !errors.Is(err, ErrResponseTooLarge)
}

// poll reads with get until done says so, and returns the last value read
// (nil when none could be read) with the error that ended the wait.
func poll[T any](w *waiter, what string, get func(context.Context) (*T, error), done func(*T) bool) (*T, error) {
	var last *T
	for {
		v, err := get(w.wctx)
		if err == nil {
			last = v
			w.lastErr = nil
			if done(v) {
				return v, nil
			}
		} else if err := w.failed(what, err); err != nil {
			return last, err
		}
		if err := w.pause(what); err != nil {
			return last, err
		}
	}
}

// WaitTask polls GET /api/tasks/{ID} until the task is Finished and
// returns it. Only the logon session that created the task sees it: when
// the client has logged on again meanwhile, the wait ends with
// ErrNotFound.
func (c *Client) WaitTask(ctx context.Context, id string, opts WaitOptions) (*Task, error) {
	if err := checkTaskID(id); err != nil {
		return nil, err
	}
	w := c.newWaiter(ctx, opts)
	defer w.cancel()
	return poll(w, KindTask+" "+id, func(ctx context.Context) (*Task, error) { return c.GetTask(ctx, id) },
		func(t *Task) bool { return t.State.Collected() })
}

// WaitBackupTaskSession polls the task session until its State is
// finished (Completed) and returns it. The client logs on again by itself
// when the session expires; a poll that gets no answer, a 5xx or a 429 is
// repeated at the next tick, while a 404, 403, 400 or bad ID ends the
// wait. With opts.Timeout, the last state read comes back with an error
// matching ErrWaitTimeout.
func (c *Client) WaitBackupTaskSession(ctx context.Context, id string, opts WaitOptions) (*BackupTaskSession, error) {
	guid, err := ParseID(KindBackupTaskSession, id)
	if err != nil {
		return nil, err
	}
	w := c.newWaiter(ctx, opts)
	defer w.cancel()
	return poll(w, KindBackupTaskSession+" "+guid,
		func(ctx context.Context) (*BackupTaskSession, error) { return c.GetBackupTaskSession(ctx, guid) },
		func(s *BackupTaskSession) bool { return s.State.Ended() })
}

// WaitBackupJobSession polls the job session until its State is finished
// (Stopped) and returns it, as WaitBackupTaskSession does.
func (c *Client) WaitBackupJobSession(ctx context.Context, id string, opts WaitOptions) (*BackupJobSession, error) {
	guid, err := ParseID(KindBackupJobSession, id)
	if err != nil {
		return nil, err
	}
	w := c.newWaiter(ctx, opts)
	defer w.cancel()
	return w.jobSession(guid)
}

func (w *waiter) jobSession(guid string) (*BackupJobSession, error) {
	return poll(w, KindBackupJobSession+" "+guid,
		func(ctx context.Context) (*BackupJobSession, error) { return w.c.GetBackupJobSession(ctx, guid) },
		func(s *BackupJobSession) bool { return s.State.Ended() })
}

// RunOptions says how RunJob starts a job and waits for it.
type RunOptions struct {
	// WaitOptions set the polling; its Timeout bounds the whole run, start
	// included.
	WaitOptions
	// Retry retries the job (action=retry) instead of starting it.
	Retry bool
	// ClockSkew is how much earlier than the client's clock at the start a
	// job session may say it was created and still be taken as the one
	// started (default DefaultClockSkew).
	ClockSkew time.Duration
	// OnSession, when set, is called once with the job session as soon as
	// it is found, before the wait for its end (for example to print its
	// ID, so that a caller that gives up can still name it).
	OnSession func(*BackupJobSession)
}

// RunJob starts a job (or retries it, with opts.Retry), waits for EM's
// task to report the start, finds the job session the start created and
// waits until that session has finished; it returns the final session,
// whose Result says how the run ended.
//
// The session is the one the task links, when EM sends such a link;
// otherwise the job's newest session created after the start (less
// opts.ClockSkew) and newer than the job's last session before the start,
// found with the query service. Tasks belong to the logon session that
// created them, so when the client has logged on again meanwhile (an
// expired session) the task answers 404 and RunJob goes on to the query.
// A start EM reports as unsuccessful (the job already runs) is an error
// matching ErrJobActionFailed.
//
// With opts.Timeout, RunJob returns the session (nil when not found yet)
// and an error matching ErrWaitTimeout; the job is not stopped. Transient
// failures while polling are retried at the next tick; the start itself
// is sent once.
func (c *Client) RunJob(ctx context.Context, jobID string, opts RunOptions) (*BackupJobSession, error) {
	guid, err := ParseID(KindJob, jobID)
	if err != nil {
		return nil, err
	}
	if opts.ClockSkew <= 0 {
		opts.ClockSkew = DefaultClockSkew
	}
	w := c.newWaiter(ctx, opts.WaitOptions)
	defer w.cancel()
	what := KindJob + " " + guid

	// The job's newest session before the start, so that it is not taken
	// for the new one.
	prev, err := c.newestJobSession(w.wctx, guid, time.Time{})
	if err != nil {
		if serr := w.stopped(what); serr != nil {
			return nil, serr
		}
		return nil, err
	}
	start := time.Now()
	action, act := "start", c.StartJob
	if opts.Retry {
		action, act = "retry", c.RetryJob
	}
	task, err := act(w.wctx, guid)
	if err != nil {
		if serr := w.stopped(what); serr != nil {
			return nil, serr
		}
		return nil, err
	}

	// Each tick reads the task, until its operation has ended (it may
	// report a failure, or link the session), and looks for the session
	// with the query service, until the session is found.
	since := start.Add(-opts.ClockSkew)
	taskOpen := !task.State.Ended() && checkTaskID(task.ID) == nil
	var js *BackupJobSession
	for {
		if taskOpen {
			t, err := c.GetTask(w.wctx, task.ID)
			switch {
			case err == nil:
				task, taskOpen = t, !t.State.Ended()
			case errors.Is(err, ErrNotFound):
				// Another logon session (the first one expired): the task
				// is out of sight; the query finds the session.
				c.log.DebugContext(ctx, "vem: task not visible any more, looking for the job session", "task", task.ID)
				taskOpen = false
			default:
				if err := w.failed(what, err); err != nil {
					return nil, err
				}
			}
		}
		if task.State.Ended() && task.Result != nil && !task.Result.Success {
			return nil, fmt.Errorf("vem: %s job %s: %s: %w", action, guid, task.Result.Message, ErrJobActionFailed)
		}
		var err error
		if l, ok := task.BackupJobSessionLink(); ok {
			js, err = c.GetBackupJobSession(w.wctx, l.ID())
		} else {
			js, err = c.newestJobSession(w.wctx, guid, since)
			if js != nil && prev != nil && (js.UID == prev.UID || !js.CreationTime.After(prev.CreationTime)) {
				js = nil
			}
		}
		if err != nil {
			js = nil
			if err := w.failed(what, err); err != nil {
				return nil, err
			}
		}
		if js != nil {
			break
		}
		if err := w.pause(what); err != nil {
			return nil, err
		}
	}
	if opts.OnSession != nil {
		opts.OnSession(js)
	}
	if js.State.Ended() {
		return js, nil
	}
	w.reset()
	final, err := w.jobSession(js.UID.ID())
	if final == nil {
		final = js
	}
	return final, err
}

// newestJobSession returns the job's newest session created at or after
// since (any, when since is zero), or nil when there is none.
func (c *Client) newestJobSession(ctx context.Context, jobGUID string, since time.Time) (*BackupJobSession, error) {
	f := Eq(BackupJobSessionFieldJobUID, em.UID(KindJob, jobGUID))
	if !since.IsZero() {
		f = And(f, Ge(BackupJobSessionFieldCreationTime, since))
	}
	q := Query{Filter: f, SortDesc: BackupJobSessionFieldCreationTime, PageSize: 1, Concurrency: 1}
	for s, err := range c.QueryBackupJobSessions(ctx, q) {
		return s, err
	}
	return nil, nil
}
