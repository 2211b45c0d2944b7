package main

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vemkit/vem"
	"github.com/vemkit/vem/vemtest"
)

// hostileName is an entity name as a hostile or careless EM could hold it:
// HTML characters, a right-to-left override (U+202E), a C1 CSI (U+009B)
// with a colour sequence and an isolate (U+2066). (ESC cannot travel in
// EM's XML; the output tests of the cleaner cover it.)
const hostileName = "A<b>&c\u202eevil\u009b[31m\u2066x"

// hostileJSON is hostileName as every JSON output of vem must write it: <,
// > and & as they are, every control and bidirectional character as a
// \u escape.
const hostileJSON = `A<b>&c\u202eevil\u009b[31m\u2066x`

// hostileFake serves a job, a job session and a task session named
// hostileName, recent enough for watch and health.
func hostileFake(t *testing.T) (f *fake, jobID, jobSessionID, taskSessionID string) {
	t.Helper()
	f = newFake(t, vemtest.WithDataset(0))
	jobID, jobSessionID, taskSessionID = "6b1d6c3e-1d52-4e7a-9c1e-0d7f3a1b2c01", "6b1d6c3e-1d52-4e7a-9c1e-0d7f3a1b2c02", "6b1d6c3e-1d52-4e7a-9c1e-0d7f3a1b2c03"
	end := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	f.AddJob(vem.Job{UID: vem.UID("urn:veeam:Job:" + jobID), Name: hostileName})
	f.AddBackupJobSession(vem.BackupJobSession{UID: vem.UID("urn:veeam:BackupJobSession:" + jobSessionID),
		Name: hostileName + "@x", JobUID: vem.UID("urn:veeam:Job:" + jobID), JobName: hostileName,
		State: vem.StateStopped, Result: vem.ResultSuccess, Progress: 100, FailureMessage: hostileName,
		CreationTime: end.Add(-10 * time.Minute), EndTime: end})
	f.AddBackupTaskSession(vem.BackupTaskSession{UID: vem.UID("urn:veeam:BackupTaskSession:" + taskSessionID),
		Name: hostileName + "@x", VMDisplayName: hostileName, State: vem.StateCompleted, Result: vem.ResultWarning,
		Reason: hostileName, JobSessionUID: vem.UID("urn:veeam:BackupJobSession:" + jobSessionID),
		CreationTime: end.Add(-5 * time.Minute), EndTime: end, TotalSize: 1 << 30})
	return f, jobID, jobSessionID, taskSessionID
}

// TestJSONEscapingEveryCommand runs every command that prints an entity of
// EM as JSON, in each JSON format it offers, over names holding hostileName:
// all of them escape it the same way, through the one encoder.
func TestJSONEscapingEveryCommand(t *testing.T) {
	t.Parallel()
	f, jobID, jsID, tsID := hostileFake(t)
	commands := [][]string{
		{"task-session", "get", tsID},
		{"task-session", "get", tsID, "--follow"},
		{"task-session", "list", "--since", "1d"},
		{"task-session", "wait", tsID},
		{"job-session", "get", jsID},
		{"job-session", "wait", jsID},
		{"job", "list"},
		{"job", "get", jobID},
		{"job", "get", hostileName},
		{"watch", "task-sessions", "--since", "1d", "--limit", "1"},
		{"watch", "job-sessions", "--since", "1d", "--limit", "1"},
		{"health", "--window", "1d"},
	}
	for _, args := range commands {
		for _, format := range []string{"json", "jsonl"} {
			r := f.vem(t, append(args, "-o", format)...)
			require.Equal(t, exitOK, r.code, "vem %q -o %s: %s", args, format, r.stderr)
			assertHostileJSON(t, r.stdout, append(args, "-o", format))
		}
	}
	// The task of a job action names the job too.
	r := f.vem(t, "job", "start", jobID, "-o", "json")
	require.Equal(t, exitOK, r.code, r.stderr)
	assertHostileJSON(t, r.stdout, []string{"job", "start"})
}

func assertHostileJSON(t *testing.T, out string, args []string) {
	t.Helper()
	assert.Contains(t, out, hostileJSON, "vem %q", args)
	assert.NotContains(t, out, `\u003c`, "vem %q escapes HTML", args)
	assert.NotContains(t, out, `\u0026`, "vem %q escapes HTML", args)
	assert.True(t, utf8.ValidString(out), "vem %q", args)
	assert.False(t, strings.ContainsAny(out, "\u202e\u009b\u2066"), "vem %q prints a control or bidi character raw", args)
}

// TestTableEscapingEveryCommand: the tables and field lists escape the same
// characters, with the one terminal cleaner.
func TestTableEscapingEveryCommand(t *testing.T) {
	t.Parallel()
	f, jobID, jsID, tsID := hostileFake(t)
	for _, args := range [][]string{
		{"task-session", "get", tsID},
		{"task-session", "list", "--since", "1d"},
		{"job-session", "get", jsID},
		{"job", "list"},
		{"job", "get", jobID},
		{"watch", "task-sessions", "--since", "1d", "--limit", "1"},
		{"health", "--window", "1d"},
	} {
		r := f.vem(t, append(args, "-o", "table")...)
		require.Equal(t, exitOK, r.code, "vem %q: %s", args, r.stderr)
		assert.Contains(t, r.stdout, `A<b>&c\u202eevil\x9b[31m\u2066x`, "vem %q", args)
		assert.False(t, strings.ContainsAny(r.stdout, "\u202e\u009b\u2066"), "vem %q prints a control or bidi character raw", args)
	}
}

// TestMessagesKeepTheirLines: vem's own multi-line messages (the ambiguous
// job name, the resume hint of exit 8) keep their line breaks, while the
// text from EM inside them is escaped.
func TestMessagesKeepTheirLines(t *testing.T) {
	t.Parallel()
	f, jobID, _, _ := hostileFake(t)
	other := "6b1d6c3e-1d52-4e7a-9c1e-0d7f3a1b2c09"
	f.AddJob(vem.Job{UID: vem.UID("urn:veeam:Job:" + other), Name: hostileName, Links: vem.Links{{Rel: "Up", Type: "BackupServerReference",
		Href: f.URL + "/api/backupServers/6b1d6c3e-1d52-4e7a-9c1e-0d7f3a1b2c0a", Name: "srv\n2"}}})
	r := f.vem(t, "job", "get", hostileName)
	require.Equal(t, exitUsage, r.code, r.stderr)
	lines := strings.Split(r.stderr, "\n")
	require.GreaterOrEqual(t, len(lines), 5, r.stderr)
	assert.Equal(t, `vem: job name "A<b>&c\u202eevil\u009b[31m\u2066x" is ambiguous: 2 jobs have it:`, lines[0])
	assert.Contains(t, r.stderr, "\n  A<b>&c\\u202eevil\\x9b[31m\\u2066x  on backup server srv\\x0a2  urn:veeam:Job:"+other+"\n")
	assert.Contains(t, r.stderr, "urn:veeam:Job:"+jobID+"\n")
	assert.Contains(t, r.stderr, "\nname the job by its UID, or add --backup-server NAME\nUsage: vem job get NAME-or-ID [flags]\n")
	assert.NotContains(t, r.stderr, `\x0a  `, "no literal \\x0a between vem's own lines")
	assert.False(t, strings.ContainsAny(r.stderr, "\u202e\u009b\u2066"))
}
