package vem

import (
	"context"
	"fmt"
	"sync"
)

// DefaultResolverConcurrency bounds a Resolver's requests when
// NewResolver is given 0.
const DefaultResolverConcurrency = 8

// Resolver reads related resources (job sessions, backup servers, VM
// restore points) at most once each: the first call for an ID sends the
// request, concurrent and later calls for the same ID share its result. Many
// task sessions share one job session, so resolving the job sessions of
// 1,000 tasks over 20 job sessions costs 20 requests.
//
// A Resolver caches for its own lifetime and never expires entries: make one
// per report, batch or request, and drop it to forget. Failed reads are not
// cached (the next call tries again), but the callers waiting for a read
// share its failure: a hanging resource costs one request, not one per
// caller. Only when the caller that made the read gave up (its own context
// ended) does a waiter whose context is still live read again. At most the
// Resolver's concurrency of requests run at once. A Resolver is safe for
// concurrent use.
type Resolver struct {
	c   *Client
	sem chan struct{}

	mu      sync.Mutex
	entries map[string]*resolveEntry // key: kind + ":" + GUID
}

type resolveEntry struct {
	done chan struct{}
	v    any
	err  error
	// gaveUp is set when the read failed because the context of the caller
	// that made it ended: the waiters, whose contexts may still be live,
	// read again. Any other failure is theirs too.
	gaveUp bool
}

// NewResolver returns a Resolver that runs at most concurrency requests at
// once (0 means DefaultResolverConcurrency).
func (c *Client) NewResolver(concurrency int) *Resolver {
	if concurrency <= 0 {
		concurrency = DefaultResolverConcurrency
	}
	return &Resolver{c: c, sem: make(chan struct{}, concurrency), entries: map[string]*resolveEntry{}}
}

// BackupJobSession returns the job session with the given ID (see
// Client.GetBackupJobSession), reading it only once.
func (r *Resolver) BackupJobSession(ctx context.Context, id string) (*BackupJobSession, error) {
	return resolve(ctx, r, KindBackupJobSession, id, r.c.GetBackupJobSession)
}

// BackupServer returns the backup server with the given ID (see
// Client.GetBackupServer), reading it only once.
func (r *Resolver) BackupServer(ctx context.Context, id string) (*BackupServer, error) {
	return resolve(ctx, r, KindBackupServer, id, r.c.GetBackupServer)
}

// VMRestorePoint returns the VM restore point with the given ID (see
// Client.GetVMRestorePoint), reading it only once.
func (r *Resolver) VMRestorePoint(ctx context.Context, id string) (*VMRestorePoint, error) {
	return resolve(ctx, r, KindVMRestorePoint, id, r.c.GetVMRestorePoint)
}

// Job returns the job with the given ID (see Client.GetJob), reading it
// only once.
func (r *Resolver) Job(ctx context.Context, id string) (*Job, error) {
	return resolve(ctx, r, KindJob, id, r.c.GetJob)
}

// BackupJobSessionOf returns the job session of a task session, found by its
// JobSessionID (its JobSessionUID or, failing that, its job session link).
func (r *Resolver) BackupJobSessionOf(ctx context.Context, ts *BackupTaskSession) (*BackupJobSession, error) {
	id := ts.JobSessionID()
	if id == "" {
		return nil, fmt.Errorf("vem: task session %s names no job session (no JobSessionUid, no job session link)", ts.UID)
	}
	return r.BackupJobSession(ctx, id)
}

// BackupJobSessionsOf resolves the job sessions of many task sessions at once, each
// distinct one read once, with the Resolver's concurrency. The map is keyed
// by the job session's GUID, the task's JobSessionID(), so that a task that
// names its job session only by link is found as well. It stops at the
// first error; a task that names no job session at all is an error.
func (r *Resolver) BackupJobSessionsOf(ctx context.Context, tasks []*BackupTaskSession) (map[string]*BackupJobSession, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		out      = map[string]*BackupJobSession{}
		firstErr error
	)
	seen := map[string]bool{}
	for _, ts := range tasks {
		key := ts.JobSessionID()
		if key == "" {
			return nil, fmt.Errorf("vem: task session %s names no job session (no JobSessionUid, no job session link)", ts.UID)
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		wg.Add(1)
		go func() {
			defer wg.Done()
			js, err := r.BackupJobSession(ctx, key)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = err
					cancel()
				}
				return
			}
			out[key] = js
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	return out, nil
}

func resolve[T any](ctx context.Context, r *Resolver, kind, id string, get func(context.Context, string) (*T, error)) (*T, error) {
	guid, err := ParseID(kind, id)
	if err != nil {
		return nil, err
	}
	key := kind + ":" + guid
	for {
		r.mu.Lock()
		e, ok := r.entries[key]
		if !ok {
			e = &resolveEntry{done: make(chan struct{})}
			r.entries[key] = e
			r.mu.Unlock()
			e.v, e.err = r.fetch(ctx, func(ctx context.Context) (any, error) { return get(ctx, guid) })
			e.gaveUp = e.err != nil && ctx.Err() != nil
			if e.err != nil {
				r.mu.Lock()
				delete(r.entries, key) // do not cache failures
				r.mu.Unlock()
			}
			close(e.done)
			if e.err != nil {
				return nil, e.err
			}
			return e.v.(*T), nil
		}
		r.mu.Unlock()
		select {
		case <-e.done:
		case <-ctx.Done():
			return nil, fmt.Errorf("vem: waiting for %s %s: %w", kind, guid, ctx.Err())
		}
		if e.err == nil {
			return e.v.(*T), nil
		}
		if e.gaveUp && ctx.Err() == nil {
			continue // the caller that read it gave up; this one has not: read again
		}
		return nil, e.err
	}
}

// fetch runs one read under the concurrency bound.
func (r *Resolver) fetch(ctx context.Context, f func(context.Context) (any, error)) (any, error) {
	select {
	case r.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-r.sem }()
	return f(ctx)
}
