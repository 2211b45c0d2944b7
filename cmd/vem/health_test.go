package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vemkit/vem/vemtest"
)

// runHealth runs vem in the process and returns its exit code, stdout and
// stderr.
func runHealth(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &stdout, &stderr, envFunc(env...))
	return code, stdout.String(), stderr.String()
}

func TestHealthCommand(t *testing.T) {
	t.Parallel()
	f := newFake(t)

	code, out, errOut := runHealth(t, f.env, "health", "-o", "json")
	require.Equal(t, 0, code, errOut)
	var verdicts []map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &verdicts), out)
	require.NotEmpty(t, verdicts)
	for _, v := range verdicts {
		assert.Contains(t, []any{"ok", "warning", "critical", "unknown"}, v["status"])
		assert.NotEmpty(t, v["vm"])
		assert.NotEmpty(t, v["why"])
	}
	assert.Empty(t, errOut)

	// No -o, not a terminal: JSON, as the other commands.
	code, out2, _ := runHealth(t, f.env, "health")
	require.Equal(t, 0, code)
	assert.True(t, json.Valid([]byte(out2)), out2)

	// VEM_OUTPUT picks the format too; the flag wins over it.
	code, out, _ = runHealth(t, append(f.env, "VEM_OUTPUT=jsonl"), "health")
	require.Equal(t, 0, code)
	assert.Len(t, strings.Split(strings.TrimSpace(out), "\n"), len(verdicts))
	code, out, _ = runHealth(t, append(f.env, "VEM_OUTPUT=nagios"), "health", "-o", "table")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "VMs")

	// The scope filters reach Evaluate.
	vm := verdicts[0]["vm"].(string)
	code, out, _ = runHealth(t, f.env, "health", "-o", "json", "--vm", "^"+regexp.QuoteMeta(vm)+"$")
	require.Equal(t, 0, code)
	var some []map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &some))
	require.NotEmpty(t, some)
	for _, v := range some {
		assert.Equal(t, vm, v["vm"])
	}

	// -o nagios exits with the worst verdict; -o prometheus passes the
	// official parser and linter.
	code, out, errOut = runHealth(t, f.env, "health", "-o", "nagios")
	state, _, perf, _ := parsePlugin(t, out)
	assert.Equal(t, map[string]int{"OK": 0, "WARNING": 1, "CRITICAL": 2, "UNKNOWN": 3}[state], code, out)
	assert.Empty(t, errOut)
	total := 0
	for _, l := range []string{"ok", "warning", "critical", "unknown"} {
		require.Len(t, perf[l], 6, "perfdata %s in %q", l, out)
		n, err := strconv.Atoi(perf[l][0])
		require.NoError(t, err)
		total += n
	}
	assert.Equal(t, perf["ok"][5], strconv.Itoa(total), "the counts add up to the VMs")

	code, out, _ = runHealth(t, f.env, "health", "-o", "prometheus")
	require.Equal(t, 0, code)
	lintPrometheus(t, out)

	code, out, _ = runHealth(t, f.env, "health", "-o", "table", "--job", "^no such job$")
	require.Equal(t, 0, code, "other formats exit 0 whatever the verdict")
	assert.Equal(t, "UNKNOWN: no task session of any VM in the last 7d matches --job \"^no such job$\" (0 jobs; last 7d, warning after 26h, critical after 2d)\n", out)
	code, out, _ = runHealth(t, f.env, "health", "-o", "nagios", "--job", "^no such job$")
	assert.Equal(t, 3, code, "a scope that matches nothing is unknown to a check")
	assert.True(t, strings.HasPrefix(out, "VEM UNKNOWN - no task session of any VM in the last 7d matches --job"), out)
}

func TestHealthNagiosUnknown(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	for _, tc := range []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"unknown flag before -o", f.env, []string{"health", "--bogus", "-o", "nagios"}, "VEM UNKNOWN - unknown flag: --bogus\n"},
		{"flag without value", f.env, []string{"health", "-o", "nagios", "--vm"}, "VEM UNKNOWN - flag needs an argument: --vm\n"},
		{"bad duration", f.env, []string{"health", "-onagios", "--window", "x"}, `VEM UNKNOWN - --window: invalid duration "x" (want e.g. 7d, 1d12h, 26h or 90m)` + "\n"},
		{"bad regexp", f.env, []string{"health", "--output=nagios", "--job", "a|("}, `VEM UNKNOWN - --job: invalid regular expression "a/(": missing closing )` + "\n"},
		{"crit below warn", f.env, []string{"health", "-o", "nagios", "--warn-age", "2d", "--crit-age", "1d"}, "VEM UNKNOWN - --crit-age 1d is below --warn-age 2d\n"},
		{"unexpected argument", f.env, []string{"health", "-o", "nagios", "extra"}, `VEM UNKNOWN - unexpected argument "extra"` + "\n"},
		{"no URL", nil, []string{"health", "-o", "nagios"}, "VEM UNKNOWN - missing --url (or VEM_URL), e.g. https://em.example.com:9398\n"},
		{"VEM_OUTPUT", append(f.env, "VEM_OUTPUT=nagios"), []string{"health", "--bogus"}, "VEM UNKNOWN - unknown flag: --bogus\n"},
		{"wrong password", f.with("VEM_PASSWORD=wrong"), []string{"health", "-o", "nagios"}, "VEM UNKNOWN - "},
		{"unreachable", f.with("VEM_URL=https://127.0.0.1:1", "VEM_TIMEOUT=5s"), []string{"health", "-o", "nagios"}, "VEM UNKNOWN - "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runHealth(t, tc.env, tc.args...)
			assert.Equal(t, 3, code, out)
			assert.True(t, strings.HasPrefix(out, tc.want), "stdout %q, want %q", out, tc.want)
			assert.Empty(t, errOut, "nothing on stderr")
			state, _, _, _ := parsePlugin(t, out)
			assert.Equal(t, "UNKNOWN", state)
			assert.NotContains(t, out, f.Password)
		})
	}

	// The other formats keep the CLI's own exit codes and messages.
	code, out, errOut := runHealth(t, f.env, "health", "--bogus", "-o", "json")
	assert.Equal(t, exitUsage, code)
	assert.Empty(t, out)
	assert.Contains(t, errOut, "unknown flag: --bogus")
	code, _, errOut = runHealth(t, f.with("VEM_PASSWORD=wrong"), "health", "-o", "prometheus")
	assert.Equal(t, exitAuth, code, errOut)
	code, _, errOut = runHealth(t, f.env, "health", "-o", "xml")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, `-o xml is not available for health (want table, json, jsonl, nagios or prometheus)`)
	code, _, _ = runHealth(t, f.env, "task-session", "list", "-o", "nagios")
	assert.Equal(t, exitUsage, code, "nagios is a format of vem health only")
}

// TestHealthNagiosInterrupted: a check stopped by a signal or by --timeout
// is UNKNOWN, with the reason, on stdout alone.
func TestHealthNagiosInterrupted(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	f.SetFaults(vemtest.Faults{DelayRate: 1, Delay: 3 * time.Second})
	ctx, cancel := context.WithCancelCause(context.Background())
	go func() {
		for f.Stats().Delays == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		cancel(&interruptedError{Sig: os.Interrupt})
	}()
	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"health", "-o", "nagios"}, strings.NewReader(""), &stdout, &stderr, envFunc(f.env...))
	assert.Equal(t, pluginUnknown, code)
	assert.Equal(t, "VEM UNKNOWN - interrupted by SIGINT\n", stdout.String())
	assert.Empty(t, stderr.String())

	code, out, errOut := runHealth(t, f.with("VEM_TIMEOUT=200ms"), "health", "-o", "nagios")
	assert.Equal(t, pluginUnknown, code)
	assert.True(t, strings.HasPrefix(out, "VEM UNKNOWN - "), out)
	assert.Contains(t, out, "deadline exceeded")
	assert.NotContains(t, errOut, "UNKNOWN", "stderr may only warn of a failed logout")
	f.SetFaults(vemtest.Faults{})
}
