package health

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/vemkit/vem"
)

// DefaultOverlap is how far back before the previous refresh a Tracker
// reads again when Overlap is 0: EM copies sessions from the backup servers
// every 15 minutes, so a session may reach the query service that long
// after it changed; twice that leaves room for a slow collection.
const DefaultOverlap = 30 * time.Minute

// Tracker keeps the sessions of the window in memory and brings them up to
// date incrementally, for a process that judges the same estate again and
// again (an exporter). The first Refresh reads the whole window, as
// Evaluate does; each later one reads only the task and job sessions
// created or ended since the previous refresh, less Overlap: two queries of
// one page when nothing changed. Sessions that leave the window are
// forgotten, so memory follows the window, not the process's age. Report
// judges what is held at a given time by the rules of Evaluate.
//
// A Tracker is safe for concurrent use; refreshes are serialized.
type Tracker struct {
	opts    Options
	overlap time.Duration

	refreshMu sync.Mutex // one refresh at a time
	mu        sync.Mutex // guards what follows
	tasks     map[vem.UID]*vem.BackupTaskSession
	jobs      map[vem.UID]*vem.BackupJobSession
	missing   map[vem.UID]bool // job sessions asked for by UID that EM did not return
	last      time.Time        // Now of the last successful refresh; zero before
}

// RefreshStats says what one Refresh read.
type RefreshStats struct {
	// Full is true for a read of the whole window (the first refresh).
	Full bool
	// TaskSessions and JobSessions are how many sessions the refresh
	// received, new or changed or not.
	TaskSessions, JobSessions int
	// Since is the time from which sessions were read.
	Since time.Time
}

// NewTracker returns a Tracker judging with opts (Options.Now is ignored:
// Refresh and Report take the time) that reads again overlap before each
// previous refresh (DefaultOverlap when 0). Invalid options return an error
// matching ErrInvalidOptions.
func NewTracker(opts Options, overlap time.Duration) (*Tracker, error) {
	if overlap < 0 {
		return nil, fmt.Errorf("%w: negative overlap %v", ErrInvalidOptions, overlap)
	}
	if overlap == 0 {
		overlap = DefaultOverlap
	}
	opts.Now = time.Unix(0, 0) // checked and replaced per call
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Tracker{
		opts: o, overlap: overlap,
		tasks:   make(map[vem.UID]*vem.BackupTaskSession),
		jobs:    make(map[vem.UID]*vem.BackupJobSession),
		missing: make(map[vem.UID]bool),
	}, nil
}

// Refresh brings the tracker up to date at now (the zero time: time.Now()):
// the whole window the first time, then what was created or ended since the
// previous successful refresh less the overlap. On error the tracker keeps
// what it held and the next refresh reads from the same point again.
func (t *Tracker) Refresh(ctx context.Context, c *vem.Client, now time.Time) (RefreshStats, error) {
	if c == nil {
		return RefreshStats{}, errors.New("health: nil client")
	}
	return t.refresh(ctx, clientSource{c}, now)
}

func (t *Tracker) refresh(ctx context.Context, src source, now time.Time) (RefreshStats, error) {
	t.refreshMu.Lock()
	defer t.refreshMu.Unlock()
	if now.IsZero() {
		now = time.Now()
	}
	now = now.UTC()
	windowStart := now.Add(-t.opts.Window)

	t.mu.Lock()
	last := t.last
	t.mu.Unlock()

	var (
		st          RefreshStats
		tasks       []*vem.BackupTaskSession
		jobSessions []*vem.BackupJobSession
		err         error
	)
	if last.IsZero() {
		st.Full, st.Since = true, windowStart
		tasks, jobSessions, err = readAll(ctx, src, windowStart, windowStart.Add(-jobSessionMargin))
	} else {
		st.Since = last.Add(-t.overlap)
		if st.Since.Before(windowStart) {
			st.Since = windowStart
		}
		tasks, jobSessions, err = readChanged(ctx, src, st.Since)
	}
	if err != nil {
		return st, err
	}
	st.TaskSessions, st.JobSessions = len(tasks), len(jobSessions)

	t.mu.Lock()
	for _, js := range jobSessions {
		u := normUID(js.UID)
		t.jobs[u] = js
		delete(t.missing, u)
	}
	for _, ts := range tasks {
		if !ts.CreationTime.Before(windowStart) {
			t.tasks[normUID(ts.UID)] = ts
		}
	}
	t.prune(windowStart)
	want := t.unknownJobSessions()
	t.mu.Unlock()

	// The job sessions that tasks point at and that started before the job
	// sessions read: by UID, in batches, once each.
	for batch := range slices.Chunk(want, uidBatch) {
		var got []*vem.BackupJobSession
		for js, err := range src.jobSessionsByUID(ctx, batch) {
			if err != nil {
				return st, fmt.Errorf("health: reading job sessions by UID: %w", err)
			}
			got = append(got, js)
		}
		t.mu.Lock()
		for _, u := range batch {
			t.missing[normUID(u)] = true
		}
		for _, js := range got {
			u := normUID(js.UID)
			t.jobs[u] = js
			delete(t.missing, u)
		}
		t.mu.Unlock()
		st.JobSessions += len(got)
	}

	t.mu.Lock()
	t.last = now
	t.mu.Unlock()
	return st, nil
}

// readAll reads the task sessions created since tasksSince and the job
// sessions created since jobsSince, the two queries at once.
func readAll(ctx context.Context, src source, tasksSince, jobsSince time.Time) ([]*vem.BackupTaskSession, []*vem.BackupJobSession, error) {
	return readBoth(ctx,
		func(ctx context.Context) ([]*vem.BackupTaskSession, error) {
			return collect(src.taskSessions(ctx, tasksSince), "task sessions")
		},
		func(ctx context.Context) ([]*vem.BackupJobSession, error) {
			return collect(src.jobSessions(ctx, jobsSince), "job sessions")
		})
}

// readChanged reads the task and job sessions created or ended since since.
func readChanged(ctx context.Context, src source, since time.Time) ([]*vem.BackupTaskSession, []*vem.BackupJobSession, error) {
	cs, ok := src.(changedSource)
	if !ok {
		return readAll(ctx, src, since, since)
	}
	return readBoth(ctx,
		func(ctx context.Context) ([]*vem.BackupTaskSession, error) {
			return collect(cs.changedTaskSessions(ctx, since), "task sessions")
		},
		func(ctx context.Context) ([]*vem.BackupJobSession, error) {
			return collect(cs.changedJobSessions(ctx, since), "job sessions")
		})
}

func readBoth[A, B any](ctx context.Context, a func(context.Context) ([]A, error), b func(context.Context) ([]B, error)) ([]A, []B, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		bs   []B
		berr error
		done = make(chan struct{})
	)
	go func() {
		defer close(done)
		bs, berr = b(ctx)
		if berr != nil {
			cancel()
		}
	}()
	as, aerr := a(ctx)
	if aerr != nil {
		cancel()
	}
	<-done
	switch {
	case berr != nil && (aerr == nil || errors.Is(aerr, context.Canceled)):
		return nil, nil, berr
	case aerr != nil:
		return nil, nil, aerr
	}
	return as, bs, nil
}

func collect[T any](seq func(func(T, error) bool), what string) ([]T, error) {
	var out []T
	for v, err := range seq {
		if err != nil {
			return nil, fmt.Errorf("health: reading %s: %w", what, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// prune forgets the task sessions created before the window and the job
// sessions older than the window's job-session margin that no task needs.
// t.mu is held.
func (t *Tracker) prune(windowStart time.Time) {
	for u, ts := range t.tasks {
		if ts.CreationTime.Before(windowStart) {
			delete(t.tasks, u)
		}
	}
	needed := make(map[vem.UID]bool, len(t.jobs))
	for _, ts := range t.tasks {
		needed[normUID(jobSessionUIDOf(ts))] = true
	}
	jobsStart := windowStart.Add(-jobSessionMargin)
	for u, js := range t.jobs {
		if js.CreationTime.Before(jobsStart) && !needed[u] {
			delete(t.jobs, u)
		}
	}
	for u := range t.missing {
		if !needed[u] {
			delete(t.missing, u)
		}
	}
}

// unknownJobSessions returns the UIDs of the job sessions tasks point at
// that the tracker neither holds nor asked for before. t.mu is held.
func (t *Tracker) unknownJobSessions() []vem.UID {
	seen := make(map[vem.UID]bool)
	var out []vem.UID
	for _, ts := range t.tasks {
		u := jobSessionUIDOf(ts)
		n := normUID(u)
		if u == "" || seen[n] || t.jobs[n] != nil || t.missing[n] {
			continue
		}
		seen[n] = true
		out = append(out, u)
	}
	slices.Sort(out)
	return out
}

// Report judges the sessions held at now (the zero time: time.Now()) by the
// rules of the package documentation, as Evaluate would after reading the
// same sessions. Before the first successful Refresh it reports nothing in
// scope (Unknown).
func (t *Tracker) Report(now time.Time) *Report {
	if now.IsZero() {
		now = time.Now()
	}
	opts := t.opts
	opts.Now = now.UTC()
	t.mu.Lock()
	tasks := make([]*vem.BackupTaskSession, 0, len(t.tasks))
	for _, ts := range t.tasks {
		tasks = append(tasks, ts)
	}
	jobs := make([]*vem.BackupJobSession, 0, len(t.jobs))
	for _, js := range t.jobs {
		jobs = append(jobs, js)
	}
	t.mu.Unlock()
	return evaluate(opts.Now, opts, tasks, jobs)
}

// Sessions returns how many task sessions and job sessions the tracker
// holds.
func (t *Tracker) Sessions() (tasks, jobs int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.tasks), len(t.jobs)
}

// changedSource is a source that can read what changed since a time.
type changedSource interface {
	// changedTaskSessions yields the task sessions created or ended at or
	// after since.
	changedTaskSessions(ctx context.Context, since time.Time) func(func(*vem.BackupTaskSession, error) bool)
	// changedJobSessions yields the job sessions created or ended at or
	// after since.
	changedJobSessions(ctx context.Context, since time.Time) func(func(*vem.BackupJobSession, error) bool)
}

func (s clientSource) changedTaskSessions(ctx context.Context, since time.Time) func(func(*vem.BackupTaskSession, error) bool) {
	return s.c.QueryBackupTaskSessions(ctx, vem.Query{
		Filter: vem.Or(vem.Ge(vem.BackupTaskSessionFieldCreationTime, since),
			vem.Ge(vem.BackupTaskSessionFieldEndTime, since)),
		PageSize: pageSize,
	})
}

func (s clientSource) changedJobSessions(ctx context.Context, since time.Time) func(func(*vem.BackupJobSession, error) bool) {
	return s.c.QueryBackupJobSessions(ctx, vem.Query{
		Filter: vem.Or(vem.Ge(vem.BackupJobSessionFieldCreationTime, since),
			vem.Ge(vem.BackupJobSessionFieldEndTime, since)),
		PageSize: pageSize,
	})
}
