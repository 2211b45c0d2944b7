package main

import (
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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
