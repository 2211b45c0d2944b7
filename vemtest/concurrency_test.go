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
					path = "/api/backupTaskSessions/" + vemtest.SeedTaskSessionID + "?format=Entity"
				case 2:
					path = "/api/backupTaskSessions"
				case 3:
					path = "/api/backupSessions/" + vemtest.SeedJobSessionID + "/taskSessions"
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
						JobSessionUID: vem.UID("urn:veeam:BackupJobSession:" + vemtest.SeedJobSessionID),
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
	assert.Equal(t, 201+rounds, srv.TaskSessionCount())
	assert.GreaterOrEqual(t, st.Logons, workers)
	assert.GreaterOrEqual(t, st.Expirations, 1)
}
