package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vemkit/vem"
	"github.com/vemkit/vem/vemtest"
)

// TestWatchStateFileMessages: a --state-file in a missing directory is a
// usage error that names the directory (not the hidden temporary file), and
// --since beside an existing state file is said to not apply.
func TestWatchStateFileMessages(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	missing := filepath.Join(t.TempDir(), "nope", "watch.state")
	before := f.Stats().Requests
	r := runVem(t, f.env, "", "watch", "task-sessions", "--state-file", missing)
	assert.Equal(t, exitUsage, r.code, r.String())
	assert.Contains(t, r.stderr, "--state-file "+missing+": directory "+filepath.Dir(missing)+" does not exist")
	assert.NotContains(t, r.stderr, ".tmp-", "the temporary file is vem's business")
	assert.Equal(t, before, f.Stats().Requests, "nothing sent")

	state := filepath.Join(t.TempDir(), "watch.state")
	first := mustRun(t, 0, f.env, "watch", "task-sessions", "--since", "30d", "--limit", "1", "--state-file", state)
	assert.Empty(t, first.stderr, "a new state file: --since applies, nothing to say")
	second := mustRun(t, 0, f.env, "watch", "task-sessions", "--since", "30d", "--limit", "1", "--state-file", state)
	assert.Equal(t, "vem: warning: --since 30d does not apply: the watch resumes from --state-file "+state+
		" (remove the file to start at --since)\n", second.stderr)
	assert.NotEqual(t, first.stdout, second.stdout, "the second run went on from the state file")
}

// TestWatchTableDurationsWhole: the watch's fixed columns never cut a cell,
// a long duration included; a wider cell pushes the rest of its line.
func TestWatchTableDurationsWhole(t *testing.T) {
	t.Parallel()
	f := newFake(t, vemtest.WithDataset(0))
	end := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	f.AddBackupJobSession(vem.BackupJobSession{UID: "urn:veeam:BackupJobSession:6b1d6c3e-1d52-4e7a-9c1e-0d7f3a1b2d01",
		Name: "Long@x", JobName: "A job name longer than its column of twenty-four", State: vem.StateStopped,
		Result: vem.ResultSuccess, CreationTime: end.Add(-(46*time.Minute + 32*time.Second + 412*time.Millisecond + 11*time.Hour)), EndTime: end})
	r := mustRun(t, 0, f.env, "watch", "job-sessions", "--since", "1d", "--limit", "1", "-o", "table")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Len(t, lines, 2, r.stdout)
	assert.Contains(t, lines[1], "A job name longer than its column of twenty-four  Stopped")
	assert.Contains(t, lines[1], "11h46m32.412s")
	assert.NotContains(t, r.stdout, "…")
}

// TestTaskSessionWaitResume: task-session wait prints, on exit 8, the
// command that waits for the session again, on a line of its own.
func TestTaskSessionWaitResume(t *testing.T) {
	t.Parallel()
	f := newFake(t, vemtest.WithRunTime(time.Minute))
	r := f.vem(t, "job", "start", seedJobName, "--wait", "--interval", "20ms", "--wait-timeout", "300ms", "-o", "jsonl")
	require.Equal(t, exitStillRunning, r.code, r.stderr)
	js := decodeJSON[jobSessionOut](t, r.stdout)
	c, err := f.NewClient()
	require.NoError(t, err)
	defer c.Close()
	refs, err := c.ListBackupJobSessionTaskSessions(t.Context(), js.ID)
	require.NoError(t, err)
	require.NotEmpty(t, refs, "the running job session has a task session")
	running := refs[0].UID.ID()
	r = f.vem(t, "task-session", "wait", running, "--interval", "20ms", "--wait-timeout", "200ms", "-o", "jsonl")
	require.Equal(t, exitStillRunning, r.code, r.stderr)
	assert.Equal(t, "vem: task session "+running+" is still running after --wait-timeout 200ms (not stopped)\n"+
		"  wait for it again with: vem task-session wait "+running+"\n", r.stderr)
}
