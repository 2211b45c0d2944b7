package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEmptyFlagValues checks that an empty flag value is a usage error
// (exit 2), never "no filter", and that nothing is sent.
func TestEmptyFlagValues(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	for _, args := range [][]string{
		{"task-session", "list", "--since", ""},
		{"task-session", "list", "--since", "  "},
		{"task-session", "list", "--until="},
		{"task-session", "list", "--result", ""},
		{"task-session", "list", "--result", "failed,"},
		{"task-session", "list", "--state", ""},
		{"task-session", "list", "--vm", ""},
		{"task-session", "list", "--job", ""},
		{"task-session", "list", "--filter", ""},
		{"task-session", "list", "--sort", ""},
		{"task-session", "get", seedID, "--url", ""},
		{"task-session", "get", seedID, "--username", ""},
		{"task-session", "get", seedID, "--ca-file", ""},
		{"task-session", "get", seedID, "--format", ""},
		{"task-session", "get", seedID, "-o", ""},
		{"task-session", "get", seedID, "--timeout", ""},
		{"fake-server", "--addr", ""},
	} {
		before := f.Stats().Requests
		r := runVem(t, f.env, "", args...)
		assert.Equal(t, exitUsage, r.code, "vem %q: %s", args, r)
		assert.Empty(t, r.stdout, "vem %q", args)
		assert.True(t, strings.HasPrefix(r.stderr, "vem: "), "vem %q: %s", args, r.stderr)
		assert.Equal(t, before, f.Stats().Requests, "vem %q sent a request", args)
	}
}

// TestUsageErrors checks that a bad command line exits 2 with a message on
// stderr and nothing on stdout, never help text with success.
func TestUsageErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"completion", "tcsh"}, `unsupported shell "tcsh"`},
		{[]string{"completion"}, "missing argument SHELL"},
		{[]string{"completion", "bash", "zsh"}, "unexpected argument"},
		{[]string{"help", "bogus"}, `unknown help topic "bogus"`},
		{[]string{"help", "task-session", "bogus"}, `unknown help topic "task-session bogus"`},
		{[]string{"version", "-o", "bogus"}, `invalid value "bogus"`},
		{[]string{"bogus"}, `unknown command "bogus"`},
		{[]string{"task-session", "list", "--since", "2025-10-12", "--until", "2025-10-11"}, "--since (2025-10-12T00:00:00Z) is not before --until"},
		{[]string{"task-session", "list", "--since", "1h", "--until", "1h"}, "is not before --until"},
		{[]string{"--session-id", "abc", "version"}, "--session-id is not accepted"},
		{[]string{"--password=abc", "version"}, "--password is not accepted"},
	} {
		r := runVem(t, nil, "", tc.args...)
		assert.Equal(t, exitUsage, r.code, "vem %q: %s", tc.args, r)
		assert.Empty(t, r.stdout, "vem %q", tc.args)
		assert.True(t, strings.HasPrefix(r.stderr, "vem: "), "vem %q: %s", tc.args, r.stderr)
		assert.Contains(t, r.stderr, tc.msg, "vem %q", tc.args)
		assert.NotContains(t, r.stderr, "abc", "vem %q echoes a secret", tc.args)
	}
	// What works still works.
	for _, args := range [][]string{{"help"}, {"help", "task-session", "list"}, {"completion", "powershell"}, {"version", "-o", "table"}} {
		r := runVem(t, nil, "", args...)
		assert.Equal(t, 0, r.code, "vem %q: %s", args, r)
		assert.NotEmpty(t, r.stdout, "vem %q", args)
	}
}

// TestValueCompletion checks completion of --result, --state and --sort
// values: case-insensitive, and the last item of a comma list.
func TestValueCompletion(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--result", "fa"}, []string{"Failed"}},
		{[]string{"--result", "FA"}, []string{"Failed"}},
		{[]string{"--result", "failed,"}, []string{"failed,None", "failed,Success", "failed,Warning"}},
		{[]string{"--result", "failed,wa"}, []string{"failed,Warning"}},
		{[]string{"--state", "in"}, []string{"InProgress"}},
		{[]string{"--state", "Completed,p"}, []string{"Completed,Pending"}},
		{[]string{"--sort", "end"}, []string{"EndTime"}},
		{[]string{"--sort=-end"}, []string{"-EndTime"}},
		{[]string{"--sort", "vmdis"}, []string{"VmDisplayName"}},
	} {
		r := runVem(t, nil, "", append([]string{"__complete", "task-session", "list"}, tc.args...)...)
		require.Equal(t, 0, r.code, r.String())
		lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
		assert.Equal(t, tc.want, lines[:len(lines)-1], "completing %q", tc.args)
	}
}
