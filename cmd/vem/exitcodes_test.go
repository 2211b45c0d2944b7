package main

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vemkit/vem/cmd/vem/internal/cmdutil"
)

// exitCodeTable returns the Markdown table that follows the line "Exit
// codes:" in a document.
func exitCodeTable(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	_, rest, ok := strings.Cut(string(b), "\nExit codes:\n\n")
	require.True(t, ok, "%s has no \"Exit codes:\" table", path)
	end := strings.Index(rest, "\n\n")
	require.Positive(t, end)
	return rest[:end+1]
}

// TestExitCodesDocumentedOnce checks every place the exit codes are
// documented against the one table in code (cmdutil.ExitCodes): the tables
// of docs/cli.md and the README, vem --help, vem help exit-codes and vem
// doctor --help. Run with VEM_UPDATE_DOCS=1 to rewrite the two tables.
func TestExitCodesDocumentedOnce(t *testing.T) {
	t.Parallel()
	want := cmdutil.ExitCodesMarkdown()
	for _, path := range []string{"../../docs/cli.md", "../../README.md"} {
		got := exitCodeTable(t, path)
		if got != want && os.Getenv("VEM_UPDATE_DOCS") == "1" {
			b, err := os.ReadFile(path)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(path, []byte(strings.Replace(string(b), "\nExit codes:\n\n"+got, "\nExit codes:\n\n"+want, 1)), 0o644))
			continue
		}
		assert.Equal(t, want, got, "the exit codes of %s (VEM_UPDATE_DOCS=1 rewrites them)", path)
	}

	help := mustRun(t, 0, nil, "--help").stdout
	flat := strings.Join(strings.Fields(help), " ")
	for _, c := range cmdutil.ExitCodes {
		assert.Contains(t, flat, strings.Join(strings.Fields(c.Short), " "), "vem --help lacks exit %d", c.Code)
	}
	assert.Contains(t, flat, "9 not Enterprise Manager")
	assert.Contains(t, help, "exit-codes", "vem --help lists the help topic")

	topic := mustRun(t, 0, nil, "help", "exit-codes").stdout
	assert.Equal(t, strings.TrimSpace(cmdutil.ExitCodesText()), strings.TrimSpace(topic))
	for _, code := range []string{"  0  ", "  8  ", "  9  ", "130  ", "141  "} {
		assert.Contains(t, topic, code)
	}

	doctor := strings.Join(strings.Fields(mustRun(t, 0, nil, "doctor", "--help").stdout), " ")
	assert.Contains(t, doctor, "9 a server that is not EM")
	assert.NotContains(t, doctor, "1 anything else (a server that is not EM)")
}
