package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/vemkit/vem/vemtest"
)

// freePort returns a loopback address that was free a moment ago.
func freePort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

// TestExporterCommand runs "vem exporter" in process with basic
// authentication from a web configuration file, scrapes it, and stops it
// as SIGTERM does: one logon, one logout, exit 0.
func TestExporterCommand(t *testing.T) {
	t.Parallel()
	fk := newFake(t, vemtest.WithFleet(vemtest.DefaultFleet(60)))
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	require.NoError(t, err)
	webConfig := filepath.Join(t.TempDir(), "web.yml")
	require.NoError(t, os.WriteFile(webConfig, []byte("basic_auth_users:\n  prom: "+string(hash)+"\n"), 0o600))

	addr := freePort(t)
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	var stdout, stderr bytes.Buffer
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"exporter", "--web.listen-address=" + addr, "--web.config.file=" + webConfig, "--refresh=1s"},
			strings.NewReader(""), &stdout, &stderr, envFunc(fk.env...))
	}()

	get := func(user, pass string) (int, string) {
		req, err := http.NewRequest(http.MethodGet, "http://"+addr+"/metrics", nil)
		require.NoError(t, err)
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(b)
	}
	var body string
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		status, b := get("prom", "s3cret")
		if status == http.StatusOK && strings.Contains(b, "\nvem_up 1\n") && strings.Contains(b, "\nvem_health_status ") {
			body = b
			break
		}
		require.True(t, time.Now().Before(deadline), "no successful refresh in 30s: %d %s", status, b)
	}
	assert.Contains(t, body, `vem_vm_backup_status{backup_server="vbr01.fleet.example",job="Backup Job 05",vm="vm-15"} 2`, "stderr: %s", stderr.String())
	assert.Contains(t, body, "vem_em_logons_total 1")
	status, _ := get("", "")
	assert.Equal(t, http.StatusUnauthorized, status, "basic authentication required")
	status, _ = get("prom", "wrong")
	assert.Equal(t, http.StatusUnauthorized, status)

	cancel(&interruptedError{Sig: syscall.SIGTERM})
	select {
	case c := <-code:
		assert.Equal(t, exitOK, c, "stderr: %s", stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatal("vem exporter did not stop")
	}
	st := fk.Stats()
	assert.Equal(t, 1, st.Logons, "one session for the process")
	assert.Equal(t, 1, st.Logouts, "logged out on SIGTERM")
	assert.NotContains(t, stderr.String(), fk.Password)
	assert.Contains(t, stderr.String(), "vem exporter: serving /metrics on "+addr)
}

func TestExporterUsage(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"exporter", "--refresh=0s"},
		{"exporter", "--web.telemetry-path=metrics"},
		{"exporter", "--window=0"},
		{"exporter", "--web.config.file=/nonexistent/web.yml"},
		{"exporter", "extra"},
	} {
		code, _, errOut := runHealth(t, []string{"VEM_URL=https://127.0.0.1:1", "VEM_USERNAME=u", "VEM_PASSWORD=p"}, args...)
		assert.Equal(t, exitUsage, code, "%v: %s", args, errOut)
	}
}
