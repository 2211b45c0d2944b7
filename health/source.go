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
		Filter:   vem.Ge(vem.BackupTaskSessionFieldCreationTime, since),
		PageSize: pageSize,
	})
}

func (s clientSource) jobSessions(ctx context.Context, since time.Time) iter.Seq2[*vem.BackupJobSession, error] {
	return s.c.QueryBackupJobSessions(ctx, vem.Query{
		Filter:   vem.Ge(vem.BackupJobSessionFieldCreationTime, since),
		PageSize: pageSize,
	})
}

func (s clientSource) jobSessionsByUID(ctx context.Context, uids []vem.UID) iter.Seq2[*vem.BackupJobSession, error] {
	fs := make([]vem.Filter, len(uids))
	for i, u := range uids {
		fs[i] = vem.Eq(vem.BackupJobSessionFieldUID, u)
	}
	return s.c.QueryBackupJobSessions(ctx, vem.Query{Filter: vem.Or(fs...), PageSize: pageSize})
}

// read feeds acc with the sessions of the window: job sessions and task
// sessions are read concurrently, but tasks are taken only once the job
// sessions are in, so that each task is filed as it arrives and only the
// newest of each (job, VM) is kept whole. The job sessions that tasks point
// at and that started before the job sessions' window are then read by UID,
// in batches.
func read(ctx context.Context, src source, acc *accumulator) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	since := acc.since

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
	var jobs []*vem.BackupJobSession
	jobsDone := make(chan struct{})
	go func() {
		defer close(jobsDone)
		for js, err := range src.jobSessions(ctx, since.Add(-jobSessionMargin)) {
			if err != nil {
				fail(fmt.Errorf("health: reading job sessions: %w", err))
				return
			}
			jobs = append(jobs, js)
		}
	}()
	waited := false
	wait := func() {
		if !waited {
			waited = true
			<-jobsDone
			for _, js := range jobs {
				acc.addJobSession(js)
			}
			jobs = nil
		}
	}
	for ts, err := range src.taskSessions(ctx, since) {
		if err != nil {
			fail(fmt.Errorf("health: reading task sessions: %w", err))
			break
		}
		wait()
		acc.addTask(ts)
	}
	wait()
	if firstErr != nil {
		return firstErr
	}

	for batch := range slices.Chunk(acc.pendingJobSessions(), uidBatch) {
		for js, err := range src.jobSessionsByUID(ctx, batch) {
			if err != nil {
				return fmt.Errorf("health: reading job sessions by UID: %w", err)
			}
			acc.addJobSession(js)
		}
	}
	return nil
}

// jobSessionUIDOf returns the UID of the task's job session: JobSessionUid,
// else the one its Up link names.
func jobSessionUIDOf(ts *vem.BackupTaskSession) vem.UID {
	if ts.JobSessionUID != "" {
		return ts.JobSessionUID
	}
	if l, ok := ts.BackupJobSessionLink(); ok {
		if id := l.ID(); id != "" {
			return vem.UID("urn:veeam:" + vem.KindBackupJobSession + ":" + id)
		}
	}
	return ""
}

// normUID folds a UID's case: EM writes GUIDs in either case.
func normUID(u vem.UID) vem.UID { return vem.UID(strings.ToLower(string(u))) }
