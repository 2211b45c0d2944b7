package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDoctorUnreachable(t *testing.T) {
	t.Parallel()
	addr := closedPort(t)
	o := runDoctor(t, []string{"VEM_URL=https://" + addr, "VEM_USERNAME=u", "VEM_PASSWORD=secret-password"})
	require.Equal(t, exitUnreachable, o.code, "%s", o)
	assert.Equal(t, []string{"url", "tcp"}, o.checks())
	_, port, _ := net.SplitHostPort(addr)
	assertLine(t, o, "tcp", doctorFail, "connection to "+addr+" refused: nothing listens on port "+port,
		"fix: check that the Veeam RESTful API service runs")
	assert.Equal(t, "vem: doctor: the tcp check failed\n", o.stderr)
}

// vbrLike answers as the Veeam Backup & Replication REST API does to a
// request it has no route for, or without its OAuth2 token.
func vbrLike(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/api/v1/") {
		w.Header().Set("WWW-Authenticate", "Bearer")
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(http.StatusNotFound)
	fmt.Fprint(w, `{"errorCode":"NotFound","message":"Resource not found."}`)
}

func TestDoctorVBRPort(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:"+vbrRESTPort)
	if err != nil {
		t.Skipf("port %s is busy: %v", vbrRESTPort, err)
	}
	ts := httptest.NewUnstartedServer(http.HandlerFunc(vbrLike))
	quiet(ts)
	ts.Listener.Close()
	ts.Listener = l
	ts.StartTLS()
	t.Cleanup(ts.Close)
	o := runDoctor(t, []string{"VEM_URL=" + ts.URL, "VEM_CA_FILE=" + writePEM(t, ts.Certificate()), "VEM_USERNAME=u", "VEM_PASSWORD=secret-password"})

	require.Equal(t, exitNotEM, o.code, "%s", o)
	assert.Equal(t, []string{"url", "tcp", "tls", "em"}, o.checks(), "no logon at a server that is not EM")
	assertLine(t, o, "url", doctorWarn, "port 9419 is the Veeam Backup & Replication REST API, not Enterprise Manager", "fix: use EM's port: https://127.0.0.1:9398")
	assertLine(t, o, "tls", doctorOK)
	assertLine(t, o, "em", doctorFail, "GET /api/ answered 404 Not Found", "application/problem+json", "Resource not found.",
		"not EM's EnterpriseManager document", "port 9419 is the Veeam Backup & Replication REST API", "fix: point --url at EM's REST API")
}

func TestDoctorNotEM(t *testing.T) {
	t.Parallel()
	const iis404 = `<!DOCTYPE html><html><head><title>404 - File or directory not found.</title></head><body>Server Error</body></html>`
	html := func(status int, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(status)
			fmt.Fprint(w, body)
		}
	}

	t.Run("plain HTTP server answering 404", func(t *testing.T) {
		t.Parallel()
		ts := httptest.NewServer(html(http.StatusNotFound, iis404))
		t.Cleanup(ts.Close)
		o := runDoctor(t, []string{"VEM_URL=" + ts.URL, "VEM_INSECURE=1"})
		require.Equal(t, exitNotEM, o.code, "%s", o)
		assert.Equal(t, []string{"url", "tcp", "tls", "em"}, o.checks())
		assertLine(t, o, "url", doctorWarn, "plain http (allowed by --insecure)", "fix: use https://")
		assertLine(t, o, "tls", doctorWarn, "not used: plain http")
		assertLine(t, o, "em", doctorFail, "GET /api/ answered 404 Not Found (text/html; charset=utf-8, HTML page \"404 - File or directory not found.\")",
			"fix: point --url at EM's REST API, https://EM-HOST:9398")
	})
	t.Run("plain HTTP without --insecure", func(t *testing.T) {
		t.Parallel()
		ts := httptest.NewServer(html(http.StatusOK, iis404))
		t.Cleanup(ts.Close)
		o := runDoctor(t, []string{"VEM_URL=" + ts.URL})
		require.Equal(t, exitUsage, o.code, "%s", o)
		assert.Equal(t, []string{"url"}, o.checks())
		assertLine(t, o, "url", doctorFail, "plain http sends the password", "fix: use https://, or add --insecure")
	})
	t.Run("HTTPS web page", func(t *testing.T) {
		t.Parallel()
		page := "<html><head><title>Veeam Backup Enterprise Manager\x1b]0;owned\x07</title></head><body></body></html>"
		ts, ca := tlsServer(t, html(http.StatusOK, page), nil)
		o := runDoctor(t, []string{"VEM_URL=" + ts.URL, "VEM_CA_FILE=" + ca})
		require.Equal(t, exitNotEM, o.code, "%s", o)
		assertLine(t, o, "em", doctorFail, "GET /api/ answered 200 with", "not EM's EnterpriseManager document", `HTML page "Veeam Backup Enterprise Manager`)
		assert.NotContains(t, o.stdout, "\x1b", "control characters from the server are not printed")
		assert.NotContains(t, o.stdout, "\x07")
	})
	t.Run("Bearer challenge", func(t *testing.T) {
		t.Parallel()
		ts, ca := tlsServer(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="api"`)
			w.WriteHeader(http.StatusUnauthorized)
		}), nil)
		o := runDoctor(t, []string{"VEM_URL=" + ts.URL, "VEM_CA_FILE=" + ca})
		require.Equal(t, exitNotEM, o.code, "%s", o)
		assertLine(t, o, "em", doctorFail, "401 Unauthorized", "asks for a Bearer token, as the Veeam Backup & Replication REST API does")
	})
	t.Run("redirect", func(t *testing.T) {
		t.Parallel()
		ts, ca := tlsServer(t, http.RedirectHandler("/web/login", http.StatusFound), nil)
		o := runDoctor(t, []string{"VEM_URL=" + ts.URL, "VEM_CA_FILE=" + ca})
		require.Equal(t, exitNotEM, o.code, "%s", o)
		assertLine(t, o, "em", doctorFail, "302 Found", `it redirects to "/web/login"`)
	})
	t.Run("speaks HTTP on an https URL", func(t *testing.T) {
		t.Parallel()
		ts := httptest.NewServer(html(http.StatusOK, iis404))
		t.Cleanup(ts.Close)
		o := runDoctor(t, []string{"VEM_URL=" + strings.Replace(ts.URL, "http://", "https://", 1)})
		require.Equal(t, exitUnreachable, o.code, "%s", o)
		assertLine(t, o, "tls", doctorFail, "speaks plain HTTP, not TLS")
	})
}

func TestDoctorBorrowedSession(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	var token bytes.Buffer
	require.Equal(t, exitOK, run(context.Background(), []string{"logon"}, strings.NewReader(""), &token, &bytes.Buffer{}, envFunc(f.env...)))
	env := append(f.without("VEM_USERNAME", "VEM_PASSWORD"), "VEM_SESSION_ID="+strings.TrimSpace(token.String()))
	o := runDoctor(t, env)

	require.Equal(t, exitOK, o.code, "%s", o)
	assert.Equal(t, doctorChecks, o.checks())
	assertLine(t, o, "logon", doctorWarn, "not tested: no --username", "session of VEM_SESSION_ID or --session-id-stdin")
	assertLine(t, o, "query", doctorOK, "backup task sessions visible")
	assertLine(t, o, "logout", doctorOK, "stays open")
	assert.Zero(t, f.Stats().Logouts, "the borrowed session is not ended")
}

func TestDoctorMissingCredentials(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	o := runDoctor(t, f.without("VEM_USERNAME", "VEM_PASSWORD"))
	require.Equal(t, exitUsage, o.code, "%s", o)
	assertLine(t, o, "logon", doctorFail, "missing --username", "fix: set --username (VEM_USERNAME)")
	assertLine(t, o, "clock", doctorOK)
	assert.Equal(t, "vem: doctor: the logon check failed\n", o.stderr, "no usage text for a failed check")
}

// TestDoctorCommandLine: doctor takes no arguments.
func TestDoctorCommandLine(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"doctor", "extra"}, strings.NewReader(""), &stdout, &stderr, envFunc())
	assert.Equal(t, exitUsage, code)
	assert.Empty(t, stdout.String())
	assert.Contains(t, stderr.String(), `unexpected argument "extra"`)
}

// xmlOnlyEM answers GET /api/ with an EnterpriseManager document offering
// versions, in XML whatever the Accept header asks, and nothing else.
func xmlOnlyEM(versions ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/" {
			http.NotFound(w, r)
			return
		}
		var b strings.Builder
		b.WriteString(`<?xml version="1.0" encoding="utf-8"?><EnterpriseManager xmlns="http://www.veeam.com/ent/v1.0"><SupportedVersions>`)
		for _, v := range versions {
			fmt.Fprintf(&b, `<SupportedVersion Name="%s"/>`, v)
		}
		b.WriteString(`</SupportedVersions></EnterpriseManager>`)
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		fmt.Fprint(w, b.String())
	}
}

func TestDoctorEMVersionsAndJSON(t *testing.T) {
	t.Parallel()
	t.Run("no JSON", func(t *testing.T) {
		t.Parallel()
		ts, ca := tlsServer(t, xmlOnlyEM("v1_5", "v1_6", "v1_7"), nil)
		env := []string{"VEM_URL=" + ts.URL, "VEM_CA_FILE=" + ca, "VEM_USERNAME=u", "VEM_PASSWORD=secret-password"}
		o := runDoctor(t, env)
		assertLine(t, o, "em", doctorOK, "versions v1_5, v1_6, v1_7")
		assertLine(t, o, "json", doctorWarn, `answered "application/xml; charset=utf-8", not JSON`, "fix: vem's default, --format xml, does not need JSON")
		assertLine(t, o, "logon", doctorFail, "logon refused: POST /api/sessionMngr/: 404 Not Found", "fix: check that --url is EM's REST API")
		assert.Equal(t, exitNotEM, o.code, "the logon is the first failure: %s", o)

		o = runDoctor(t, env, "--format", "json")
		assertLine(t, o, "json", doctorFail, "not JSON", "fix: use --format xml")
		assert.Equal(t, "vem: doctor: 2 checks failed, the first: json\n", o.stderr)
	})
	t.Run("EM older than 12", func(t *testing.T) {
		t.Parallel()
		ts, ca := tlsServer(t, xmlOnlyEM("v1_4", "v1_5"), nil)
		o := runDoctor(t, []string{"VEM_URL=" + ts.URL, "VEM_CA_FILE=" + ca})
		assertLine(t, o, "em", doctorWarn, "versions v1_4, v1_5; no v1_7: EM is older than version 12")
	})
}

func TestDoctorTimeout(t *testing.T) {
	t.Parallel()
	// A port that accepts connections and never answers the handshake.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	go func() {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	o := runDoctor(t, []string{"VEM_URL=https://" + l.Addr().String()}, "--timeout", "300ms")
	require.Equal(t, exitUnreachable, o.code, "%s", o)
	assertLine(t, o, "tcp", doctorOK)
	assertLine(t, o, "tls", doctorFail, "not done before --timeout (300ms) was reached", "fix: raise --timeout")
}

func TestDoctorQueryNotFound(t *testing.T) {
	t.Parallel()
	// A proxy that knows no query service: 404 is a wrong server, not a
	// missing object, so the exit code is 1, never 3.
	noQuery := func(r *http.Response) error {
		if strings.EqualFold(r.Request.URL.Path, "/api/query") {
			r.StatusCode, r.Status = http.StatusNotFound, "404 Not Found"
		}
		return nil
	}
	srv, _, env := emBehindProxy(t, nil, noQuery)
	o := runDoctor(t, env)
	require.Equal(t, exitError, o.code, "%s", o)
	assertLine(t, o, "query", doctorFail, "query refused: GET /api/query: 404 Not Found")
	assertLine(t, o, "logout", doctorOK, "session closed")
	assert.Equal(t, 1, int(srv.Stats().Logouts))
}
