package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readmeExample is a shell block of the README and the output block that
// follows it ("" when none does).
type readmeExample struct {
	script, output string
}

// readmeScriptExamples returns the shell blocks of the README's "Use from
// scripts" section, each with the output block printed under it.
func readmeScriptExamples(t *testing.T) []readmeExample {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	s := string(b)
	start := strings.Index(s, "## Use from scripts")
	require.GreaterOrEqual(t, start, 0)
	s = s[start:]
	if end := strings.Index(s[3:], "\n## "); end >= 0 {
		s = s[:end+3]
	}
	var out []readmeExample
	blocks := regexp.MustCompile("(?s)```(\\w*)\n(.*?)```").FindAllStringSubmatch(s, -1)
	for i, bl := range blocks {
		if bl[1] != "sh" {
			continue
		}
		ex := readmeExample{script: bl[2]}
		if i+1 < len(blocks) && blocks[i+1][1] == "" {
			ex.output = blocks[i+1][2]
		}
		out = append(out, ex)
	}
	return out
}

// TestREADMEScripts runs the README's script examples in bash, against
// the default "vem fake-server" the first one starts, and compares what
// they print with the output the README shows under each (dates, which
// follow the day the server starts, masked).
func TestREADMEScripts(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"bash", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed: the README's script examples are not run", tool)
		}
	}
	examples := readmeScriptExamples(t)
	require.GreaterOrEqual(t, len(examples), 4)
	require.Contains(t, examples[0].script, "vem fake-server --addr 127.0.0.1:0")

	const marker = "--- vem README example ---"
	var script strings.Builder
	script.WriteString("set -u\ncd \"$WORKDIR\"\n")
	script.WriteString(examples[0].script)
	for _, ex := range examples[1:] {
		script.WriteString("echo '" + marker + "'\n(\n" + ex.script + ")\n")
	}
	cmd := exec.Command("bash", "-c", script.String())
	cmd.Env = append(baseEnv(t), "PATH="+filepath.Dir(vemBin)+string(os.PathListSeparator)+os.Getenv("PATH"), "WORKDIR="+t.TempDir())
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "%s\n%s", out, stderr.String())

	dates := regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d`)
	got := strings.Split(string(out), marker+"\n")
	require.Len(t, got, len(examples), "%s\n%s", out, stderr.String())
	for i, ex := range examples {
		want := dates.ReplaceAllString(ex.output, "DATE")
		assert.Equal(t, want, dates.ReplaceAllString(got[i], "DATE"), "README example %d:\n%s", i+1, ex.script)
	}
}
