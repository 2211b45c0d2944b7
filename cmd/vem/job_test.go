package main

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vemkit/vem"
	"github.com/vemkit/vem/vemtest"
)

// cliRun is one in-process run of vem.
type cliRun struct {
	code           int
	stdout, stderr string
}

func (f *fake) vem(t *testing.T, args ...string) cliRun {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &stdout, &stderr, envFunc(f.env...))
	return cliRun{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// jobSessionOut is the JSON of a job session as vem prints it.
type jobSessionOut struct {
	UID             string     `json:"uid"`
	ID              string     `json:"id"`
	Name            *string    `json:"name"`
	JobUID          *string    `json:"jobUid"`
	JobName         *string    `json:"jobName"`
	JobType         *string    `json:"jobType"`
	State           *string    `json:"state"`
	Finished        bool       `json:"finished"`
	Result          *string    `json:"result"`
	Progress        int        `json:"progress"`
	IsRetry         bool       `json:"isRetry"`
	FailureMessage  *string    `json:"failureMessage"`
	CreationTime    *string    `json:"creationTime"`
	EndTime         *string    `json:"endTime"`
	DurationSeconds *float64   `json:"durationSeconds"`
	Links           []linkJSON `json:"links"`
}

const fastJobRun = 300 * time.Millisecond

// newestJobSession is the job's newest session, read with the SDK.
func newestJobSession(t *testing.T, f *fake, jobName string) *vem.BackupJobSession {
	t.Helper()
	c, err := f.NewClient()
	require.NoError(t, err)
	defer c.Close()
	for s, err := range c.QueryBackupJobSessions(context.Background(), vem.Query{Filter: vem.Eq(vem.BackupJobSessionFieldJobName, jobName), SortDesc: vem.BackupJobSessionFieldCreationTime, PageSize: 1}) {
		require.NoError(t, err)
		return s
	}
	t.Fatal("no job session")
	return nil
}

// vem job start NAME --wait exits by the session's result and prints the
// session the start created.
func TestJobStartWait(t *testing.T) {
	for _, tc := range []struct {
		result         vem.Result
		warningIsError bool
		code           int
	}{
		{vem.ResultSuccess, false, exitOK},
		{vem.ResultSuccess, true, exitOK},
		{vem.ResultWarning, false, exitOK},
		{vem.ResultWarning, true, exitWarning},
		{vem.ResultFailed, false, exitFailed},
	} {
		t.Run(string(tc.result)+map[bool]string{true: "/warning-is-error"}[tc.warningIsError], func(t *testing.T) {
			t.Parallel()
			f := newFake(t, vemtest.WithRunTime(fastJobRun))
			f.SetNextResult(tc.result)
			args := []string{"job", "start", seedJobName, "--wait", "--interval", "20ms", "--wait-timeout", "1m", "-o", "json"}
			if tc.warningIsError {
				args = append(args, "--warning-is-error")
			}
			r := f.vem(t, args...)
			require.Equal(t, tc.code, r.code, "stderr: %s", r.stderr)
			js := decodeJSON[jobSessionOut](t, r.stdout)
			assert.Equal(t, string(tc.result), deref(js.Result))
			assert.Equal(t, "Stopped", deref(js.State))
			assert.True(t, js.Finished)
			assert.Equal(t, seedJobName, deref(js.JobName))
			assert.Equal(t, string(newestJobSession(t, f, seedJobName).UID), js.UID, "the session the start created")
			assert.Contains(t, r.stderr, "job session "+js.ID+" ("+deref(js.Name)+") is Working")
			switch tc.code {
			case exitFailed:
				assert.Contains(t, r.stderr, "ended Failed")
				assert.Contains(t, r.stderr, deref(js.FailureMessage))
			case exitWarning:
				assert.Contains(t, r.stderr, "ended with Warning")
			}
		})
	}
}

// --wait-timeout passes while the job runs: exit 8, the session's ID on
// stderr, the job still running; job-session wait picks it up.
func TestJobStartWaitTimeout(t *testing.T) {
	t.Parallel()
	f := newFake(t, vemtest.WithRunTime(3*time.Second))
	f.SetNextResult(vem.ResultFailed)
	r := f.vem(t, "job", "start", seedJobName, "--wait", "--interval", "20ms", "--wait-timeout", "1500ms")
	require.Equal(t, exitStillRunning, r.code, "stderr: %s", r.stderr)
	js := decodeJSON[jobSessionOut](t, r.stdout)
	assert.Equal(t, "Working", deref(js.State))
	assert.False(t, js.Finished)
	assert.Contains(t, r.stderr, "job session "+js.ID)
	assert.Contains(t, r.stderr, "still running after --wait-timeout 1.5s (not stopped)\n  wait for it again with: vem job-session wait "+js.ID+"\n",
		"the resume command on a line of its own")
	assert.Equal(t, vem.StateWorking, newestJobSession(t, f, seedJobName).State, "not stopped")

	r = f.vem(t, "job-session", "wait", js.ID, "--interval", "20ms", "-o", "jsonl")
	assert.Equal(t, exitFailed, r.code, "stderr: %s", r.stderr)
	final := decodeJSON[jobSessionOut](t, r.stdout)
	assert.Equal(t, js.UID, final.UID)
	assert.Equal(t, "Failed", deref(final.Result))
}

// The EM session expires during the wait: vem logs on again and still
// finds and awaits the right session.
func TestJobStartWaitSessionExpires(t *testing.T) {
	t.Parallel()
	f := newFake(t, vemtest.WithRunTime(time.Second))
	f.SetNextResult(vem.ResultWarning)
	done := make(chan cliRun, 1)
	go func() {
		done <- f.vem(t, "job", "start", seedJobName, "--wait", "--interval", "20ms", "--warning-is-error")
	}()
	for f.Stats().Logons == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	f.ExpireSessions()
	time.Sleep(300 * time.Millisecond)
	f.ExpireSessions()
	r := <-done
	require.Equal(t, exitWarning, r.code, "stderr: %s", r.stderr)
	js := decodeJSON[jobSessionOut](t, r.stdout)
	assert.Equal(t, string(newestJobSession(t, f, seedJobName).UID), js.UID)
	assert.Equal(t, "Warning", deref(js.Result))
	assert.GreaterOrEqual(t, f.Stats().Logons, 3)
}

func TestJobList(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	r := f.vem(t, "job", "list", "-o", "json")
	require.Equal(t, exitOK, r.code, r.stderr)
	jobs := decodeJSON[[]jobJSON](t, r.stdout)
	require.Len(t, jobs, 6)
	var names []string
	for _, j := range jobs {
		names = append(names, deref(j.Name))
		assert.True(t, strings.HasPrefix(j.UID, "urn:veeam:Job:"+j.ID))
		assert.NotEmpty(t, deref(j.BackupServerName))
		assert.Equal(t, "Backup", deref(j.JobType))
	}
	assert.IsIncreasing(t, lower(names), "sorted by name")
	assert.Contains(t, names, `Fileserver "A" Backup`)

	r = f.vem(t, "job", "list", "--name", "SQL & Exchange <Prod>", "-o", "jsonl")
	require.Equal(t, exitOK, r.code, r.stderr)
	one := decodeJSON[jobJSON](t, r.stdout)
	assert.Equal(t, "SQL & Exchange <Prod>", deref(one.Name))

	r = f.vem(t, "job", "list", "--type", "Replica", "-o", "json")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, "[]\n", r.stdout)

	r = f.vem(t, "job", "list", "-o", "table")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.True(t, strings.HasPrefix(r.stdout, "NAME "), r.stdout)
	assert.Contains(t, r.stdout, "Sauvegarde Comptabilité")
}

func lower(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.ToLower(s)
	}
	return out
}

// A job name with quotes is quoted correctly in the query; get by name,
// by GUID and by UID give the same job.
func TestJobGet(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	byName := f.vem(t, "job", "get", `Fileserver "A" Backup`)
	require.Equal(t, exitOK, byName.code, byName.stderr)
	j := decodeJSON[jobJSON](t, byName.stdout)
	assert.Equal(t, `Fileserver "A" Backup`, deref(j.Name))
	for _, id := range []string{j.ID, j.UID} {
		r := f.vem(t, "job", "get", id)
		require.Equal(t, exitOK, r.code, r.stderr)
		assert.Equal(t, byName.stdout, r.stdout)
	}
	r := f.vem(t, "job", "get", "No Such Job")
	assert.Equal(t, exitNotFound, r.code)
	assert.Contains(t, r.stderr, `no job named "No Such Job"`)
	r = f.vem(t, "job", "get", "urn:veeam:BackupJobSession:"+j.ID)
	assert.Equal(t, exitUsage, r.code)
}

// Two jobs of one name on different backup servers: a usage error that
// lists them; --backup-server picks one.
func TestJobAmbiguousName(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	const other = "0b5e4d2a-1c3f-4e5d-8a9b-0c1d2e3f4a5b"
	f.AddJob(vem.Job{UID: "urn:veeam:Job:" + other, Name: seedJobName, JobType: vem.JobTypeBackup, Platform: vem.PlatformVMware,
		Links: vem.Links{{Rel: vem.RelUp, Type: vem.TypeBackupServerReference, Href: "https://localhost:9398/api/backupServers/ce15a8c7-aa49-495e-b05b-ee3398c91018", Name: "srv02.tech.local"}}})
	r := f.vem(t, "job", "start", seedJobName)
	require.Equal(t, exitUsage, r.code, r.stdout+r.stderr)
	t.Log(r.stderr)
	assert.Empty(t, r.stdout)
	assert.Contains(t, r.stderr, `job name "vCD Job Template" is ambiguous: 2 jobs have it`)
	assert.Contains(t, r.stderr, "urn:veeam:Job:"+other)
	assert.Contains(t, r.stderr, "urn:veeam:Job:"+vemtest.SeedJobID)
	assert.Contains(t, r.stderr, "srv02.tech.local")
	assert.Contains(t, r.stderr, "enterprise01.tech.local")
	for route := range f.Stats().Routes {
		assert.False(t, strings.HasPrefix(route, "POST /api/jobs"), "nothing started: %s", route)
	}
	assert.NotZero(t, f.Stats().Routes["GET /api/query"])

	r = f.vem(t, "job", "get", seedJobName, "--backup-server", "srv02.tech.local")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, other, decodeJSON[jobJSON](t, r.stdout).ID)
}

// Without --wait, start prints EM's task; retry of a job that did not
// fail is EM's 400 with its message; stop --wait reports the stop.
func TestJobActionsWithoutWait(t *testing.T) {
	t.Parallel()
	f := newFake(t, vemtest.WithRunTime(time.Hour))
	r := f.vem(t, "job", "start", "Oracle Backup")
	require.Equal(t, exitOK, r.code, r.stderr)
	task := decodeJSON[emTaskJSON](t, r.stdout)
	assert.Equal(t, "StartJob", deref(task.Operation))
	assert.Equal(t, "Running", deref(task.State))
	assert.Equal(t, "Oracle Backup", deref(task.JobName))

	r = f.vem(t, "job", "retry", "Oracle Backup")
	assert.Equal(t, exitError, r.code)
	assert.Contains(t, r.stderr, "can be retried only after it has failed")

	r = f.vem(t, "job", "stop", "Oracle Backup", "--wait", "--interval", "20ms", "-o", "table")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "StopJob")
	assert.Contains(t, r.stdout, "Finished")
	assert.Equal(t, vem.ResultFailed, newestJobSession(t, f, "Oracle Backup").Result, "stopped")

	r = f.vem(t, "job", "stop", "Oracle Backup", "--wait", "--interval", "20ms")
	assert.Equal(t, exitError, r.code, "not running: EM's task reports the failure")
	assert.Contains(t, r.stderr, "is not running")

	r = f.vem(t, "job", "start", "Oracle Backup", "--interval", "1s")
	assert.Equal(t, exitUsage, r.code)
}

func TestJobActionForbidden(t *testing.T) {
	t.Parallel()
	f := newFake(t, vemtest.WithForbiddenUser("viewer", "viewer-pass"))
	var stdout, stderr bytes.Buffer
	env := append(f.without("VEM_USERNAME", "VEM_PASSWORD"), "VEM_USERNAME=viewer", "VEM_PASSWORD=viewer-pass")
	code := run(context.Background(), []string{"job", "start", vemtest.SeedJobID}, strings.NewReader(""), &stdout, &stderr, envFunc(env...))
	assert.Equal(t, exitAuth, code)
	assert.Contains(t, stderr.String(), "Portal Administrator")
}

// The exit code of --wait through the built binary, against a fake
// server started the way users start it.
func TestJobStartWaitBinary(t *testing.T) {
	t.Parallel()
	f := newFake(t, vemtest.WithRunTime(fastJobRun))
	f.SetNextResult(vem.ResultFailed)
	r := runVem(t, f.env, "", "job", "start", seedJobName, "--wait", "--interval", "20ms", "-o", "table")
	require.Equal(t, exitFailed, r.code, r.String())
	assert.Contains(t, r.stdout, "Failed")
	assert.Contains(t, r.stderr, "ended Failed")
}

// startFakeServer runs "vem fake-server" with args and returns the
// environment its exports set.
func startFakeServer(t *testing.T, args ...string) []string {
	t.Helper()
	cmd := exec.Command(vemBin, append([]string{"fake-server", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = baseEnv(t)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	// Its stderr goes to a file, read only once the exports are in.
	errFile, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	require.NoError(t, err)
	defer errFile.Close()
	cmd.Stderr = errFile
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	})
	var env []string
	sc := bufio.NewScanner(stdout)
	for len(env) < 4 && sc.Scan() {
		kv, ok := strings.CutPrefix(sc.Text(), "export ")
		require.True(t, ok, "not an export line: %q", sc.Text())
		name, quoted, _ := strings.Cut(kv, "=")
		env = append(env, name+"="+strings.Trim(quoted, "'"))
	}
	if len(env) < 4 {
		msg, _ := os.ReadFile(errFile.Name())
		t.Fatalf("fake-server exported %v; stderr: %s", env, msg)
	}
	return env
}

// exitFor is the exit code of --wait for a result, without
// --warning-is-error.
func exitFor(result string) int {
	if result == "Failed" {
		return exitFailed
	}
	return exitOK
}

// vem job start --wait against "vem fake-server": --run-time sets how long
// a job runs; --timeout exits 8 with the ID that job-session wait takes up;
// with --collection-lag the session is still found.
func TestFakeServerRunsJobs(t *testing.T) {
	t.Parallel()
	env := startFakeServer(t, "--run-time", "2s")
	r := runVem(t, env, "", "job", "start", "Oracle Backup", "--wait", "--interval", "50ms", "--wait-timeout", "300ms", "-o", "jsonl")
	require.Equal(t, exitStillRunning, r.code, r.String())
	running := decodeJSON[jobSessionOut](t, r.stdout)
	assert.Equal(t, "Working", deref(running.State))
	assert.Contains(t, r.stderr, "vem job-session wait "+running.ID)

	r = runVem(t, env, "", "job-session", "wait", running.ID, "--interval", "50ms")
	final := decodeJSON[jobSessionOut](t, r.stdout)
	assert.Equal(t, running.UID, final.UID)
	assert.True(t, final.Finished)
	assert.Equal(t, exitFor(deref(final.Result)), r.code, r.String())
	assert.InDelta(t, 2, deref(final.DurationSeconds), 0.01, "--run-time 2s")

	lagged := startFakeServer(t, "--run-time", "200ms", "--collection-lag", "500ms")
	r = runVem(t, lagged, "", "job", "start", `Fileserver "A" Backup`, "--wait", "--interval", "50ms", "-o", "json")
	js := decodeJSON[jobSessionOut](t, r.stdout)
	assert.Equal(t, exitFor(deref(js.Result)), r.code, r.String())
	assert.Equal(t, `Fileserver "A" Backup`, deref(js.JobName))
	assert.True(t, js.Finished)
	assert.Contains(t, r.stderr, "job session "+js.ID)

	mustRun(t, exitUsage, nil, "fake-server", "--run-time", "-1s")
}
