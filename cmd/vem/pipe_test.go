//go:build unix

package main

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vemkit/vem/vemtest"
)

// TestClosedStdout runs the binary with stdout on a real pipe whose reader
// goes away after the first line, as "vem ... | head -1" does: vem must not
// die of SIGPIPE, but stop reading, log out and exit quietly with
// exitClosedPipe, in every streaming output format.
func TestClosedStdout(t *testing.T) {
	t.Parallel()
	const dataset, pageSize = 3000, 10
	pages := (dataset + 1 + pageSize - 1) / pageSize
	for _, output := range []string{"json", "jsonl", "table", "xml"} {
		t.Run(output, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, vemtest.WithDataset(dataset))
			cmd := exec.Command(vemBin, "task-session", "list", "--page-size", strconv.Itoa(pageSize), "-o", output)
			cmd.Env = append(baseEnv(t), f.env...)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			stdout, err := cmd.StdoutPipe()
			require.NoError(t, err)
			require.NoError(t, cmd.Start())
			first, err := bufio.NewReader(stdout).ReadString('\n')
			require.NoError(t, err)
			assert.NotEmpty(t, first)
			require.NoError(t, stdout.Close()) // the reader goes away

			err = cmd.Wait()
			var ee *exec.ExitError
			require.True(t, errors.As(err, &ee), "vem exited with %v; stderr: %s", err, stderr.String())
			assert.Equal(t, exitClosedPipe, ee.ExitCode(), "killed by a signal instead of exiting? %v; stderr: %s", ee, stderr.String())
			assert.Empty(t, stderr.String(), "a closed stdout is not worth a message")

			st := f.Stats()
			assert.Equal(t, 1, st.Logons)
			assert.Equal(t, st.Logons, st.Logouts, "the session must not stay open on EM")
			assert.Less(t, st.Routes["GET /api/query"], pages/2, "vem kept reading pages after stdout closed")
		})
	}
	t.Run("head -1 in a shell", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, vemtest.WithDataset(dataset))
		sh := exec.Command("bash", "-c", `"$VEM" task-session list --page-size 10 -o jsonl | head -1 >/dev/null; echo "${PIPESTATUS[0]}"`)
		sh.Env = append(append(baseEnv(t), f.env...), "VEM="+vemBin)
		out, err := sh.CombinedOutput()
		require.NoError(t, err, "%s", out)
		assert.Equal(t, strconv.Itoa(exitClosedPipe)+"\n", string(out))
		st := f.Stats()
		assert.Equal(t, st.Logons, st.Logouts, "the session must not stay open on EM")
	})
}

// TestStdoutFull writes to /dev/full: a local write error exits 1 with a
// message naming stdout, not 5 ("server unreachable"), and logs out.
func TestStdoutFull(t *testing.T) {
	t.Parallel()
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip("no /dev/full:", err)
	}
	defer full.Close()
	f := newFake(t, vemtest.WithDataset(200))
	for _, args := range [][]string{
		{"task-session", "list", "-o", "jsonl"},
		{"task-session", "get", seedID},
		{"version"},
	} {
		cmd := exec.Command(vemBin, args...)
		cmd.Env = append(baseEnv(t), f.env...)
		cmd.Stdout = full
		var stderr strings.Builder
		cmd.Stderr = &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		require.True(t, errors.As(err, &ee), "vem %v: %v", args, err)
		assert.Equal(t, exitError, ee.ExitCode(), "vem %v: %s", args, stderr.String())
		assert.Contains(t, stderr.String(), "vem: writing to stdout: ")
		assert.Contains(t, stderr.String(), "no space left on device")
	}
	st := f.Stats()
	assert.Equal(t, st.Logons, st.Logouts)
}
