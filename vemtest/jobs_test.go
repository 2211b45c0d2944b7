package vemtest_test

import (
	"context"
	"encoding/xml"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vemkit/vem"
	"github.com/vemkit/vem/vemtest"
)

// taskXML is EM's Task document.
type taskXML struct {
	XMLName   xml.Name
	Type      string `xml:"Type,attr"`
	Href      string `xml:"Href,attr"`
	TaskID    string `xml:"TaskId"`
	State     string `xml:"State"`
	Operation string `xml:"Operation"`
	Result    *struct {
		Success bool   `xml:"Success,attr"`
		Message string `xml:"Message"`
	} `xml:"Result"`
	Links []struct {
		Rel  string `xml:"Rel,attr"`
		Type string `xml:"Type,attr"`
		Href string `xml:"Href,attr"`
	} `xml:"Links>Link"`
}

// assertFailedTask checks that an answered action became a Task of the
// operation that, once done, reports failure with msg.
func (g *jobRig) assertFailedTask(t testing.TB, r response, operation, msg string) {
	t.Helper()
	require.Equal(t, http.StatusAccepted, r.status, string(r.body))
	task := parseTask(t, r)
	assert.Equal(t, operation, task.Operation)
	g.clock.Add(testRunTime)
	task = g.task(t, task.TaskID)
	assert.Equal(t, "Finished", task.State)
	require.NotNil(t, task.Result)
	assert.False(t, task.Result.Success)
	assert.Equal(t, msg, task.Result.Message)
}

func parseTask(t testing.TB, r response) taskXML {
	t.Helper()
	var task taskXML
	require.NoError(t, xml.Unmarshal(r.body, &task), string(r.body))
	return task
}

// jobRig is a server with a settable clock and a logged-on session.
type jobRig struct {
	srv   *vemtest.Server
	clock *vemtest.Clock
	token string
}

const testRunTime = 40 * time.Second

func newJobRig(t testing.TB, opts ...vemtest.Option) *jobRig {
	t.Helper()
	clock := vemtest.NewClock(testNow)
	opts = append([]vemtest.Option{vemtest.WithDataset(12), vemtest.WithNow(testNow), vemtest.WithClock(clock.Now),
		vemtest.WithIdleTimeout(0), vemtest.WithRunTime(testRunTime)}, opts...)
	srv := newServer(t, opts...)
	token, _ := logon(t, srv)
	return &jobRig{srv: srv, clock: clock, token: token}
}

func (g *jobRig) action(t testing.TB, jobID, action string) response {
	t.Helper()
	return do(t, g.srv, request{method: http.MethodPost, path: "/api/jobs/" + jobID + "?action=" + action, token: g.token})
}

func (g *jobRig) task(t testing.TB, id string) taskXML {
	t.Helper()
	r := get(t, g.srv, g.token, "/api/tasks/"+id)
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	return parseTask(t, r)
}

// sessions returns the job's sessions, oldest first.
func (g *jobRig) sessions(t testing.TB, jobID string) []xnode {
	t.Helper()
	r := get(t, g.srv, g.token, "/api/jobs/"+jobID+"/backupSessions?format=Entity")
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	return parseXML(t, r.body).Children
}

func (g *jobRig) last(t testing.TB, jobID string) xnode {
	t.Helper()
	ss := g.sessions(t, jobID)
	require.NotEmpty(t, ss)
	return ss[len(ss)-1]
}

func (g *jobRig) taskSessions(t testing.TB, jobSessionUID string) []xnode {
	t.Helper()
	id := jobSessionUID[len("urn:veeam:BackupJobSession:"):]
	return xmlEntities(t, g.srv, g.token, "/api/backupSessions/"+id+"/taskSessions")
}

func TestStartJobRunsToTheChosenResult(t *testing.T) {
	for _, result := range []vem.Result{vem.ResultSuccess, vem.ResultWarning, vem.ResultFailed} {
		t.Run(string(result), func(t *testing.T) {
			g := newJobRig(t)
			before := len(g.sessions(t, vemtest.SeedJobID))
			g.srv.SetNextResult(result)

			r := g.action(t, vemtest.SeedJobID, "start")
			require.Equal(t, http.StatusAccepted, r.status, string(r.body))
			task := parseTask(t, r)
			assert.Equal(t, xml.Name{Space: "http://www.veeam.com/ent/v1.0", Local: "Task"}, task.XMLName)
			assert.Equal(t, "Task", task.Type)
			assert.Equal(t, "/api/tasks/"+task.TaskID, hrefPath(t, task.Href))
			assert.Regexp(t, `^task-\d+$`, task.TaskID)
			assert.Equal(t, "Running", task.State)
			assert.Equal(t, "StartJob", task.Operation)
			assert.Nil(t, task.Result)
			require.Len(t, task.Links, 1)
			assert.Equal(t, "Delete", task.Links[0].Rel)

			// The job session runs, with a task session per VM of the job.
			ss := g.sessions(t, vemtest.SeedJobID)
			require.Len(t, ss, before+1)
			js := ss[len(ss)-1]
			assert.Equal(t, "Working", text(js, "State"))
			assert.Equal(t, "None", text(js, "Result"))
			assert.Equal(t, "false", text(js, "IsRetry"))
			_, hasEnd := js.child("EndTimeUTC")
			assert.False(t, hasEnd)
			tasks := g.taskSessions(t, js.Attrs["UID"])
			require.Len(t, tasks, 4)
			for i, ts := range tasks {
				want := "Pending"
				if i == 0 {
					want = "InProgress"
				}
				assert.Equal(t, want, text(ts, "State"))
			}

			// The EM task moves on with the clock: a second Running (a
			// quarter of the run time at most), a second OperationFinished.
			g.clock.Add(time.Second - time.Millisecond)
			assert.Equal(t, "Running", g.task(t, task.TaskID).State)
			g.clock.Add(time.Millisecond)
			task = g.task(t, task.TaskID)
			assert.Equal(t, "OperationFinished", task.State)
			require.NotNil(t, task.Result)
			assert.True(t, task.Result.Success)
			assert.Equal(t, "Ok", task.Result.Message)
			g.clock.Add(time.Second)
			assert.Equal(t, "Finished", g.task(t, task.TaskID).State)

			// The session ends after the run time with the chosen result.
			assert.Equal(t, "0", text(g.last(t, vemtest.SeedJobID), "Progress"))
			g.clock.Add(testRunTime/2 - 2*time.Second)
			assert.Equal(t, "50", text(g.last(t, vemtest.SeedJobID), "Progress"))
			g.clock.Add(testRunTime/2 - time.Millisecond)
			assert.Equal(t, "Working", text(g.last(t, vemtest.SeedJobID), "State"))
			assert.Equal(t, "90", text(g.last(t, vemtest.SeedJobID), "Progress"))
			g.clock.Add(time.Millisecond)
			js = g.last(t, vemtest.SeedJobID)
			assert.Equal(t, "Stopped", text(js, "State"))
			assert.Equal(t, string(result), text(js, "Result"))
			assert.Equal(t, "100", text(js, "Progress"))
			assert.Equal(t, testNow.Add(testRunTime).Format("2006-01-02T15:04:05Z"), text(js, "EndTimeUTC"))
			failed := 0
			for _, ts := range g.taskSessions(t, js.Attrs["UID"]) {
				assert.Equal(t, "Completed", text(ts, "State"))
				assert.NotEmpty(t, text(ts, "EndTimeUTC"))
				if text(ts, "Result") == "Failed" {
					failed++
				}
			}
			if result == vem.ResultFailed {
				assert.Equal(t, 1, failed)
				assert.Equal(t, "1 of 4 VMs failed to process.", text(js, "FailureMessage"))
			} else {
				assert.Zero(t, failed)
				assert.Empty(t, text(js, "FailureMessage"))
			}
		})
	}
}

func TestRandomResults(t *testing.T) {
	g := newJobRig(t, vemtest.WithRunTime(time.Second))
	seen := map[string]int{}
	for range 40 {
		require.Equal(t, http.StatusAccepted, g.action(t, vemtest.SeedJobID, "start").status)
		g.clock.Add(time.Second)
		seen[text(g.last(t, vemtest.SeedJobID), "Result")]++
	}
	assert.Equal(t, 40, seen["Success"]+seen["Warning"]+seen["Failed"], seen)
	assert.Positive(t, seen["Success"], seen)
	assert.Positive(t, seen["Failed"]+seen["Warning"], seen)
}

func TestRetryJob(t *testing.T) {
	g := newJobRig(t)
	// The seed job's last session succeeded: EM refuses a retry.
	msg := requireError(t, g.action(t, vemtest.SeedJobID, "retry"), http.StatusBadRequest)
	assert.Equal(t, "Cannot retry job [vCD Job Template]: the job can be retried only after it has failed.", msg)

	g.srv.SetNextResult(vem.ResultFailed)
	require.Equal(t, http.StatusAccepted, g.action(t, vemtest.SeedJobID, "start").status)
	// Not while it runs.
	requireError(t, g.action(t, vemtest.SeedJobID, "retry"), http.StatusBadRequest)
	g.clock.Add(testRunTime)
	failedVM := ""
	for _, ts := range g.taskSessions(t, g.last(t, vemtest.SeedJobID).Attrs["UID"]) {
		if text(ts, "Result") == "Failed" {
			failedVM = ts.Attrs["VmDisplayName"]
		}
	}
	require.NotEmpty(t, failedVM)

	g.srv.SetNextResult(vem.ResultSuccess)
	r := g.action(t, vemtest.SeedJobID, "retry")
	require.Equal(t, http.StatusAccepted, r.status, string(r.body))
	assert.Equal(t, "RetryJob", parseTask(t, r).Operation)
	js := g.last(t, vemtest.SeedJobID)
	assert.Equal(t, "true", text(js, "IsRetry"))
	tasks := g.taskSessions(t, js.Attrs["UID"])
	require.Len(t, tasks, 1, "a retry processes the VMs that failed")
	assert.Equal(t, failedVM, tasks[0].Attrs["VmDisplayName"])
	g.clock.Add(testRunTime)
	assert.Equal(t, "Success", text(g.last(t, vemtest.SeedJobID), "Result"))
}

func TestStopJob(t *testing.T) {
	g := newJobRig(t)
	// Stopping a job that does not run is a task that fails.
	g.assertFailedTask(t, g.action(t, vemtest.SeedJobID, "stop"), "StopJob", "Job [vCD Job Template] is not running.")

	g.srv.SetNextResult(vem.ResultSuccess)
	require.Equal(t, http.StatusAccepted, g.action(t, vemtest.SeedJobID, "start").status)
	again := g.action(t, vemtest.SeedJobID, "start")
	g.clock.Add(time.Second)
	stoppedAt := g.clock.Now()
	require.Equal(t, http.StatusAccepted, g.action(t, vemtest.SeedJobID, "stop").status)
	js := g.last(t, vemtest.SeedJobID)
	assert.Equal(t, "Stopped", text(js, "State"))
	assert.Equal(t, "Failed", text(js, "Result"))
	assert.Equal(t, "Job has been stopped by user.", text(js, "FailureMessage"))
	assert.Equal(t, stoppedAt.Format("2006-01-02T15:04:05Z"), text(js, "EndTimeUTC"))

	// Starting it again while it ran was a task that fails.
	g.assertFailedTask(t, again, "StartJob", "Job [vCD Job Template] is already running.")
	// The stopped run does not end a second time.
	assert.Equal(t, "Failed", text(g.last(t, vemtest.SeedJobID), "Result"))
	// And it can be retried now.
	assert.Equal(t, http.StatusAccepted, g.action(t, vemtest.SeedJobID, "retry").status)
}

func TestJobActionErrors(t *testing.T) {
	g := newJobRig(t, vemtest.WithForbiddenUser("reader", "reader-pw"))
	const unknown = "00000000-0000-4000-8000-00000000dead"
	msg := requireError(t, g.action(t, unknown, "start"), http.StatusNotFound)
	assert.Equal(t, "Cannot find job ["+unknown+"]", msg)
	requireError(t, g.action(t, vemtest.SeedJobID, "explode"), http.StatusBadRequest)
	requireError(t, g.action(t, vemtest.SeedJobID, ""), http.StatusBadRequest)
	requireError(t, do(t, g.srv, request{method: http.MethodDelete, path: "/api/jobs/" + vemtest.SeedJobID, token: g.token}), http.StatusMethodNotAllowed)

	// A user without the Portal Administrator role gets 403 and starts
	// nothing.
	r := do(t, g.srv, request{method: http.MethodPost, path: "/api/sessionMngr/?v=latest", user: "reader", pass: "reader-pw"})
	require.Equal(t, http.StatusCreated, r.status)
	reader := r.header.Get(vemtest.SessionHeader)
	before := len(g.sessions(t, vemtest.SeedJobID))
	r = do(t, g.srv, request{method: http.MethodPost, path: "/api/jobs/" + vemtest.SeedJobID + "?action=start", token: reader})
	requireError(t, r, http.StatusForbidden)
	assert.Len(t, g.sessions(t, vemtest.SeedJobID), before)
}

func TestTasksBelongToTheirLogonSession(t *testing.T) {
	g := newJobRig(t)
	task := parseTask(t, g.action(t, vemtest.SeedJobID, "start"))
	other, _ := logon(t, g.srv)
	for _, tc := range []struct {
		name, token string
		status      int
	}{
		{"creator", g.token, http.StatusOK},
		{"another session of the same user", other, http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := get(t, g.srv, tc.token, "/api/tasks/"+task.TaskID)
			if tc.status == http.StatusOK {
				require.Equal(t, http.StatusOK, r.status)
				return
			}
			assert.Equal(t, "Cannot find task ["+task.TaskID+"]", requireError(t, r, tc.status))
		})
	}
	requireError(t, get(t, g.srv, g.token, "/api/tasks/task-999"), http.StatusNotFound)
}

func TestTaskJSON(t *testing.T) {
	for _, a := range answerStyles[1:] {
		t.Run(a.name, func(t *testing.T) {
			g := newJobRig(t, vemtest.WithJSONStyle(a.style))
			r := do(t, g.srv, request{method: http.MethodPost, path: "/api/jobs/" + vemtest.SeedJobID + "?action=start", token: g.token, accept: a.accept})
			require.Equal(t, http.StatusAccepted, r.status)
			want := []string{"TaskId", "State", "Operation", "Result", "Links", "Href", "Type"}
			for i, k := range want {
				want[i] = a.key(k)
			}
			assert.Equal(t, want, jsonKeys(t, r.body))
			m := jsonObject(t, r.body)
			id := jsonString(t, m[a.key("TaskId")])
			assert.Equal(t, "Running", jsonString(t, m[a.key("State")]))
			assert.JSONEq(t, "null", string(m[a.key("Result")]))

			g.clock.Add(testRunTime)
			r = do(t, g.srv, request{path: "/api/tasks/" + id, token: g.token, accept: a.accept})
			require.Equal(t, http.StatusOK, r.status)
			m = jsonObject(t, r.body)
			assert.Equal(t, "Finished", jsonString(t, m[a.key("State")]))
			assert.JSONEq(t, `{"`+a.key("Message")+`":"Ok","`+a.key("Success")+`":true}`, string(m[a.key("Result")]))
		})
	}
}

// queried lists the UIDs the query service returns for a filter.
func (g *jobRig) queried(t testing.TB, typ, filter string) []string {
	t.Helper()
	return queryAll(t, g.srv, g.token, "type="+typ+"&filter="+urlQuery(filter))
}

func TestCollectionLag(t *testing.T) {
	const lag = 10 * time.Minute
	for _, tc := range []struct {
		name string
		lag  time.Duration
	}{{"no lag", 0}, {"lag", lag}} {
		t.Run(tc.name, func(t *testing.T) {
			g := newJobRig(t, vemtest.WithCollectionLag(tc.lag))
			before := g.queried(t, "BackupJobSession", `JobName=="vCD Job Template"`)
			require.Equal(t, http.StatusAccepted, g.action(t, vemtest.SeedJobID, "start").status)
			js := g.last(t, vemtest.SeedJobID).Attrs["UID"]
			taskFilter := "JobSessionUid==" + js

			// Running: queried at once without a lag, not at all with one.
			running := g.queried(t, "BackupJobSession", `JobName=="vCD Job Template"`)
			if tc.lag == 0 {
				assert.Contains(t, running, js)
				assert.Len(t, g.queried(t, "BackupTaskSession", taskFilter), 4)
			} else {
				assert.Equal(t, before, running)
				assert.Empty(t, g.queried(t, "BackupTaskSession", taskFilter))
			}

			// Finished, within the lag: still not collected.
			g.clock.Add(testRunTime + tc.lag/2)
			if tc.lag > 0 {
				assert.NotContains(t, g.queried(t, "BackupJobSession", `JobName=="vCD Job Template"`), js)
				assert.Empty(t, g.queried(t, "BackupTaskSession", taskFilter))
				// GET by ID sees it at once.
				assert.Equal(t, "Stopped", text(g.last(t, vemtest.SeedJobID), "State"))
			}

			// After the lag: collected.
			g.clock.Add(tc.lag)
			assert.Contains(t, g.queried(t, "BackupJobSession", `JobName=="vCD Job Template"`), js)
			assert.Len(t, g.queried(t, "BackupTaskSession", taskFilter+";State==Completed"), 4)
		})
	}
}

func TestNewClient(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []vemtest.Option
	}{
		{"TLS", nil},
		{"plain HTTP", []vemtest.Option{vemtest.WithoutTLS()}},
		{"other credentials", []vemtest.Option{vemtest.WithCredentials("admin", "s3cret")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, append(tc.opts, vemtest.WithDataset(0))...)
			c, err := srv.NewClient(vem.WithFormat(vem.FormatJSON))
			require.NoError(t, err)
			t.Cleanup(func() { _ = c.Close() })
			ts, err := c.GetBackupTaskSession(context.Background(), vemtest.SeedBackupTaskSessionID)
			require.NoError(t, err)
			assert.Equal(t, vemtest.SeedBackupTaskSession().Name, ts.Name)
			assert.Equal(t, 1, srv.Stats().Logons)
		})
	}
}

// TestAddedSessionsMakeAJob checks that a job session added for an unknown
// job brings the job with it, with the VMs of its task sessions, so that
// it can be started.
func TestAddedSessionsMakeAJob(t *testing.T) {
	g := newJobRig(t, vemtest.WithDataset(0))
	const (
		jobID = "11111111-2222-4333-8444-555555555555"
		jsID  = "11111111-2222-4333-8444-666666666666"
	)
	g.srv.AddBackupJobSession(vem.BackupJobSession{
		UID: "urn:veeam:BackupJobSession:" + jsID, JobUID: "urn:veeam:Job:" + jobID, JobName: "Added Job", JobType: "Backup",
		CreationTime: testNow.Add(-time.Hour), EndTime: testNow.Add(-50 * time.Minute),
		State: vem.StateStopped, Result: vem.ResultFailed,
		Links: vem.Links{{Rel: vem.RelUp, Type: vem.TypeBackupServerReference, Href: "/api/backupServers/" + vemtest.SeedBackupServerID, Name: "enterprise01.tech.local"}},
	})
	g.srv.AddBackupTaskSession(vem.BackupTaskSession{
		UID: "urn:veeam:BackupTaskSession:11111111-2222-4333-8444-777777777777", VMDisplayName: "added-vm",
		JobSessionUID: "urn:veeam:BackupJobSession:" + jsID, CreationTime: testNow.Add(-time.Hour),
		EndTime: testNow.Add(-55 * time.Minute), State: vem.StateCompleted, Result: vem.ResultFailed,
		VMUID: "urn:VMware:Vm:x.vm-1",
	})
	job := parseXML(t, get(t, g.srv, g.token, "/api/jobs/"+jobID+"?format=Entity").body)
	assert.Equal(t, "Added Job", job.Attrs["Name"])
	assert.Equal(t, "Backup", text(job, "JobType"))
	inc := parseXML(t, get(t, g.srv, g.token, "/api/jobs/"+jobID+"/includes").body)
	require.Len(t, inc.Children, 1)
	assert.Equal(t, "added-vm", text(inc.Children[0], "Name"))
	assert.Equal(t, "urn:VMware:Vm:x.vm-1", text(inc.Children[0], "HierarchyObjRef"))
	assert.Equal(t, []string{"urn:veeam:Job:" + jobID},
		queryAll(t, g.srv, g.token, "type=Job&filter="+urlQuery(`Name=="Added Job";BackupServerUid==`+vemtest.SeedBackupServerID)))

	// Its last session failed: it can be retried.
	r := g.action(t, jobID, "retry")
	require.Equal(t, http.StatusAccepted, r.status, string(r.body))
	tasks := g.taskSessions(t, g.last(t, jobID).Attrs["UID"])
	require.Len(t, tasks, 1)
	assert.Equal(t, "added-vm", tasks[0].Attrs["VmDisplayName"])
}

func TestStopJobSession(t *testing.T) {
	g := newJobRig(t)
	stop := func(id string) response {
		return do(t, g.srv, request{method: http.MethodPost, path: "/api/backupSessions/" + id + "?action=stop", token: g.token})
	}
	// A finished session: a task that fails.
	g.assertFailedTask(t, stop(vemtest.SeedBackupJobSessionID), "StopJobSession", "Job session [vCD Job Template@2025-10-11 20:00:04] is not running.")

	g.srv.SetNextResult(vem.ResultSuccess)
	require.Equal(t, http.StatusAccepted, g.action(t, vemtest.SeedJobID, "start").status)
	js := g.last(t, vemtest.SeedJobID)
	id := js.Attrs["UID"][len("urn:veeam:BackupJobSession:"):]
	hasStop := func(n xnode) bool {
		for _, l := range n.Children[0].Children {
			if l.Attrs["Rel"] == "Stop" {
				return true
			}
		}
		return false
	}
	assert.True(t, hasStop(js), "a running session links its stop action")
	g.clock.Add(time.Second)
	require.Equal(t, http.StatusAccepted, stop(id).status)
	js = g.last(t, vemtest.SeedJobID)
	assert.Equal(t, "Stopped", text(js, "State"))
	assert.Equal(t, "Failed", text(js, "Result"))
	assert.False(t, hasStop(js))

	requireError(t, stop("00000000-0000-4000-8000-00000000dead"), http.StatusNotFound)
	requireError(t, do(t, g.srv, request{method: http.MethodPost, path: "/api/backupSessions/" + id + "?action=start", token: g.token}), http.StatusBadRequest)
}

func TestDeleteTask(t *testing.T) {
	g := newJobRig(t)
	task := parseTask(t, g.action(t, vemtest.SeedJobID, "start"))
	other, _ := logon(t, g.srv)
	del := func(token string) response {
		return do(t, g.srv, request{method: http.MethodDelete, path: "/api/tasks/" + task.TaskID, token: token})
	}
	requireError(t, del(other), http.StatusNotFound)
	r := del(g.token)
	assert.Equal(t, http.StatusNoContent, r.status)
	assert.Empty(t, r.body)
	requireError(t, get(t, g.srv, g.token, "/api/tasks/"+task.TaskID), http.StatusNotFound)
	requireError(t, del(g.token), http.StatusNotFound)
	// The job runs on.
	assert.Equal(t, "Working", text(g.last(t, vemtest.SeedJobID), "State"))
}

func TestJobWithoutObjects(t *testing.T) {
	g := newJobRig(t)
	const id = "55555555-3333-4444-8555-666666666666"
	g.srv.AddJob(vem.Job{UID: id, Name: "Empty"})
	g.srv.SetNextResult(vem.ResultFailed)
	require.Equal(t, http.StatusAccepted, g.action(t, id, "start").status)
	js := g.last(t, id)
	assert.Empty(t, g.taskSessions(t, js.Attrs["UID"]))
	g.clock.Add(testRunTime)
	js = g.last(t, id)
	assert.Equal(t, "Failed", text(js, "Result"))
	assert.Equal(t, "The job has no objects to process.", text(js, "FailureMessage"))
}
