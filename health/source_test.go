package health

import (
	"context"
	"errors"
	"iter"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vemkit/vem"
)

// fakeSource serves a fixture the way the query service does, and records
// what it was asked.
type fakeSource struct {
	f       *fixture
	taskErr error
	jobErr  error

	mu         sync.Mutex
	taskSince  time.Time
	jobSince   time.Time
	uidBatches [][]vem.UID
}

func (s *fakeSource) taskSessions(ctx context.Context, since time.Time) iter.Seq2[*vem.BackupTaskSession, error] {
	s.mu.Lock()
	s.taskSince = since
	s.mu.Unlock()
	return func(yield func(*vem.BackupTaskSession, error) bool) {
		if s.taskErr != nil {
			yield(nil, s.taskErr)
			return
		}
		for _, ts := range s.f.tasks {
			if !ts.CreationTime.Before(since) && !yield(ts, nil) {
				return
			}
		}
	}
}

func (s *fakeSource) jobSessions(ctx context.Context, since time.Time) iter.Seq2[*vem.BackupJobSession, error] {
	s.mu.Lock()
	s.jobSince = since
	s.mu.Unlock()
	return func(yield func(*vem.BackupJobSession, error) bool) {
		if s.jobErr != nil {
			yield(nil, s.jobErr)
			return
		}
		for _, js := range s.f.jobs {
			if !js.CreationTime.Before(since) && !yield(js, nil) {
				return
			}
		}
	}
}

func (s *fakeSource) jobSessionsByUID(ctx context.Context, uids []vem.UID) iter.Seq2[*vem.BackupJobSession, error] {
	s.mu.Lock()
	s.uidBatches = append(s.uidBatches, uids)
	s.mu.Unlock()
	return func(yield func(*vem.BackupJobSession, error) bool) {
		for _, js := range s.f.jobs {
			for _, u := range uids {
				if normUID(u) == normUID(js.UID) && !yield(js, nil) {
					return
				}
			}
		}
	}
}

func TestEvaluateFromReadsWindowAndResolvesOldJobSessions(t *testing.T) {
	f := &fixture{}
	var long []*vem.BackupJobSession
	// 45 job sessions that started 10 days ago and still run: their tasks
	// are in the window, they are not; one resolving query per 40.
	for range 45 {
		js := f.run("Long", 10*24*h, 0, false)
		long = append(long, js)
		f.task(js, "vm", 8*24*h, 10*m, vem.ResultSuccess, "")
	}
	js := f.run("Daily", 5*h, h, false)
	f.task(js, "web01", m, 30*m, vem.ResultSuccess, "")
	src := &fakeSource{f: f}

	rep, err := evaluateFrom(t.Context(), src, Options{Now: testNow})
	require.NoError(t, err)
	assert.Equal(t, testNow.Add(-DefaultWindow), src.taskSince)
	assert.Equal(t, testNow.Add(-DefaultWindow-jobSessionMargin), src.jobSince)
	require.Len(t, src.uidBatches, 2)
	assert.Len(t, src.uidBatches[0], uidBatch)
	assert.Len(t, src.uidBatches[1], 45-uidBatch)
	assert.Equal(t, long[0].UID, src.uidBatches[0][0])
	assert.Equal(t, 46, rep.TaskSessions)
	assert.Equal(t, 46, rep.JobSessions)
	require.Len(t, rep.Jobs, 2)
	for _, j := range rep.Jobs {
		assert.NotEmpty(t, j.UID, j.Name)
	}
	assert.Equal(t, "Long", rep.Jobs[0].Name) // stale success, 47h50m
	assert.Equal(t, StatusWarning, rep.Jobs[0].Status)
	assert.Equal(t, Counts{Warning: 1}, rep.Jobs[0].VMs) // one VM key, 45 tasks
}

func TestEvaluateFromErrors(t *testing.T) {
	boom := errors.New("boom")
	f := &fixture{}
	f.task(f.run("Daily", 5*h, h, false), "web01", m, 30*m, vem.ResultSuccess, "")

	_, err := evaluateFrom(t.Context(), &fakeSource{f: f, taskErr: boom}, Options{Now: testNow})
	require.ErrorIs(t, err, boom)
	assert.ErrorContains(t, err, "reading task sessions")

	_, err = evaluateFrom(t.Context(), &fakeSource{f: f, jobErr: boom}, Options{Now: testNow})
	require.ErrorIs(t, err, boom)
	assert.ErrorContains(t, err, "reading job sessions")

	src := &fakeSource{f: f}
	_, err = evaluateFrom(t.Context(), src, Options{Window: -h})
	require.ErrorIs(t, err, ErrInvalidOptions)
	assert.True(t, src.taskSince.IsZero(), "no read with invalid options")
}

func TestEvaluateNilClient(t *testing.T) {
	_, err := Evaluate(t.Context(), nil, Options{})
	require.Error(t, err)
}
