package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"github.com/vemkit/vem/cmd/vem/internal/fakeserver"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startFakeServerCmd runs "vem fake-server args..." in the test process
// until the test ends, and returns the environment it printed.
func startFakeServerCmd(t *testing.T, args ...string) map[string]string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	var stderr strings.Builder
	go func() {
		done <- run(ctx, append([]string{"fake-server"}, args...), strings.NewReader(""), pw, &stderr, envFunc())
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		assert.Equal(t, 0, <-done, "fake-server exit code")
	})
	vars := map[string]string{}
	sc := bufio.NewScanner(pr)
	for len(vars) < 4 && sc.Scan() {
		kv, ok := strings.CutPrefix(sc.Text(), "export ")
		require.True(t, ok, "not an export line: %q", sc.Text())
		name, quoted, _ := strings.Cut(kv, "=")
		vars[name] = strings.Trim(quoted, "'")
	}
	require.Len(t, vars, 4, "fake-server printed no exports")
	go io.Copy(io.Discard, pr) //nolint:errcheck // drain until the server ends
	return vars
}

func envList(vars map[string]string) []string {
	var env []string
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	return env
}

// TestFakeServerAllInterfaces checks that a server on 0.0.0.0 prints a
// URL that works with its own certificate.
func TestFakeServerAllInterfaces(t *testing.T) {
	t.Parallel()
	vars := startFakeServerCmd(t, "--addr", "0.0.0.0:0", "--dataset", "1")
	assert.True(t, strings.HasPrefix(vars["VEM_URL"], "https://127.0.0.1:"), "URL %q", vars["VEM_URL"])
	r := mustRun(t, 0, envList(vars), "task-session", "get", seedID, "-o", "jsonl")
	checkSeed(t, decodeJSON[taskJSON](t, r.stdout))
	assert.Equal(t, "https://[::1]:9", fakeserver.ReachableURL("https://[::]:9", "[::]:0"))
	assert.Equal(t, "https://127.0.0.1:9", fakeserver.ReachableURL("https://[::]:9", "0.0.0.0:0"))
	assert.Equal(t, "https://em.local:9", fakeserver.ReachableURL("https://em.local:9", "em.local:0"))
}

// TestFakeServerFaults checks the flags that simulate what a script must
// handle, each through the exit code a script sees.
func TestFakeServerFaults(t *testing.T) {
	t.Parallel()
	t.Run("forbidden user", func(t *testing.T) {
		t.Parallel()
		vars := startFakeServerCmd(t, "--addr", "127.0.0.1:0", "--forbidden-user", "reader:pw", "--dataset", "1")
		vars["VEM_USERNAME"], vars["VEM_PASSWORD"] = "reader", "pw"
		r := runVem(t, envList(vars), "", "task-session", "get", seedID)
		assert.Equal(t, exitAuth, r.code, r.String())
		assert.Contains(t, r.stderr, "403")
	})
	t.Run("fail rate", func(t *testing.T) {
		t.Parallel()
		vars := startFakeServerCmd(t, "--addr", "127.0.0.1:0", "--fail-rate", "1", "--fail-status", "500", "--dataset", "1")
		r := runVem(t, envList(vars), "", "task-session", "get", seedID)
		assert.Equal(t, exitError, r.code, r.String())
		assert.Contains(t, r.stderr, "500")
	})
	t.Run("latency", func(t *testing.T) {
		t.Parallel()
		vars := startFakeServerCmd(t, "--addr", "127.0.0.1:0", "--latency", "5s", "--dataset", "1")
		r := runVem(t, envList(vars), "", "task-session", "get", seedID, "--timeout", "300ms")
		assert.Equal(t, exitUnreachable, r.code, r.String())
		assert.Contains(t, r.stderr, "--timeout 300ms reached")
	})
	t.Run("idle timeout", func(t *testing.T) {
		t.Parallel()
		vars := startFakeServerCmd(t, "--addr", "127.0.0.1:0", "--idle-timeout", "200ms", "--dataset", "1")
		token := strings.TrimSpace(mustRun(t, 0, envList(vars), "logon").stdout)
		time.Sleep(400 * time.Millisecond)
		delete(vars, "VEM_PASSWORD")
		delete(vars, "VEM_USERNAME")
		r := runVem(t, append(envList(vars), "VEM_SESSION_ID="+token), "", "task-session", "get", seedID)
		assert.Equal(t, exitAuth, r.code, r.String())
	})
	t.Run("json style", func(t *testing.T) {
		t.Parallel()
		for style, key := range map[string]string{"em12": "TotalSize", "em13": "totalSize"} {
			vars := startFakeServerCmd(t, "--addr", "127.0.0.1:0", "--json-style", style, "--dataset", "1")
			body := getJSON(t, vars, "/api/backupTaskSessions/"+seedID+"?format=Entity")
			assert.Contains(t, body, key, "--json-style %s", style)
		}
	})
	for _, args := range [][]string{
		{"--forbidden-user", "nopassword"},
		{"--fail-rate", "2"},
		{"--fail-status", "200", "--fail-rate", "0.5"},
		{"--fail-status", "503"},
		{"--json-style", "em14"},
		{"--latency", "-1s"},
	} {
		r := runVem(t, nil, "", append([]string{"fake-server", "--addr", "127.0.0.1:0"}, args...)...)
		assert.Equal(t, exitUsage, r.code, "fake-server %q: %s", args, r)
	}
}

// getJSON logs on to the fake server and GETs path as JSON.
func getJSON(t *testing.T, vars map[string]string, path string) string {
	t.Helper()
	pem, err := os.ReadFile(vars["VEM_CA_FILE"])
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(pem))
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	req, _ := http.NewRequest(http.MethodPost, vars["VEM_URL"]+"/api/sessionMngr/?v=latest", nil)
	req.SetBasicAuth(vars["VEM_USERNAME"], vars["VEM_PASSWORD"])
	resp, err := hc.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	req, _ = http.NewRequest(http.MethodGet, vars["VEM_URL"]+path, nil)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-RestSvcSessionId", resp.Header.Get("X-RestSvcSessionId"))
	resp, err = hc.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var v map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&v))
	b, _ := json.Marshal(v)
	return string(b)
}
