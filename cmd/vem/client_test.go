package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vemkit/vem"
	"github.com/vemkit/vem/vemtest"
)

// TestVerboseShowsQueries checks that --verbose logs each request's
// method, path and query string, in vem's one stderr format, without a
// secret.
func TestVerboseShowsQueries(t *testing.T) {
	t.Parallel()
	f := newFake(t, vemtest.WithCredentials("operator", "S3cret-Pa55"), vemtest.WithDataset(30))
	r := mustRun(t, 0, f.env, "--verbose", "task-session", "list", "--page-size", "20", "--result", "failed", "-o", "jsonl")
	assert.Contains(t, r.stderr, "vem: POST /api/sessionMngr/?v=latest status=201")
	assert.Contains(t, r.stderr, "vem: GET /api/query?type=BackupTaskSession&format=Entities&filter=Result%3D%3DFailed")
	assert.Contains(t, r.stderr, "pageSize=20")
	assert.Contains(t, r.stderr, "vem: DELETE /api/logonSessions/")
	assert.NotContains(t, r.stderr, "S3cret-Pa55")
	assertOneFormat(t, r.stderr)
}

// assertOneFormat checks that every stderr line is "vem: ...".
func assertOneFormat(t *testing.T, stderr string) {
	t.Helper()
	for _, l := range strings.Split(strings.TrimSuffix(stderr, "\n"), "\n") {
		if l != "" {
			assert.True(t, strings.HasPrefix(l, "vem: "), "stderr line not in vem's format: %q", l)
		}
	}
}

// TestWarningsFormat checks the TLS-off and plain-http warnings, with and
// without --verbose.
func TestWarningsFormat(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	for _, args := range [][]string{{"task-session", "get", seedID}, {"--verbose", "task-session", "get", seedID}} {
		r := mustRun(t, 0, append(f.without("VEM_CA_FILE"), "VEM_INSECURE=1"), args...)
		assert.Contains(t, r.stderr, "vem: warning: TLS certificate verification is off", "%q", args)
		assertOneFormat(t, r.stderr)
	}
	h := newFake(t, vemtest.WithoutTLS())
	r := mustRun(t, 0, h.with("VEM_INSECURE=1"), "task-session", "get", seedID)
	assert.Contains(t, r.stderr, "vem: warning: plain http")
	assertOneFormat(t, r.stderr)
}

// TestTimeoutReached checks that the expiry of --timeout says so.
func TestTimeoutReached(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	env := []string{"VEM_URL=https://" + l.Addr().String(), "VEM_USERNAME=u", "VEM_PASSWORD=p"}
	r := runVem(t, env, "", "task-session", "get", seedID, "--timeout", "300ms")
	assert.Equal(t, exitUnreachable, r.code, r.String())
	assert.Contains(t, r.stderr, "vem: --timeout 300ms reached")
	r = runVem(t, append(env, "VEM_TIMEOUT=200ms"), "", "task-session", "list")
	assert.Equal(t, exitUnreachable, r.code, r.String())
	assert.Contains(t, r.stderr, "vem: --timeout 200ms reached (VEM_TIMEOUT)")
}

// TestPasswordPrompt checks that --password-stdin on a terminal prompts on
// stderr and reads without echo (through the terminal reader), and that
// piped stdin is read as before.
func TestPasswordPrompt(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	stdin := strings.NewReader("not read\n")
	var stdout, stderr bytes.Buffer
	a := newFactory(stdin, &stdout, &stderr, envFunc(f.without("VEM_PASSWORD")...))
	a.IO.IsTerminal = func(s any) bool { return s == stdin }
	prompted := false
	a.IO.ReadPassword = func() ([]byte, error) {
		prompted = strings.HasSuffix(stderr.String(), "vem: password: ")
		return []byte(f.Password), nil
	}
	code := execute(context.Background(), a, []string{"--password-stdin", "task-session", "get", seedID, "-o", "jsonl"})
	require.Equal(t, 0, code, stderr.String())
	assert.True(t, prompted, "no prompt on stderr before reading: %q", stderr.String())
	assert.Equal(t, 9, stdin.Len(), "read the terminal directly, not with echo through stdin")
	checkSeed(t, decodeJSON[taskJSON](t, stdout.String()))
	assert.NotContains(t, stderr.String(), f.Password)
}

// TestCertificateHint checks that the hint tells a host name the
// certificate does not cover from an untrusted CA.
func TestCertificateHint(t *testing.T) {
	t.Parallel()
	cert := &x509.Certificate{DNSNames: []string{"localhost"}}
	msg := errorMessage(fmt.Errorf("get: %w", x509.HostnameError{Certificate: cert, Host: "em.example.com"}))
	assert.Contains(t, msg, `vem: hint: the server's certificate is valid for localhost, not for "em.example.com"`)
	assert.NotContains(t, msg, "--ca-file")
	msg = errorMessage(fmt.Errorf("get: %w", x509.UnknownAuthorityError{}))
	assert.Contains(t, msg, "vem: hint: the server's certificate is not signed by a trusted CA")
	assert.Contains(t, msg, "--ca-file")

	// End to end: the CA is trusted, the name is not in the certificate.
	s := vemtest.NewServer(vemtest.WithAddr("0.0.0.0:0"))
	t.Cleanup(s.Close)
	_, port, err := net.SplitHostPort(strings.TrimPrefix(s.URL, "https://"))
	require.NoError(t, err)
	caFile := t.TempDir() + "/ca.pem"
	require.NoError(t, os.WriteFile(caFile, s.CertificatePEM(), 0o600))
	env := []string{"VEM_USERNAME=" + s.Username, "VEM_PASSWORD=" + s.Password, "VEM_CA_FILE=" + caFile}
	mustRun(t, 0, append(env, "VEM_URL=https://127.0.0.1:"+port), "task-session", "get", seedID)
	r := runVem(t, append(env, "VEM_URL=https://127.0.0.2:"+port), "", "task-session", "get", seedID)
	if r.code == exitUnreachable && strings.Contains(r.stderr, "connect:") {
		t.Skip("127.0.0.2 is not routed to this host:", r.stderr)
	}
	assert.Equal(t, exitUnreachable, r.code, r.String())
	assert.Contains(t, r.stderr, `not for "127.0.0.2"`)
	assert.NotContains(t, r.stderr, "--ca-file")
	r = runVem(t, append(env[:2:2], "VEM_URL=https://127.0.0.1:"+port), "", "task-session", "get", seedID)
	assert.Contains(t, r.stderr, "not signed by a trusted CA")
}

// TestLocalErrorsAreNotNetworkErrors checks the exit codes of local write
// errors: a syscall.Errno implements net.Error, yet a full disk is not an
// unreachable server.
func TestLocalErrorsAreNotNetworkErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		want int
	}{
		{syscall.ENOSPC, exitError},
		{&os.PathError{Op: "write", Path: "/dev/stdout", Err: syscall.ENOSPC}, exitError},
		{&outputError{Err: syscall.ENOSPC}, exitError},
		{&outputError{Err: syscall.EPIPE}, exitClosedPipe},
		{&outputError{Err: &net.OpError{Op: "write", Err: syscall.EPIPE}}, exitClosedPipe},
		{&net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, exitUnreachable},
		{&net.DNSError{Err: "no such host", Name: "em", IsNotFound: true}, exitUnreachable},
		{&vem.RequestError{Err: syscall.ECONNRESET}, exitUnreachable},
		{&timeoutError{D: 1}, exitUnreachable},
	} {
		assert.Equal(t, tc.want, exitCode(tc.err), "exitCode(%#v)", tc.err)
	}

	var stderr bytes.Buffer
	code := run(context.Background(), []string{"version"}, strings.NewReader(""), failingWriter{syscall.ENOSPC}, &stderr, envFunc())
	assert.Equal(t, exitError, code)
	assert.Equal(t, "vem: writing to stdout: no space left on device\n", stderr.String())
	stderr.Reset()
	code = run(context.Background(), []string{"version"}, strings.NewReader(""), failingWriter{syscall.EPIPE}, &stderr, envFunc())
	assert.Equal(t, exitClosedPipe, code)
	assert.Empty(t, stderr.String())
	assert.True(t, errors.Is(&outputError{Err: syscall.EPIPE}, syscall.EPIPE))
}

// failingWriter fails every write with err.
type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

// TestLogonClosedStdout checks that "vem logon" logs the new session out
// when its token cannot be written: nobody could end it otherwise.
func TestLogonClosedStdout(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	for _, errno := range []error{syscall.EPIPE, syscall.ENOSPC} {
		var stderr bytes.Buffer
		code := run(context.Background(), []string{"logon"}, strings.NewReader(""), failingWriter{errno}, &stderr, envFunc(f.env...))
		assert.NotEqual(t, 0, code, stderr.String())
	}
	st := f.Stats()
	assert.Equal(t, 2, st.Logons)
	assert.Equal(t, 2, st.Logouts, "a session whose token was lost stays open on EM")
}
