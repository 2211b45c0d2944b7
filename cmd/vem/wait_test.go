package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vemkit/vem"
	"github.com/vemkit/vem/vemtest"
)

// task-session wait prints the final task session as get does and exits
// by its result: in a Failed run, the failed VM's task exits 6, the
// others 0.
func TestTaskSessionWait(t *testing.T) {
	t.Parallel()
	f := newFake(t, vemtest.WithRunTime(fastJobRun))
	f.SetNextResult(vem.ResultFailed)
	c, err := f.NewClient()
	require.NoError(t, err)
	defer c.Close()
	ctx := context.Background()
	_, err = c.StartJob(ctx, vemtest.SeedJobID)
	require.NoError(t, err)
	js := newestJobSession(t, f, seedJobName)
	codes := map[string]int{}
	for ts, err := range c.QueryBackupTaskSessions(ctx, vem.Query{Filter: vem.Eq(vem.BackupTaskSessionFieldJobSessionUID, string(js.UID))}) {
		require.NoError(t, err)
		r := f.vem(t, "task-session", "wait", ts.UID.ID(), "--interval", "20ms")
		out := decodeJSON[taskJSON](t, r.stdout)
		assert.Equal(t, ts.UID.String(), out.UID)
		assert.True(t, out.Finished)
		assert.Equal(t, "Completed", deref(out.State))
		codes[deref(out.Result)] = r.code
		if r.code == exitFailed {
			assert.Contains(t, r.stderr, "ended Failed: "+deref(out.Reason))
		}
	}
	assert.Equal(t, map[string]int{"Failed": exitFailed, "Success": exitOK}, codes)
}

func TestWaitErrors(t *testing.T) {
	t.Parallel()
	f := newFake(t, vemtest.WithRunTime(time.Hour))
	c, err := f.NewClient()
	require.NoError(t, err)
	defer c.Close()
	_, err = c.StartJob(context.Background(), vemtest.SeedJobID)
	require.NoError(t, err)
	running := newestJobSession(t, f, seedJobName).UID.ID()

	for _, tc := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"job-session", "wait", unknownID}, exitNotFound, "404"},
		{[]string{"job-session", "wait", "not-an-id"}, exitUsage, "invalid BackupJobSession ID"},
		{[]string{"task-session", "wait", seedID, "--wait-timeout", "-1s"}, exitUsage, "--wait-timeout must not be negative"},
		{[]string{"task-session", "wait", seedID, "--timeout", "-1s"}, exitUsage, "--timeout must not be negative"},
		{[]string{"task-session", "wait", seedID, "--timeout", "1m", "--wait-timeout", "1m"}, exitUsage, "give only --wait-timeout"},
		{[]string{"task-session", "wait", seedID, "--interval", "0s"}, exitUsage, "--interval must be positive"},
		{[]string{"job-session", "wait", running, "--interval", "20ms", "--wait-timeout", "200ms", "-o", "table"}, exitStillRunning, "still running after --wait-timeout 200ms"},
		// The deprecated --timeout still sets the wait's deadline, with a warning.
		{[]string{"job-session", "wait", running, "--interval", "20ms", "--timeout", "200ms", "-o", "table"}, exitStillRunning,
			"vem: warning: --timeout of vem job-session wait is deprecated and will bound each request in a later release: use --wait-timeout 200ms\n"},
	} {
		r := f.vem(t, tc.args...)
		assert.Equal(t, tc.code, r.code, "%v: %s", tc.args, r.stderr)
		assert.Contains(t, r.stderr, tc.err, "%v", tc.args)
	}
	// --wait-timeout is the wait's; VEM_TIMEOUT still counts, for each request.
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"task-session", "wait", seedID, "--wait-timeout", "1m"}, strings.NewReader(""), &stdout, &stderr, envFunc(append(f.env, "VEM_TIMEOUT=soon")...))
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr.String(), `VEM_TIMEOUT: invalid duration "soon"`)

	// A session that has ended already: one poll, printed at once.
	r := f.vem(t, "task-session", "wait", seedID, "-o", "jsonl")
	require.Equal(t, exitOK, r.code, r.stderr)
	checkSeed(t, decodeJSON[taskJSON](t, r.stdout))
}
