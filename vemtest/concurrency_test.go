package vemtest_test

import (
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vemkit/vem"
	"github.com/vemkit/vem/vemtest"
)

// TestConcurrentUse hammers one server from many goroutines with every kind
// of call, mutations included; run it with -race.
func TestConcurrentUse(t *testing.T) {
	srv := newServer(t, vemtest.WithNow(testNow), vemtest.WithDataset(200))
	var requests atomic.Int64
	call := func(method, path, token string, json bool) (int, string, error) {
		requests.Add(1)
		req, err := http.NewRequest(method, srv.URL+path, nil)
		if err != nil {
			return 0, "", err
		}
		if token != "" {
			req.Header.Set(vemtest.SessionHeader, token)
		} else if method == http.MethodPost {
			req.SetBasicAuth(srv.Username, srv.Password)
		}
		if json {
			req.Header.Set("Accept", "application/json")
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		_, err = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, resp.Header.Get(vemtest.SessionHeader), err
	}

	const workers, rounds = 8, 15
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			_, token, err := call(http.MethodPost, "/api/sessionMngr/?v=latest", "", false)
			if !assert.NoError(t, err) {
				return
			}
			for i := range rounds {
				var path string
				switch i % 5 {
				case 0:
					path = "/api/query?type=BackupTaskSession&format=Entities&pageSize=50&sortDesc=TotalSize&filter=" + urlQuery("Result>Success")
				case 1:
					path = "/api/backupTaskSessions/" + vemtest.SeedBackupTaskSessionID + "?format=Entity"
				case 2:
					path = "/api/backupTaskSessions"
				case 3:
					path = "/api/backupSessions/" + vemtest.SeedBackupJobSessionID + "/taskSessions"
				case 4:
					path = "/api/query?type=BackupTaskSession&page=2"
				}
				status, _, err := call(http.MethodGet, path, token, i%2 == 0)
				if !assert.NoError(t, err) {
					return
				}
				switch status {
				case http.StatusOK, http.StatusServiceUnavailable:
				case http.StatusUnauthorized: // ExpireSessions ran: log on again
					_, token, err = call(http.MethodPost, "/api/sessionMngr/?v=latest", "", false)
					assert.NoError(t, err)
				default:
					t.Errorf("%s: unexpected status %d", path, status)
				}
				switch {
				case w == 0 && i == rounds/2:
					srv.ExpireSessions()
				case w == 1 && i%4 == 0:
					srv.FailNext(1, http.StatusServiceUnavailable)
				case w == 2:
					srv.AddBackupTaskSession(vem.BackupTaskSession{
						UID:           vem.UID(fmt.Sprintf("00000000-0000-4000-8000-%012d", i)),
						VMDisplayName: "concurrent",
						JobSessionUID: vem.UID("urn:veeam:BackupJobSession:" + vemtest.SeedBackupJobSessionID),
						CreationTime:  testNow.Add(-time.Duration(i) * time.Minute),
						State:         vem.StateCompleted,
						Result:        vem.ResultSuccess,
					})
				case w == 3:
					_ = srv.Stats()
					srv.SetLatency(0)
				}
			}
		})
	}
	wg.Wait()
	st := srv.Stats()
	assert.Equal(t, int(requests.Load()), st.Requests)
	assert.Equal(t, 201+rounds, srv.BackupTaskSessionCount())
	assert.GreaterOrEqual(t, st.Logons, workers)
	assert.GreaterOrEqual(t, st.Expirations, 1)
}

// TestConcurrentJobRuns starts, stops and retries jobs from many
// goroutines while others query and the clock moves; run it with -race.
// In the end every run has finished and every task is Finished.
func TestConcurrentJobRuns(t *testing.T) {
	clock := vemtest.NewClock(testNow)
	srv := newServer(t, vemtest.WithNow(testNow), vemtest.WithDataset(60), vemtest.WithClock(clock.Now),
		vemtest.WithIdleTimeout(0), vemtest.WithRunTime(10*time.Second), vemtest.WithCollectionLag(time.Minute))
	jobs := xmlEntities(t, srv, logonToken(t, srv), "/api/jobs")
	require.Len(t, jobs, 6)

	type owned struct{ token, task string }
	var mu sync.Mutex
	var tasks []owned
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Go(func() {
			token := logonToken(t, srv)
			for i := range 12 {
				id := jobs[(w+i)%len(jobs)].Attrs["UID"][len("urn:veeam:Job:"):]
				var r response
				switch i % 4 {
				case 0, 1:
					r = do(t, srv, request{method: http.MethodPost, path: "/api/jobs/" + id + "?action=" + []string{"start", "stop", "retry"}[(w+i)%3], token: token})
				case 2:
					r = do(t, srv, request{path: "/api/query?type=BackupJobSession&format=Entities&filter=" + urlQuery("JobUid=="+id), token: token, accept: "application/json"})
				case 3:
					r = do(t, srv, request{path: "/api/jobs/" + id + "/backupSessions?format=Entity", token: token})
				}
				switch {
				case r.status == http.StatusAccepted:
					mu.Lock()
					tasks = append(tasks, owned{token, parseTask(t, r).TaskID})
					mu.Unlock()
				case r.status == http.StatusBadRequest && i%4 < 2: // a retry that EM refuses
				case r.status != http.StatusOK:
					t.Errorf("unexpected %d: %s", r.status, r.body)
				}
				switch w {
				case 0:
					clock.Add(3 * time.Second)
				case 1:
					srv.SetNextResult([]vem.Result{vem.ResultSuccess, vem.ResultWarning, vem.ResultFailed}[i%3])
				}
			}
		})
	}
	wg.Wait()
	require.NotEmpty(t, tasks)
	clock.Add(2 * time.Minute)
	for _, o := range tasks {
		r := get(t, srv, o.token, "/api/tasks/"+o.task)
		require.Equal(t, http.StatusOK, r.status)
		assert.Equal(t, "Finished", parseTask(t, r).State)
	}
	// Only the data set's own running session is still Working.
	token := logonToken(t, srv)
	assert.Len(t, queryAll(t, srv, token, "type=BackupJobSession&filter=State==Working"), 1)
	assert.Empty(t, queryAll(t, srv, token, "type=BackupTaskSession&filter="+urlQuery(`EndTime=="";CreationTime>=2025-10-20T12:00:00Z`)))
}

func logonToken(t testing.TB, srv *vemtest.Server) string {
	t.Helper()
	token, _ := logon(t, srv)
	return token
}
