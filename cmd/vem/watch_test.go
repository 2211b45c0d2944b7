package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vemkit/vem"
	"github.com/vemkit/vem/vemtest"
)

// finishedTaskUIDs returns the UIDs of the server's finished task
// sessions that ended at or after since, in end-time order.
func finishedTaskUIDs(t *testing.T, f *fake, since time.Time) []string {
	t.Helper()
	c, err := f.NewClient()
	require.NoError(t, err)
	defer c.Close()
	var all []*vem.BackupTaskSession
	for ts, err := range c.QueryBackupTaskSessions(context.Background(), vem.Query{}) {
		require.NoError(t, err)
		if ts.State.Ended() && !ts.EndTime.Before(since) {
			all = append(all, ts)
		}
	}
	slices.SortStableFunc(all, func(a, b *vem.BackupTaskSession) int { return a.EndTime.Compare(b.EndTime) })
	out := make([]string, len(all))
	for i, ts := range all {
		out[i] = string(ts.UID)
	}
	return out
}

// jsonlUIDs returns the "uid" of each line of jsonl output.
func jsonlUIDs(t *testing.T, out string) []string {
	t.Helper()
	var uids []string
	for line := range strings.Lines(out) {
		var v struct {
			UID string `json:"uid"`
		}
		require.NoError(t, json.Unmarshal([]byte(line), &v), line)
		require.NotEmpty(t, v.UID)
		uids = append(uids, v.UID)
	}
	return uids
}

func TestWatchLimitAndStateFile(t *testing.T) {
	f := newFake(t, vemtest.WithDataset(40))
	state := filepath.Join(t.TempDir(), "watch.state")
	want := finishedTaskUIDs(t, f, time.Now().Add(-30*24*time.Hour))
	require.Greater(t, len(want), 12)

	first := mustRun(t, 0, f.env, "watch", "task-sessions", "--since", "30d", "--limit", "5", "--state-file", state)
	second := mustRun(t, 0, f.env, "watch", "task-sessions", "--since", "30d", "--limit", "7", "--state-file", state)
	got := append(jsonlUIDs(t, first.stdout), jsonlUIDs(t, second.stdout)...)
	assert.Equal(t, want[:12], got, "the second run goes on where the first stopped, in end-time order")

	var st struct{ Kind, Cursor, Updated string }
	b, err := os.ReadFile(state)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &st))
	assert.Equal(t, "task-sessions", st.Kind)
	assert.NotEmpty(t, st.Cursor)
	entries, err := os.ReadDir(filepath.Dir(state))
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file is left behind")

	// The same JSON as task-session list -o jsonl.
	list := mustRun(t, 0, f.env, "task-session", "list", "--since", "30d", "--limit", "200", "-o", "jsonl")
	lines := map[string]string{}
	for line := range strings.Lines(list.stdout) {
		var v struct {
			UID string `json:"uid"`
		}
		require.NoError(t, json.Unmarshal([]byte(line), &v))
		lines[v.UID] = line
	}
	for line := range strings.Lines(first.stdout) {
		var v struct {
			UID string `json:"uid"`
		}
		require.NoError(t, json.Unmarshal([]byte(line), &v))
		assert.Equal(t, lines[v.UID], line)
	}
}

func TestWatchOutputs(t *testing.T) {
	f := newFake(t, vemtest.WithDataset(40))
	r := mustRun(t, 0, f.env, "watch", "task-sessions", "--since", "30d", "--limit", "3", "-o", "json")
	var arr []map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &arr), r.stdout)
	require.Len(t, arr, 3)
	assert.Equal(t, true, arr[0]["finished"])

	r = mustRun(t, 0, f.env, "watch", "task-sessions", "--since", "30d", "--limit", "2", "-o", "table")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Len(t, lines, 3)
	assert.True(t, strings.HasPrefix(lines[0], "ID "), lines[0])
	assert.Contains(t, lines[0], "RESULT")

	r = mustRun(t, 0, f.env, "watch", "job-sessions", "--since", "30d", "--limit", "2", "-o", "jsonl")
	for line := range strings.Lines(r.stdout) {
		var v map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &v))
		assert.Equal(t, "Stopped", v["state"])
		assert.Contains(t, v["uid"], "urn:veeam:BackupJobSession:")
	}
	assert.Len(t, strings.Split(strings.TrimSpace(r.stdout), "\n"), 2)

	r = mustRun(t, 0, f.env, "watch", "task-sessions", "--since", "30d", "--result", "failed", "--limit", "3")
	for _, uid := range jsonlUIDs(t, r.stdout) {
		assert.Contains(t, r.stdout, uid)
	}
	assert.NotContains(t, r.stdout, `"result":"Success"`)
	assert.Contains(t, r.stdout, `"result":"Failed"`)
}

func TestWatchUsageErrors(t *testing.T) {
	f := newFake(t)
	dir := t.TempDir()
	jobState := filepath.Join(dir, "job.state")
	mustRun(t, 0, f.env, "watch", "job-sessions", "--since", "30d", "--limit", "1", "--state-file", jobState)
	bad := filepath.Join(dir, "bad.state")
	require.NoError(t, os.WriteFile(bad, []byte(`{"kind":"task-sessions","cursor":"AAAA"}`), 0o600))
	notJSON := filepath.Join(dir, "notjson.state")
	require.NoError(t, os.WriteFile(notJSON, []byte("hello"), 0o600))
	tests := []struct {
		args []string
		msg  string
	}{
		{[]string{"watch", "vm-sessions"}, "unknown kind"},
		{[]string{"watch"}, "missing argument KIND"},
		{[]string{"watch", "task-sessions", "-o", "xml"}, "-o xml"},
		{[]string{"watch", "task-sessions", "--limit", "-1"}, "--limit"},
		{[]string{"watch", "task-sessions", "--interval", "0s"}, "--interval"},
		{[]string{"watch", "task-sessions", "--lag", "-1m"}, "--lag"},
		{[]string{"watch", "task-sessions", "--since", "yesterday"}, "--since"},
		{[]string{"watch", "task-sessions", "--result", "great"}, "--result"},
		{[]string{"watch", "task-sessions", "--state-file", jobState}, "job-sessions"},
		{[]string{"watch", "task-sessions", "--state-file", bad}, "cursor"},
		{[]string{"watch", "task-sessions", "--state-file", notJSON}, "not a vem watch state file"},
	}
	for _, tt := range tests {
		r := runVem(t, f.env, "", tt.args...)
		assert.Equal(t, exitUsage, r.code, "%v: %s", tt.args, r)
		assert.Contains(t, r.stderr, tt.msg, "%v", tt.args)
		assert.Empty(t, r.stdout)
	}
}

// watchProc is a running "vem watch" whose lines the test reads.
type watchProc struct {
	cmd   *exec.Cmd
	mu    sync.Mutex
	lines []string
	done  chan struct{}
}

func startWatch(t *testing.T, env []string, args ...string) *watchProc {
	t.Helper()
	cmd := exec.Command(vemBin, args...)
	cmd.Env = append(baseEnv(t), env...)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	p := &watchProc{cmd: cmd, done: make(chan struct{})}
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-p.done })
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			p.mu.Unlock()
		}
		_ = cmd.Wait()
	}()
	return p
}

func (p *watchProc) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.lines)
}

// waitLines waits until the process printed n lines (at most 20 s).
func (p *watchProc) waitLines(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for p.count() < n {
		if time.Now().After(deadline) {
			t.Fatalf("waited for %d lines, got %d", n, p.count())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// stop signals the process and returns its exit code and its lines.
func (p *watchProc) stop(t *testing.T, sig os.Signal) (int, []string) {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(sig))
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		t.Fatal("vem watch did not stop")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	var uids []string
	for _, l := range p.lines {
		var v struct {
			UID string `json:"uid"`
		}
		require.NoError(t, json.Unmarshal([]byte(l), &v), l)
		uids = append(uids, v.UID)
	}
	return p.cmd.ProcessState.ExitCode(), uids
}

// addFinished adds a task session that has just finished and returns its
// UID.
func addFinished(f *fake, n int) string {
	uid := vem.UID(fmt.Sprintf("urn:veeam:BackupTaskSession:%08d-5ee5-4000-8000-%012d", n, n))
	now := time.Now().UTC()
	f.AddBackupTaskSession(vem.BackupTaskSession{UID: uid, VMDisplayName: fmt.Sprintf("vm%d", n),
		JobSessionUID: vemtest.SeedBackupTaskSession().JobSessionUID, CreationTime: now.Add(-time.Minute), EndTime: now,
		State: vem.StateCompleted, Result: vem.ResultSuccess})
	return string(uid)
}

// TestWatchSignals runs "vem watch --state-file" while sessions finish,
// stops it with SIGTERM (or SIGKILL), adds sessions while it is down and
// restarts it: nothing is lost, nothing repeats after SIGTERM, and at
// most the last line repeats after SIGKILL.
func TestWatchSignals(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			f := newFake(t, vemtest.WithDataset(5))
			state := filepath.Join(t.TempDir(), "watch.state")
			args := []string{"watch", "task-sessions", "--state-file", state, "--interval", "50ms", "--lag", "1m"}
			var want []string
			n := 0
			add := func(k int) {
				for range k {
					n++
					want = append(want, addFinished(f, n))
				}
			}

			p1 := startWatch(t, f.env, args...)
			// The state file appears once the watch has started: sessions
			// added from then on are after its --since.
			require.Eventually(t, func() bool { _, err := os.Stat(state); return err == nil }, 20*time.Second, 10*time.Millisecond)
			add(3)
			p1.waitLines(t, 3)
			add(4)
			p1.waitLines(t, 5)
			code1, got1 := p1.stop(t, sig)
			if sig == syscall.SIGTERM {
				assert.Equal(t, 143, code1)
			}
			add(3) // while it is down

			p2 := startWatch(t, f.env, args...)
			add(2)
			wantN := len(want) - len(got1)
			if sig == syscall.SIGKILL {
				wantN = min(wantN+1, len(want)) // maybe the last line again
			}
			p2.waitLines(t, len(want)-len(got1))
			time.Sleep(300 * time.Millisecond) // a few more polls: nothing more may come
			code2, got2 := p2.stop(t, os.Interrupt)
			assert.Equal(t, 130, code2)
			assert.LessOrEqual(t, len(got2), wantN)

			all := append(slices.Clone(got1), got2...)
			counts := map[string]int{}
			for _, u := range all {
				counts[u]++
			}
			for _, u := range want {
				assert.GreaterOrEqual(t, counts[u], 1, "lost: %s", u)
			}
			assert.Len(t, counts, len(want), "only the sessions added")
			repeats := len(all) - len(counts)
			switch sig {
			case syscall.SIGTERM:
				assert.Zero(t, repeats, "nothing repeats after SIGTERM")
				assert.Equal(t, want, all, "in end-time order")
			case syscall.SIGKILL:
				assert.LessOrEqual(t, repeats, 1)
				if repeats == 1 {
					assert.Equal(t, got1[len(got1)-1], got2[0], "only the last line before the kill comes again")
				}
			}
			t.Logf("%v: %d lines before, %d after, %d repeated", sig, len(got1), len(got2), repeats)
		})
	}
}
