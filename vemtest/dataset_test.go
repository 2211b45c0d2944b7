package vemtest_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vemkit/vem"
	"github.com/vemkit/vem/vemtest"
)

type wireTask struct {
	UID             string
	Name            string
	VMDisplayName   string
	JobSessionUID   string
	CreationTimeUTC string
	EndTimeUTC      *string
	State           string
	Result          string
	Reason          string
	TotalSize       int64
	VMUID           string
	Links           vem.Links
}

func allTasks(t testing.TB, srv *vemtest.Server, token string) []wireTask {
	t.Helper()
	r := getJSON(t, srv, token, "/api/query?type=BackupTaskSession&format=Entities&pageSize=100000")
	require.Equal(t, http.StatusOK, r.status)
	var q struct {
		Entities struct {
			BackupTaskSessions struct{ BackupTaskSessions []wireTask }
		}
	}
	require.NoError(t, json.Unmarshal(r.body, &q))
	return q.Entities.BackupTaskSessions.BackupTaskSessions
}

func TestDefaultDataset(t *testing.T) {
	srv := newServer(t, vemtest.WithNow(testNow))
	assert.Equal(t, vemtest.DefaultDatasetSize+1, srv.BackupTaskSessionCount())
	token, _ := logon(t, srv)
	tasks := allTasks(t, srv, token)
	require.Len(t, tasks, 61)

	states, results, servers, jobs := map[string]int{}, map[string]int{}, map[string]bool{}, map[string]bool{}
	perJobSession := map[string]int{}
	var withRP, withoutRP, big, running int
	var reasons []string
	for _, ts := range tasks {
		states[ts.State]++
		results[ts.Result]++
		perJobSession[ts.JobSessionUID]++
		created, err := time.Parse(time.RFC3339Nano, ts.CreationTimeUTC)
		require.NoError(t, err)
		if ts.UID != "urn:veeam:BackupTaskSession:"+vemtest.SeedBackupTaskSessionID {
			assert.False(t, created.After(testNow), ts.CreationTimeUTC)
			assert.True(t, created.After(testNow.Add(-30*24*time.Hour)), ts.CreationTimeUTC)
			// Generated times have at most millisecond precision, trimmed like .Net.
			frac := ts.CreationTimeUTC[strings.LastIndexByte(ts.CreationTimeUTC, ':')+3:]
			assert.LessOrEqual(t, len(frac), 5, ts.CreationTimeUTC) // ".mmmZ"
			assert.NotRegexp(t, `\.\d*0Z$`, ts.CreationTimeUTC)
		}
		if ts.State == "Completed" {
			require.NotNil(t, ts.EndTimeUTC, ts.UID)
		} else {
			assert.Nil(t, ts.EndTimeUTC, "a running task has no EndTimeUTC")
			running++
		}
		if ts.TotalSize > 1<<32 {
			big++
		}
		if _, ok := (&vem.BackupTaskSession{Links: ts.Links}).VMRestorePointLink(); ok {
			withRP++
		} else {
			withoutRP++
		}
		if ts.Reason != "" {
			reasons = append(reasons, ts.Reason)
		}
		l, ok := (&vem.BackupTaskSession{Links: ts.Links}).BackupServerLink()
		require.True(t, ok)
		servers[l.Name] = true
		l, ok = (&vem.BackupTaskSession{Links: ts.Links}).BackupJobSessionLink()
		require.True(t, ok)
		job, _, _ := strings.Cut(l.Name, "@")
		jobs[job] = true
	}
	for _, s := range []string{"InProgress", "Pending", "Completed"} {
		assert.Positive(t, states[s], s)
	}
	for _, r := range []string{"Success", "Warning", "Failed", "None"} {
		assert.Positive(t, results[r], r)
	}
	assert.Positive(t, running)
	assert.Positive(t, withRP)
	assert.Positive(t, withoutRP)
	assert.Greater(t, big, 10)
	assert.GreaterOrEqual(t, len(servers), 3)
	assert.GreaterOrEqual(t, len(jobs), 5)
	assert.True(t, jobs[`Fileserver "A" Backup`], "a job name with spaces and quotes")
	several := 0
	for _, n := range perJobSession {
		if n > 1 {
			several++
		}
	}
	assert.Greater(t, several, 5, "several tasks per job session")
	joined := strings.Join(reasons, "\n")
	for _, s := range []string{`"`, "<", "&", "« plein »", "É"} {
		assert.Contains(t, joined, s)
	}
	assert.True(t, utf8.ValidString(joined))

	// Every link of every task leads somewhere.
	for _, ts := range tasks {
		for _, l := range ts.Links {
			r := get(t, srv, token, hrefPath(t, l.Href))
			assert.Equal(t, http.StatusOK, r.status, l.Href)
		}
	}
}

func TestDatasetIsDeterministic(t *testing.T) {
	body := func(opts ...vemtest.Option) string {
		srv := newServer(t, opts...)
		token, _ := logon(t, srv)
		r := get(t, srv, token, "/api/query?type=BackupTaskSession&format=Entities&pageSize=1000")
		require.Equal(t, http.StatusOK, r.status)
		return strings.ReplaceAll(string(r.body), srv.URL, "https://em")
	}
	a := body(vemtest.WithNow(testNow), vemtest.WithDataset(40))
	assert.Equal(t, a, body(vemtest.WithNow(testNow), vemtest.WithDataset(40)))
	assert.NotEqual(t, a, body(vemtest.WithNow(testNow.Add(time.Hour)), vemtest.WithDataset(40)))

	// The data set follows now; with the default now it is the last 30 days.
	srv := newServer(t, vemtest.WithDataset(5))
	token, _ := logon(t, srv)
	r := get(t, srv, token, "/api/backupTaskSessions")
	assert.Len(t, parseXML(t, r.body).Children, 5)
}

func TestDatasetSizes(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 7, -5} {
		srv := newServer(t, vemtest.WithDataset(n))
		assert.Equal(t, max(n, 0)+1, srv.BackupTaskSessionCount(), n)
	}
}

func TestLargeDataset(t *testing.T) {
	if testing.Short() {
		t.Skip("large data set")
	}
	start := time.Now()
	srv := newServer(t, vemtest.WithNow(testNow), vemtest.WithDataset(10000))
	built := time.Since(start)
	t.Logf("10000 task sessions built in %v", built)
	if !raceEnabled {
		assert.Less(t, built, 2*time.Second) // about 0.15 s on an idle machine
	}
	require.Equal(t, 10001, srv.BackupTaskSessionCount())
	token, _ := logon(t, srv)
	for _, accept := range []string{"application/xml", "application/json"} {
		for page, want := range map[int]int{1: 1000, 11: 1} {
			r := do(t, srv, request{path: "/api/query?type=BackupTaskSession&format=Entities&sortDesc=CreationTime&pageSize=1000&page=" + strconv.Itoa(page), token: token, accept: accept})
			require.Equal(t, http.StatusOK, r.status)
			assert.Equal(t, want, countEntities(r.body, accept), "page %d", page)
		}
	}
	r := get(t, srv, token, "/api/query?type=BackupTaskSession&format=Entities&filter="+urlQuery(`JobName=="Fileserver ""A"" Backup";Result>Success`)+"&pageSize=1000")
	require.Equal(t, http.StatusOK, r.status)
}

func countEntities(body []byte, accept string) int {
	if accept == "application/json" {
		return bytes.Count(body, []byte(`"Type":"BackupTaskSession"`))
	}
	return bytes.Count(body, []byte(`<BackupTaskSession Href=`))
}
