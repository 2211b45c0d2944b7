package health

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vemkit/vem"
)

// Reading parameters.
const (
	// pageSize is the query page size: EM serves up to 1000 objects a page
	// at a cost that grows with the page, and few pages keep the request
	// count low.
	pageSize = 1000
	// jobSessionMargin is how much earlier than the task sessions job
	// sessions are read: a task's job session may have started before the
	// window (a long run, a run that crossed the window's start).
	jobSessionMargin = 48 * time.Hour
	// uidBatch is how many job session UIDs one resolving query asks for.
	uidBatch = 40
)

// source reads sessions; clientSource reads them from EM, tests from a
// slice.
type source interface {
	// taskSessions yields the task sessions created at or after since.
	taskSessions(ctx context.Context, since time.Time) iter.Seq2[*vem.BackupTaskSession, error]
	// jobSessions yields the job sessions created at or after since.
	jobSessions(ctx context.Context, since time.Time) iter.Seq2[*vem.BackupJobSession, error]
	// jobSessionsByUID yields the job sessions with these UIDs (those that
	// exist), in few requests.
	jobSessionsByUID(ctx context.Context, uids []vem.UID) iter.Seq2[*vem.BackupJobSession, error]
}

// clientSource reads through the query service of a vem.Client.
type clientSource struct{ c *vem.Client }

func (s clientSource) taskSessions(ctx context.Context, since time.Time) iter.Seq2[*vem.BackupTaskSession, error] {
	return s.c.QueryBackupTaskSessions(ctx, vem.Query{
		Filter:   vem.Ge("CreationTime", since),
		PageSize: pageSize,
	})
}

// read collects the sessions of the window: task sessions and job sessions
// concurrently, then, in batches, the job sessions the tasks point at that
// started before the job sessions' window.
func read(ctx context.Context, src source, now time.Time, window time.Duration) ([]*vem.BackupTaskSession, []*vem.BackupJobSession, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	since := now.Add(-window)

	var (
		mu       sync.Mutex
		firstErr error
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if firstErr == nil {
			firstErr = err // the cause, not the cancellation it causes in the other reader
			cancel()
		}
	}
	var (
		wg   sync.WaitGroup
		jobs []*vem.BackupJobSession
	)
	wg.Go(func() {
		for js, err := range src.jobSessions(ctx, since.Add(-jobSessionMargin)) {
			if err != nil {
				fail(fmt.Errorf("health: reading job sessions: %w", err))
				return
			}
			jobs = append(jobs, js)
		}
	})
	var tasks []*vem.BackupTaskSession
	for ts, err := range src.taskSessions(ctx, since) {
		if err != nil {
			fail(fmt.Errorf("health: reading task sessions: %w", err))
			break
		}
		tasks = append(tasks, ts)
	}
	wg.Wait()
	if firstErr != nil {
		return nil, nil, firstErr
	}

	known := make(map[vem.UID]bool, len(jobs))
	for _, js := range jobs {
		known[normUID(js.UID)] = true
	}
	var missing []vem.UID
	for _, ts := range tasks {
		u := jobSessionUIDOf(ts)
		if u != "" && !known[normUID(u)] {
			known[normUID(u)] = true
			missing = append(missing, u)
		}
	}
	for batch := range slices.Chunk(missing, uidBatch) {
		for js, err := range src.jobSessionsByUID(ctx, batch) {
			if err != nil {
				return nil, nil, fmt.Errorf("health: reading job sessions by UID: %w", err)
			}
			jobs = append(jobs, js)
		}
	}
	return tasks, jobs, nil
}

// jobSessionUIDOf returns the UID of the task's job session: JobSessionUid,
// else the one its Up link names.
func jobSessionUIDOf(ts *vem.BackupTaskSession) vem.UID {
	if ts.JobSessionUID != "" {
		return ts.JobSessionUID
	}
	if l, ok := ts.JobSessionLink(); ok {
		if id := l.ID(); id != "" {
			return vem.UID("urn:veeam:" + vem.KindBackupJobSession + ":" + id)
		}
	}
	return ""
}

// normUID folds a UID's case: EM writes GUIDs in either case.
func normUID(u vem.UID) vem.UID { return vem.UID(strings.ToLower(string(u))) }
