package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCIInstallsTools runs the tool check of .ci/run with stub commands:
// as root with apt-get, and without jq and a C compiler, it installs both
// and says so; as another user it only says what is missing.
func TestCIInstallsTools(t *testing.T) {
	t.Parallel()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not installed")
	}
	b, err := os.ReadFile("../../.ci/run")
	require.NoError(t, err)
	script := string(b)
	start := strings.Index(script, "missing=()")
	end := strings.Index(script, `echo "== gofmt"`)
	require.True(t, start >= 0 && end > start, ".ci/run has no tool check before gofmt")
	check := script[start:end]

	for _, tc := range []struct {
		uid, want string
		installs  bool
	}{
		{"0", "installed: jq gcc", true},
		{"1000", "missing: jq gcc (not root", false},
	} {
		dir := t.TempDir()
		log := filepath.Join(dir, "apt.log")
		stub := func(name, body string) {
			require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte("#!"+bash+"\n"+body+"\n"), 0o755))
		}
		stub("go", `[ "$1 $2" = "env CC" ] && echo no-such-cc`)
		stub("id", "echo "+tc.uid)
		stub("apt-get", `echo "$*" >> "`+log+`"`)
		cmd := exec.Command(bash, "-c", check)
		cmd.Env = []string{"PATH=" + dir} // no jq, no gcc
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
		assert.Contains(t, string(out), tc.want)
		calls, _ := os.ReadFile(log)
		if tc.installs {
			assert.Contains(t, string(calls), "install -y -qq jq gcc")
		} else {
			assert.Empty(t, string(calls))
		}
	}
}
