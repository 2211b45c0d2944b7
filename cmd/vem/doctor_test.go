package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vemkit/vem/vemtest"
)

// doctorChecks is the order of doctor's lines when every check runs.
var doctorChecks = []string{"url", "tcp", "tls", "em", "json", "logon", "query", "clock", "logout"}

// doctorLine is one parsed line of vem doctor.
type doctorLine struct {
	status, check, text string
}

// doctorOutput is what one in-process run of vem doctor produced.
type doctorOutput struct {
	code           int
	stdout, stderr string
	lines          []doctorLine
}

// checks lists the checks in the order they were printed.
func (o doctorOutput) checks() []string {
	var out []string
	for _, l := range o.lines {
		out = append(out, l.check)
	}
	return out
}

// line returns the line of a check, failing the test when it is missing.
func (o doctorOutput) line(t *testing.T, check string) doctorLine {
	t.Helper()
	for _, l := range o.lines {
		if l.check == check {
			return l
		}
	}
	require.Failf(t, "no line for the check", "check %q:\n%s", check, o)
	return doctorLine{}
}

func (o doctorOutput) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", o.code, o.stdout, o.stderr)
}

var doctorLineRE = regexp.MustCompile(`^(ok|warn|FAIL) +([a-z]+) +(.*)$`)

// runDoctor runs "vem doctor" in-process with the environment env and
// parses its lines. Every stdout line must be a check line, and no secret
// of the environment may appear anywhere.
func runDoctor(t *testing.T, env []string, args ...string) doctorOutput {
	t.Helper()
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	code := run(ctx, append([]string{"doctor"}, args...), strings.NewReader(""), &stdout, &stderr, envFunc(env...))
	o := doctorOutput{code: code, stdout: stdout.String(), stderr: stderr.String()}
	for _, s := range strings.Split(strings.TrimSuffix(o.stdout, "\n"), "\n") {
		if s == "" {
			continue
		}
		m := doctorLineRE.FindStringSubmatch(s)
		require.NotNil(t, m, "not a doctor line: %q\n%s", s, o)
		o.lines = append(o.lines, doctorLine{status: m[1], check: m[2], text: m[3]})
	}
	for _, kv := range env {
		if k, v, _ := strings.Cut(kv, "="); (k == envPassword || k == envSessionID) && v != "" {
			assert.NotContains(t, o.stdout+o.stderr, v, "%s printed", k)
		}
	}
	return o
}

// assertLine checks the status of a check's line and that its text holds
// every part.
func assertLine(t *testing.T, o doctorOutput, check, status string, parts ...string) {
	t.Helper()
	l := o.line(t, check)
	assert.Equal(t, status, l.status, "status of %s: %s", check, l.text)
	for _, p := range parts {
		assert.Contains(t, l.text, p, "line %s", check)
	}
}

// quiet keeps the handshake errors of doctor's tcp check (a connection
// closed without a handshake) off the test output.
func quiet(ts *httptest.Server) {
	ts.Config.ErrorLog = log.New(io.Discard, "", 0)
}

// writePEM writes certificates as a PEM file and returns its name.
func writePEM(t *testing.T, certs ...*x509.Certificate) string {
	t.Helper()
	var b bytes.Buffer
	for _, c := range certs {
		require.NoError(t, pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
	}
	name := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(name, b.Bytes(), 0o600))
	return name
}

// selfSigned makes a self-signed server certificate for the names, valid
// from notBefore to notAfter.
func selfSigned(t *testing.T, cn string, dnsNames []string, ips []net.IP, notBefore, notAfter time.Time) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              dnsNames,
		IPAddresses:           ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	leaf, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

// tlsServer starts an HTTPS server with handler and cert (httptest's own
// certificate when cert is nil) and returns it with a CA file that
// trusts it.
func tlsServer(t *testing.T, handler http.Handler, cert *tls.Certificate) (*httptest.Server, string) {
	t.Helper()
	ts := httptest.NewUnstartedServer(handler)
	quiet(ts)
	if cert != nil {
		ts.TLS = &tls.Config{Certificates: []tls.Certificate{*cert}}
	}
	ts.StartTLS()
	t.Cleanup(ts.Close)
	return ts, writePEM(t, ts.Certificate())
}

// emBehindProxy starts a plain-HTTP vemtest server and an HTTPS reverse
// proxy in front of it, which passes every answer through modify. It
// returns the server and the environment that points vem at the proxy.
func emBehindProxy(t *testing.T, cert *tls.Certificate, modify func(*http.Response) error, opts ...vemtest.Option) (*vemtest.Server, *httptest.Server, []string) {
	t.Helper()
	srv := vemtest.NewServer(append([]vemtest.Option{vemtest.WithoutTLS()}, opts...)...)
	t.Cleanup(srv.Close)
	backend, err := url.Parse(srv.URL)
	require.NoError(t, err)
	proxy := httputil.NewSingleHostReverseProxy(backend)
	proxy.ModifyResponse = modify
	ts, caFile := tlsServer(t, proxy, cert)
	env := []string{"VEM_URL=" + ts.URL, "VEM_USERNAME=" + srv.Username, "VEM_PASSWORD=" + srv.Password, "VEM_CA_FILE=" + caFile}
	return srv, ts, env
}

// portOf returns the port of a server URL.
func portOf(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	return u.Port()
}

func TestDoctorAllPass(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		opts   []vemtest.Option
		casing string
	}{
		{"EM 12 JSON", nil, "answers JSON with PascalCase keys (EM 12 style)"},
		{"EM 13 JSON", []vemtest.Option{vemtest.WithJSONStyle(vemtest.EM13CamelCase)}, "answers JSON with camelCase keys (EM 13 style)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, tt.opts...)
			o := runDoctor(t, f.env)

			require.Equal(t, exitOK, o.code, "%s", o)
			assert.Equal(t, doctorChecks, o.checks(), "%s", o)
			for _, l := range o.lines {
				assert.Equal(t, doctorOK, l.status, "%s: %s", l.check, l.text)
				assert.NotContains(t, l.text, "; fix: ")
			}
			assert.Empty(t, o.stderr)
			port := portOf(t, f.URL)
			block, _ := pem.Decode(f.CertificatePEM())
			require.NotNil(t, block)
			cert, err := x509.ParseCertificate(block.Bytes)
			require.NoError(t, err)
			assertLine(t, o, "url", doctorOK, f.URL+": https, port "+port+" (EM's default is 9398), API at /api/")
			assertLine(t, o, "tcp", doctorOK, "127.0.0.1:"+port+" accepts connections", "timeout 15s")
			assertLine(t, o, "tls", doctorOK, `certificate "CN=vemtest Enterprise Manager,O=vemtest"`,
				"SANs localhost, 127.0.0.1, ::1", "expires "+cert.NotAfter.UTC().Format("2006-01-02"), "; trusted by --ca-file (not by the system pool)")
			assertLine(t, o, "em", doctorOK, "Enterprise Manager REST API, versions v1_5, v1_6, v1_7")
			assertLine(t, o, "json", doctorOK, tt.casing)
			assertLine(t, o, "logon", doctorOK, `logged on as "vem"`)
			assertLine(t, o, "query", doctorOK, fmt.Sprintf("%d backup task sessions visible", f.TaskSessionCount()))
			assertLine(t, o, "clock", doctorOK, "within 5m0s of this machine's")
			assertLine(t, o, "logout", doctorOK, "session closed")

			st := f.Stats()
			assert.Equal(t, int64(1), int64(st.Logons), "logons")
			assert.Equal(t, int64(1), int64(st.Logouts), "every session opened is closed")
		})
	}
}

func TestDoctorWrongPassword(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	o := runDoctor(t, f.with("VEM_PASSWORD=not-the-password", `VEM_USERNAME=CORP\vem`))

	require.Equal(t, exitAuth, o.code, "%s", o)
	assert.Equal(t, []string{"url", "tcp", "tls", "em", "json", "logon", "clock"}, o.checks(), "no query nor logout without a session")
	assertLine(t, o, "logon", doctorFail, `EM refused the user name or password of "CORP\vem" (401 Unauthorized`,
		`DOMAIN\user form`, `fix: check the password`, `DOMAIN\user on a Windows EM, user@domain on a Linux EM`)
	assertLine(t, o, "clock", doctorOK)
	assert.Equal(t, "vem: doctor: the logon check failed\n", o.stderr)
	assert.NotContains(t, o.stdout, "not-the-password")
	assert.Zero(t, f.Stats().Logons)
}

func TestDoctorLogonForbidden(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	f.FailNextLogon(1, http.StatusForbidden)
	o := runDoctor(t, f.env)

	require.Equal(t, exitAuth, o.code, "%s", o)
	assertLine(t, o, "logon", doctorFail, "403 Forbidden", "no EM role", "Portal Administrator, Portal User or Restore Operator")
	assert.NotContains(t, o.line(t, "logon").text, "401")
	assert.NotContains(t, o.checks(), "query")
}

func TestDoctorForbiddenUser(t *testing.T) {
	t.Parallel()
	f := newFake(t, vemtest.WithForbiddenUser("viewer@corp.example", "viewer-password"))
	o := runDoctor(t, f.with("VEM_USERNAME=viewer@corp.example", "VEM_PASSWORD=viewer-password"))

	require.Equal(t, exitAuth, o.code, "%s", o)
	assert.Equal(t, doctorChecks, o.checks(), "%s", o)
	assertLine(t, o, "logon", doctorOK, `logged on as "viewer@corp.example"`, "user@domain form")
	assertLine(t, o, "query", doctorFail, "GET /api/query?type=BackupTaskSession&pageSize=1 answered 403 Forbidden",
		"lacks an EM role", "fix: give the account an EM role", "Portal Administrator", "Restore Operator")
	assertLine(t, o, "clock", doctorOK)
	assertLine(t, o, "logout", doctorOK, "session closed")
	assert.Equal(t, "vem: doctor: the query check failed\n", o.stderr)
	st := f.Stats()
	assert.Equal(t, 1, int(st.Logons))
	assert.Equal(t, 1, int(st.Logouts), "the session is closed after a failed check too")
}

func TestDoctorUntrustedCertificate(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	_, otherCA := tlsServer(t, http.NotFoundHandler(), nil)
	tests := []struct {
		name  string
		env   []string
		parts []string
	}{
		{"system pool", f.without("VEM_CA_FILE"), []string{
			"not trusted by the system pool (self-signed, EM's default)",
			"fix: give its CA as PEM with --ca-file (VEM_CA_FILE)",
		}},
		{"another CA file", f.with("VEM_CA_FILE=" + otherCA), []string{
			"not trusted by --ca-file nor by the system pool (self-signed, EM's default)",
			"fix: put the certificate of its CA",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := runDoctor(t, tt.env)
			require.Equal(t, exitUnreachable, o.code, "%s", o)
			assert.Equal(t, []string{"url", "tcp", "tls"}, o.checks(), "nothing is sent to an untrusted server")
			assertLine(t, o, "tls", doctorFail, append([]string{`certificate "CN=vemtest Enterprise Manager,O=vemtest"`, "SANs localhost, 127.0.0.1, ::1"}, tt.parts...)...)
			assert.NotContains(t, o.line(t, "tls").text, "mismatch")
		})
	}
	assert.Zero(t, f.Stats().Logons)
}

func TestDoctorInsecure(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	o := runDoctor(t, f.without("VEM_CA_FILE"), "--insecure")
	require.Equal(t, exitOK, o.code, "%s", o)
	assert.Equal(t, doctorChecks, o.checks())
	assertLine(t, o, "tls", doctorWarn, "verification skipped by --insecure, without it: not trusted by the system pool", "fix: drop --insecure")
	assertLine(t, o, "logout", doctorOK, "session closed")
}

func TestDoctorHostnameMismatch(t *testing.T) {
	t.Parallel()
	cert := selfSigned(t, "em.example.com", []string{"em.example.com"}, nil, time.Now().Add(-time.Hour), time.Now().Add(365*24*time.Hour))
	srv, ts, env := emBehindProxy(t, &cert, nil)
	o := runDoctor(t, env)

	require.Equal(t, exitUnreachable, o.code, "%s", o)
	assert.Equal(t, []string{"url", "tcp", "tls"}, o.checks())
	assertLine(t, o, "tls", doctorFail, `certificate "CN=em.example.com"`, "SANs em.example.com",
		`issued for em.example.com, not for "127.0.0.1" (host name mismatch)`,
		"fix: connect by a name the certificate holds, e.g. --url https://em.example.com:"+portOf(t, ts.URL))
	assert.NotContains(t, o.line(t, "tls").text, "not trusted", "the CA is trusted; only the name is wrong")
	assert.Zero(t, srv.Stats().Logons)
}

func TestDoctorCertificateValidity(t *testing.T) {
	t.Parallel()
	ip := []net.IP{net.IPv4(127, 0, 0, 1)}
	now := time.Now()
	t.Run("expires soon", func(t *testing.T) {
		t.Parallel()
		cert := selfSigned(t, "em", nil, ip, now.Add(-300*24*time.Hour), now.Add(10*24*time.Hour+time.Hour))
		srv, _, env := emBehindProxy(t, &cert, nil)
		o := runDoctor(t, env)
		require.Equal(t, exitOK, o.code, "a warning is not a failure: %s", o)
		assertLine(t, o, "tls", doctorWarn, "trusted by --ca-file (not by the system pool), but expires in 10 days", "fix: renew EM's certificate")
		assertLine(t, o, "logout", doctorOK)
		assert.Equal(t, srv.Stats().Logons, srv.Stats().Logouts)
	})
	t.Run("expired", func(t *testing.T) {
		t.Parallel()
		cert := selfSigned(t, "em", nil, ip, now.Add(-300*24*time.Hour), now.Add(-2*24*time.Hour))
		_, _, env := emBehindProxy(t, &cert, nil)
		o := runDoctor(t, env)
		require.Equal(t, exitUnreachable, o.code, "%s", o)
		assertLine(t, o, "tls", doctorFail, "(2 days ago)", "expired on "+cert.Leaf.NotAfter.UTC().Format(time.RFC3339), "renew EM's certificate")
		assert.NotContains(t, o.line(t, "tls").text, "not trusted", "trusted apart from its dates")
	})
}

func TestDoctorClockSkew(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		offset time.Duration
		status string
		re     string // Date has whole seconds: a second may tick meanwhile
	}{
		{"ahead", 10 * time.Minute, doctorWarn, `is (9m59s|10m0s|10m1s) ahead of this machine's`},
		{"behind", -7 * time.Minute, doctorWarn, `is (6m59s|7m0s|7m1s) behind this machine's`},
		{"within", 3 * time.Minute, doctorOK, `within 5m0s of this machine's \(off by (2m59s|3m0s|3m1s)\)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			skew := func(r *http.Response) error {
				r.Header.Set("Date", time.Now().Add(tt.offset).UTC().Format(http.TimeFormat))
				return nil
			}
			srv, _, env := emBehindProxy(t, nil, skew)
			o := runDoctor(t, env)
			require.Equal(t, exitOK, o.code, "%s", o)
			assert.Equal(t, doctorChecks, o.checks())
			assertLine(t, o, "clock", tt.status)
			assert.Regexp(t, tt.re, o.line(t, "clock").text)
			if tt.status == doctorWarn {
				assertLine(t, o, "clock", tt.status, "fix: synchronise both clocks (NTP)")
			}
			assert.Equal(t, 1, int(srv.Stats().Logouts))
		})
	}
}

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
