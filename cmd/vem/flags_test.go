//go:build seams

package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vemkit/vem"
)

// runSeamed runs vem in the test process with the seams set, on a fixed
// clock and an empty environment plus env.
func runSeamed(t *testing.T, s seams, env []string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	a := newApp(strings.NewReader(""), &stdout, &stderr, envFunc(env...))
	a.now = func() time.Time { return time.Date(2025, 10, 12, 12, 0, 0, 0, time.UTC) }
	a.seams = s
	code := a.run(context.Background(), args)
	return result{stdout: stdout.String(), stderr: stderr.String(), code: code}
}

// TestListOptions checks what "task-session list" parses its flags into,
// through the list seam: nothing is sent, no server is needed.
func TestListOptions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		args   []string
		filter string
		want   func(*testing.T, *listOptions)
	}{
		{"defaults", nil, "", func(t *testing.T, o *listOptions) {
			assert.Equal(t, vem.Query{SortDesc: "CreationTime"}, o.Query)
		}},
		{"result list", []string{"--result", "failed,WARNING"}, "Result==Failed,Result==Warning", nil},
		{"state repeated", []string{"--state", "inprogress", "--state", "Pending"}, "State==InProgress,State==Pending", nil},
		{"since table format", []string{"--since", "2025-10-11 20:06:09"}, `CreationTime>="2025-10-11T20:06:09Z"`, nil},
		{"since RFC 3339 without zone is UTC", []string{"--since", "2025-10-11T20:06:09.5"}, `CreationTime>="2025-10-11T20:06:09.5Z"`, nil},
		{"since duration", []string{"--since", "1d"}, `CreationTime>="2025-10-11T12:00:00Z"`, nil},
		{"since before until", []string{"--since", "2025-10-10", "--until", "2025-10-11"}, `CreationTime>="2025-10-10T00:00:00Z";CreationTime<"2025-10-11T00:00:00Z"`, nil},
		{"limit", []string{"--limit", "5", "--sort", "endtime"}, "", func(t *testing.T, o *listOptions) {
			assert.Equal(t, vem.Query{SortAsc: "EndTime", PageSize: 5, Concurrency: 1}, o.Query)
			assert.Equal(t, 5, o.Limit)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got *listOptions
			s := seams{list: func(_ *cobra.Command, o *listOptions) error { got = o; return nil }}
			r := runSeamed(t, s, nil, append([]string{"task-session", "list"}, tc.args...)...)
			require.Equal(t, 0, r.code, r.String())
			require.NotNil(t, got)
			assert.Equal(t, tc.filter, got.Query.Filter.String())
			if tc.want != nil {
				tc.want(t, got)
			}
		})
	}
}

// TestGetAndVersionOptions checks the get and version seams.
func TestGetAndVersionOptions(t *testing.T) {
	t.Parallel()
	var got *getOptions
	s := seams{get: func(_ *cobra.Command, o *getOptions) error { got = o; return nil }}
	r := runSeamed(t, s, nil, "ts", "get", seedUID, "--follow")
	require.Equal(t, 0, r.code, r.String())
	assert.Equal(t, &getOptions{ID: seedID, Follow: true}, got)

	var v *versionOptions
	s = seams{version: func(_ *cobra.Command, o *versionOptions) error { v = o; return nil }}
	require.Equal(t, 0, runSeamed(t, s, []string{"VEM_OUTPUT=JSON"}, "version").code)
	assert.Equal(t, &versionOptions{Output: "json"}, v)
}

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
		r := runSeamed(t, seams{}, nil, tc.args...)
		assert.Equal(t, exitUsage, r.code, "vem %q: %s", tc.args, r)
		assert.Empty(t, r.stdout, "vem %q", tc.args)
		assert.True(t, strings.HasPrefix(r.stderr, "vem: "), "vem %q: %s", tc.args, r.stderr)
		assert.Contains(t, r.stderr, tc.msg, "vem %q", tc.args)
		assert.NotContains(t, r.stderr, "abc", "vem %q echoes a secret", tc.args)
	}
	// What works still works.
	for _, args := range [][]string{{"help"}, {"help", "task-session", "list"}, {"completion", "powershell"}, {"version", "-o", "table"}} {
		r := runSeamed(t, seams{}, nil, args...)
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
		r := runSeamed(t, seams{}, nil, append([]string{"__complete", "task-session", "list"}, tc.args...)...)
		require.Equal(t, 0, r.code, r.String())
		lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
		assert.Equal(t, tc.want, lines[:len(lines)-1], "completing %q", tc.args)
	}
}
