package main

import (
	"encoding/xml"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// completions returns the values "vem __complete args..." offers, without
// the directive line.
func completions(t *testing.T, env []string, args ...string) []string {
	t.Helper()
	r := runVem(t, env, "", append([]string{"__complete"}, args...)...)
	require.Equal(t, 0, r.code, r.String())
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		if strings.HasPrefix(l, ":") {
			continue
		}
		v, _, _ := strings.Cut(l, "\t")
		out = append(out, v)
	}
	return out
}

// TestOutputFormatsPerCommand: each command declares its formats; -o
// completion offers exactly those, and another is refused.
func TestOutputFormatsPerCommand(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cmd  []string
		want []string
	}{
		{[]string{"task-session", "get", "x"}, []string{"json", "jsonl", "table", "xml"}},
		{[]string{"task-session", "list"}, []string{"json", "jsonl", "table", "xml"}},
		{[]string{"job-session", "get", "x"}, []string{"json", "jsonl", "table", "xml"}},
		{[]string{"job", "list"}, []string{"json", "jsonl", "table", "xml"}},
		{[]string{"job", "stop", "x"}, []string{"json", "jsonl", "table"}},
		{[]string{"watch", "task-sessions"}, []string{"jsonl", "json", "table"}},
		{[]string{"health"}, []string{"table", "json", "jsonl", "nagios", "prometheus"}},
		{[]string{"version"}, []string{"json", "jsonl", "table", "xml"}},
		{[]string{"exporter"}, nil},
		{[]string{"doctor"}, nil},
	} {
		got := completions(t, nil, append(tc.cmd, "-o", "")...)
		assert.Equal(t, tc.want, got, "vem %q -o", tc.cmd)
	}
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"watch", "task-sessions", "-o", "xml"}, "-o xml is not available for watch (want jsonl, json or table)"},
		{[]string{"health", "-o", "xml"}, "-o xml is not available for health (want table, json, jsonl, nagios or prometheus)"},
		{[]string{"task-session", "list", "-o", "nagios"}, "-o nagios is not available for task-session list (want json, jsonl, table or xml)"},
		{[]string{"job", "stop", "x", "-o", "xml"}, "-o xml is not available for job stop"},
		{[]string{"task-session", "list", "-o", "yaml"}, `-o/--output (VEM_OUTPUT): invalid value "yaml" (want json, jsonl, table or xml)`},
	} {
		r := runVem(t, []string{"VEM_URL=https://127.0.0.1:1", "VEM_USERNAME=u", "VEM_PASSWORD=p"}, "", tc.args...)
		assert.Equal(t, exitUsage, r.code, "vem %q: %s", tc.args, r)
		assert.Contains(t, r.stderr, tc.msg, "vem %q", tc.args)
	}
}

// TestJobNameCompletion: job commands complete job names from EM.
func TestJobNameCompletion(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	got := completions(t, f.env, "job", "start", "s")
	assert.Equal(t, []string{"Sauvegarde Comptabilité", "SQL & Exchange <Prod>"}, got)
	got = completions(t, f.env, "job", "get", "")
	assert.Contains(t, got, seedJobName)
	assert.Empty(t, completions(t, nil, "job", "get", ""), "no connection settings: nothing, quietly")
}

// TestNotApplicableFlags: vem exporter refuses -o and --timeout, and vem
// fake-server the connection flags; their help leaves them out.
func TestNotApplicableFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"exporter", "-o", "json"}, "--output does not apply to exporter"},
		{[]string{"exporter", "--timeout", "1m"}, "--timeout does not apply to exporter"},
		{[]string{"fake-server", "--url", "https://x"}, "--url does not apply to fake-server"},
		{[]string{"fake-server", "--insecure"}, "--insecure does not apply to fake-server"},
	} {
		r := runVem(t, nil, "", tc.args...)
		assert.Equal(t, exitUsage, r.code, "vem %q: %s", tc.args, r)
		assert.Contains(t, r.stderr, tc.msg)
	}
	help := mustRun(t, 0, nil, "exporter", "--help").stdout
	assert.Contains(t, help, "--url")
	assert.NotContains(t, help, "--output")
	assert.NotContains(t, help, "--timeout")
	help = mustRun(t, 0, nil, "fake-server", "--help").stdout
	for _, flag := range []string{"--url", "--username", "--password-stdin", "--ca-file", "--insecure", "--timeout", "--output", "--format"} {
		assert.NotContains(t, help, flag, "fake-server --help")
	}
	assert.Contains(t, help, "--addr")
	assert.Contains(t, mustRun(t, 0, nil, "task-session", "list", "--help").stdout, "--url", "other commands keep them")
}

// TestJobListXML: job list -o xml is EM's own QueryResult, every job of
// every page in one document.
func TestJobListXML(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	r := mustRun(t, 0, f.env, "job", "list", "-o", "xml")
	wellFormed(t, r.stdout)
	var doc struct {
		XMLName xml.Name
		Jobs    []struct {
			Name string `xml:"Name,attr"`
		} `xml:"Entities>Jobs>Job"`
	}
	require.NoError(t, xml.Unmarshal([]byte(r.stdout), &doc))
	assert.Equal(t, "QueryResult", doc.XMLName.Local)
	assert.Equal(t, emNamespace, doc.XMLName.Space)
	var names []string
	for _, j := range doc.Jobs {
		names = append(names, j.Name)
	}
	assert.True(t, slices.Contains(names, seedJobName), "%v", names)
	assert.Len(t, names, len(decodeJSON[[]jobJSON](t, mustRun(t, 0, f.env, "job", "list", "-o", "json").stdout)))

	r = mustRun(t, 0, f.env, "job", "list", "--name", "no such job", "-o", "xml")
	wellFormed(t, r.stdout)
	assert.Contains(t, r.stdout, "<Entities>\n<Jobs>\n</Jobs>")
}

// TestJobSessionGet: job-session get prints one job session in every
// format; a bad ID sends nothing, an unknown one exits 3.
func TestJobSessionGet(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	const id = "0d3a8230-3db1-4cc1-a7b2-3b0b5c8f784c" // the seed's job session
	js := decodeJSON[jobSessionOut](t, mustRun(t, 0, f.env, "job-session", "get", id).stdout)
	assert.Equal(t, "urn:veeam:BackupJobSession:"+id, js.UID)
	assert.Equal(t, seedJobName, deref(js.JobName))
	assert.True(t, js.Finished)
	r := mustRun(t, 0, f.env, "js", "get", "urn:veeam:BackupJobSession:"+id, "-o", "table")
	assert.Contains(t, r.stdout, "Job              "+seedJobName)
	r = mustRun(t, 0, f.env, "job-session", "get", id, "-o", "xml")
	wellFormed(t, r.stdout)
	assert.True(t, strings.HasPrefix(r.stdout, `<?xml version="1.0" encoding="utf-8"?>`+"\n<BackupJobSession "), r.stdout)
	assert.Contains(t, r.stdout, `xmlns="`+emNamespace+`"`)
	assert.Equal(t, exitNotFound, runVem(t, f.env, "", "job-session", "get", unknownID).code)
	r = runVem(t, f.env, "", "job-session", "get", "nope")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "invalid BackupJobSession ID")
}
