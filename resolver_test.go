package vem

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func jobGUID(i int) string { return fmt.Sprintf("11111111-0000-4000-8000-%012d", i) }

// installJobSessions serves job sessions jobGUID(0..n-1), counting requests
// and the most that ran at once; fail makes the first request for a GUID
// answer 500.
func installJobSessions(mt *httpmock.MockTransport, n int, fail map[string]bool) (requests, maxInFlight *atomic.Int32) {
	requests, maxInFlight = new(atomic.Int32), new(atomic.Int32)
	var inFlight atomic.Int32
	var mu sync.Mutex
	failed := map[string]bool{}
	mt.RegisterResponder("GET", `=~^`+testBase+`/api/backupSessions/`, func(r *http.Request) (*http.Response, error) {
		requests.Add(1)
		cur := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			m := maxInFlight.Load()
			if cur <= m || maxInFlight.CompareAndSwap(m, cur) {
				break
			}
		}
		time.Sleep(2 * time.Millisecond) // let requests overlap so the bound is exercised
		id := strings.TrimPrefix(r.URL.Path, "/api/backupSessions/")
		mu.Lock()
		doFail := fail[id] && !failed[id]
		failed[id] = failed[id] || doFail
		mu.Unlock()
		if doFail || r.URL.RawQuery != "format=Entity" {
			resp := httpmock.NewStringResponse(500, `<Error Message="boom" StatusCode="500" xmlns="http://www.veeam.com/ent/v1.0"/>`)
			resp.Header.Set("Content-Type", "application/xml")
			return resp, nil
		}
		resp := httpmock.NewStringResponse(200, fmt.Sprintf(`<BackupJobSession xmlns="http://www.veeam.com/ent/v1.0" Type="BackupJobSession" UID="urn:veeam:BackupJobSession:%s" Name="Job %s"><JobName>Job %s</JobName><State>Stopped</State><Result>Success</Result></BackupJobSession>`, id, id, id))
		resp.Header.Set("Content-Type", "application/xml")
		return resp, nil
	})
	return requests, maxInFlight
}

func TestResolverSharesReads(t *testing.T) {
	c, mt := newMockClient(t)
	requests, maxInFlight := installJobSessions(mt, 20, nil)
	tasks := make([]*BackupTaskSession, 1000)
	for i := range tasks {
		tasks[i] = &BackupTaskSession{UID: UID("urn:veeam:BackupTaskSession:" + taskGUID(i)), JobSessionUID: UID("urn:veeam:BackupJobSession:" + jobGUID(i%20))}
	}
	r := c.NewResolver(4)

	// Concurrent single lookups from many goroutines.
	var wg sync.WaitGroup
	for _, ts := range tasks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			js, err := r.BackupJobSessionOf(context.Background(), ts)
			assert.NoError(t, err)
			if err == nil {
				assert.Equal(t, ts.JobSessionUID, js.UID)
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, int32(20), requests.Load(), "one request per distinct job session")
	assert.LessOrEqual(t, maxInFlight.Load(), int32(4), "concurrency bound")

	// The bulk form, on a fresh resolver.
	r2 := c.NewResolver(3)
	m, err := r2.BackupJobSessionsOf(context.Background(), tasks)
	require.NoError(t, err)
	assert.Len(t, m, 20)
	assert.Equal(t, "Job "+jobGUID(7), m[jobGUID(7)].JobName)
	assert.Equal(t, int32(40), requests.Load())
	assert.LessOrEqual(t, maxInFlight.Load(), int32(4))

	// Cached for the resolver's lifetime.
	_, err = r2.BackupJobSession(context.Background(), jobGUID(3))
	require.NoError(t, err)
	assert.Equal(t, int32(40), requests.Load())
}

// Tasks that name their job session only by link are resolved under that
// job session's GUID, not collapsed under one empty key; a task that names
// no job session is an error, not a silent gap.
func TestResolverJobSessionsByLink(t *testing.T) {
	c, mt := newMockClient(t)
	requests, _ := installJobSessions(mt, 3, nil)
	byLink := func(i, j int) *BackupTaskSession {
		return &BackupTaskSession{UID: UID("urn:veeam:BackupTaskSession:" + taskGUID(i)), Links: Links{{
			Rel: RelUp, Type: TypeBackupJobSessionReference, Href: testBase + "/api/backupSessions/" + jobGUID(j),
		}}}
	}
	tasks := []*BackupTaskSession{byLink(0, 0), byLink(1, 1), byLink(2, 1), byLink(3, 2),
		{UID: UID("urn:veeam:BackupTaskSession:" + taskGUID(4)), JobSessionUID: UID("urn:veeam:BackupJobSession:" + strings.ToUpper(jobGUID(2)))}}
	m, err := c.NewResolver(2).BackupJobSessionsOf(context.Background(), tasks)
	require.NoError(t, err)
	require.Len(t, m, 3)
	for _, ts := range tasks {
		js := m[ts.JobSessionID()]
		require.NotNil(t, js, ts.UID)
		assert.Equal(t, ts.JobSessionID(), js.UID.ID())
	}
	assert.Equal(t, int32(3), requests.Load(), "one request per distinct job session")

	_, err = c.NewResolver(2).BackupJobSessionsOf(context.Background(), append(tasks, &BackupTaskSession{UID: "urn:veeam:BackupTaskSession:" + UID(taskGUID(9))}))
	require.ErrorContains(t, err, "names no job session")
}

func TestResolverDoesNotCacheFailures(t *testing.T) {
	c, mt := newMockClient(t)
	requests, _ := installJobSessions(mt, 1, map[string]bool{jobGUID(0): true})
	r := c.NewResolver(0)
	_, err := r.BackupJobSession(context.Background(), jobGUID(0))
	require.Error(t, err)
	js, err := r.BackupJobSession(context.Background(), jobGUID(0))
	require.NoError(t, err)
	assert.Equal(t, "Job "+jobGUID(0), js.JobName)
	assert.Equal(t, int32(2), requests.Load())
	_, err = r.BackupServer(context.Background(), "bad id")
	assert.ErrorIs(t, err, ErrInvalidID)
}

// TestResolverSharesAFailureWithItsWaiters: 20 callers of one hanging
// resource cost one request; its failure (the attempt's own timeout) is
// theirs too. Only when the caller that made the read gave up does a waiter
// read again.
func TestResolverSharesAFailureWithItsWaiters(t *testing.T) {
	t.Parallel()
	id := jobGUID(7)
	body := fmt.Sprintf(`<BackupJobSession xmlns="http://www.veeam.com/ent/v1.0" Type="BackupJobSession" UID="urn:veeam:BackupJobSession:%s" Name="Job"><JobName>Job</JobName><State>Stopped</State><Result>Success</Result></BackupJobSession>`, id)

	serve := func(t *testing.T, mt *httpmock.MockTransport, hang func(n int32) bool) (*atomic.Int32, chan struct{}) {
		var requests atomic.Int32
		entered := make(chan struct{}, 100)
		mt.RegisterResponder("GET", testBase+"/api/backupSessions/"+id, func(r *http.Request) (*http.Response, error) {
			n := requests.Add(1)
			entered <- struct{}{}
			if hang(n) {
				<-r.Context().Done()
				return nil, r.Context().Err()
			}
			return mockResp(http.StatusOK, ctXML, []byte(body)), nil
		})
		return &requests, entered
	}

	t.Run("the read times out: one request, one shared failure", func(t *testing.T) {
		t.Parallel()
		c, mt := newMockClient(t, WithTimeout(300*time.Millisecond))
		requests, entered := serve(t, mt, func(int32) bool { return true })
		r := c.NewResolver(0)
		errs := make(chan error, 20)
		go func() { _, err := r.BackupJobSession(context.Background(), id); errs <- err }()
		<-entered
		for range 19 {
			go func() { _, err := r.BackupJobSession(context.Background(), id); errs <- err }()
		}
		for range 20 {
			err := <-errs
			require.ErrorIs(t, err, context.DeadlineExceeded)
		}
		assert.EqualValues(t, 1, requests.Load(), "one request for 20 callers")
	})

	t.Run("the reading caller gives up: a waiter reads again", func(t *testing.T) {
		t.Parallel()
		c, mt := newMockClient(t)
		requests, entered := serve(t, mt, func(n int32) bool { return n == 1 })
		r := c.NewResolver(0)
		ctx, cancel := context.WithCancel(context.Background())
		first := make(chan error, 1)
		go func() { _, err := r.BackupJobSession(ctx, id); first <- err }()
		<-entered
		second := make(chan *BackupJobSession, 1)
		go func() {
			js, err := r.BackupJobSession(context.Background(), id)
			assert.NoError(t, err)
			second <- js
		}()
		time.Sleep(20 * time.Millisecond) // let the second caller wait for the first read
		cancel()
		require.ErrorIs(t, <-first, context.Canceled)
		js := <-second
		require.NotNil(t, js)
		assert.Equal(t, UID("urn:veeam:BackupJobSession:"+id), js.UID)
		assert.EqualValues(t, 2, requests.Load())
	})
}

// A job session answered with another one's UID is an error, and the
// Resolver does not keep it under the ID it was asked for.
func TestResolverRefusesAnotherObject(t *testing.T) {
	c, mt := newMockClient(t)
	var requests atomic.Int32
	mt.RegisterResponder("GET", `=~^`+testBase+`/api/backupSessions/`, func(r *http.Request) (*http.Response, error) {
		requests.Add(1)
		return mockResp(200, ctXML, []byte(`<BackupJobSession xmlns="http://www.veeam.com/ent/v1.0" Type="BackupJobSession" UID="urn:veeam:BackupJobSession:`+jobGUID(2)+`" Name="B"/>`)), nil
	})
	r := c.NewResolver(2)
	for range 2 {
		js, err := r.BackupJobSession(context.Background(), jobGUID(1))
		assert.Nil(t, js)
		assert.ErrorIs(t, err, ErrDecode)
	}
	assert.Equal(t, int32(2), requests.Load(), "the wrong answer was not cached")
}
