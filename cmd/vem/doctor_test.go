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
		{"EM 13 JSON", []vemtest.Option{vemtest.WithJSONStyle(vemtest.JSONStyleEM13CamelCase)}, "answers JSON with camelCase keys (EM 13 style)"},
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
			assertLine(t, o, "query", doctorOK, fmt.Sprintf("%d backup task sessions visible", f.BackupTaskSessionCount()))
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
