package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHealthDocTryIt runs the "Try it" script of docs/health.md as a user
// would, with the vem under test installed: it installs vem before calling
// it, and leaves no fake server and no file behind.
func TestHealthDocTryIt(t *testing.T) {
	t.Parallel()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not installed")
	}
	b, err := os.ReadFile("../../docs/health.md")
	require.NoError(t, err)
	_, rest, ok := strings.Cut(string(b), "Try it against the fake Enterprise Manager")
	require.True(t, ok)
	_, rest, _ = strings.Cut(rest, "```sh\n")
	script, _, _ := strings.Cut(rest, "```")
	install := strings.Index(script, "go install ")
	require.GreaterOrEqual(t, install, 0, "the script installs vem")
	require.Less(t, install, strings.Index(script, "vem fake-server"), "vem is installed before it is called")
	require.Contains(t, script, "trap ")

	// The vem under test stands for the installed one.
	script = strings.Replace(script, script[install:install+strings.Index(script[install:], "\n")+1], "", 1)
	tmp := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bash, "-e", "-c", script)
	cmd.Env = append(baseEnv(t), "TMPDIR="+tmp, "PATH="+filepath.Dir(vemBin)+":"+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "VMs", "vem health printed its summary")
	entries, err := os.ReadDir(tmp)
	require.NoError(t, err)
	assert.Empty(t, entries, "the env file and the fake server's certificate are gone: the server has stopped")
}
