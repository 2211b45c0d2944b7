package doctor

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vemkit/vem/cmd/vem/internal/cmdutil"
	"github.com/vemkit/vem/cmd/vem/internal/iostreams"
)

// testFactory is a factory whose global flags hold url and insecure.
func testFactory(u string, insecure bool) *cmdutil.Factory {
	f := cmdutil.New(iostreams.New(strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{}), func(string) string { return "" })
	f.Global.URL, f.Global.Insecure = u, insecure
	f.Now = time.Now
	return f
}

func TestDoctorCheckURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url      string
		insecure bool
		status   string
		parts    []string
	}{
		{"https://em.example.com:9398", false, doctorOK, []string{"https://em.example.com:9398: https, port 9398, API at /api/"}},
		{"https://em.example.com:9398/api/", false, doctorOK, []string{"port 9398"}},
		{"https://em.example.com:9398/API", false, doctorFail, []string{`unexpected path "/API"`}},
		{"https://em.example.com:9419", false, doctorWarn, []string{"port 9419 is the Veeam Backup & Replication REST API, not Enterprise Manager", "fix: use EM's port: https://em.example.com:9398"}},
		{"https://[2001:db8::1]:9419", false, doctorWarn, []string{"fix: use EM's port: https://[2001:db8::1]:9398"}},
		{"https://em.example.com:9443", false, doctorWarn, []string{"EM's web portal", "https://em.example.com:9398"}},
		{"https://em.example.com", false, doctorWarn, []string{"no port: https connects to 443", "fix: add :9398"}},
		{"https://em.example.com:8443", false, doctorOK, []string{"port 8443 (EM's default is 9398)"}},
		{"http://em.example.com:9398", true, doctorWarn, []string{"plain http (allowed by --insecure)"}},
		{"http://em.example.com:9398", false, doctorFail, []string{"plain http sends the password"}},
		{"", false, doctorFail, []string{"no address", "fix: set --url or VEM_URL"}},
		{"ftp://em.example.com", false, doctorFail, []string{`scheme "ftp" is not https`}},
		{"em.example.com:9398", false, doctorFail, []string{"is not https"}},
		{"//em.example.com:9398", false, doctorFail, []string{"not an absolute URL"}},
		{"https://:9398", false, doctorFail, []string{"no host"}},
		{"https://em.example.com:9398/web", false, doctorFail, []string{`unexpected path "/web"`}},
		{"https://em.example.com:9398/?v=latest", false, doctorFail, []string{"query or fragment"}},
		{"https://em.example.com:99999", false, doctorFail, []string{`invalid port "99999"`}},
		{"https://admin:s3cret-pw@em.example.com:9398", false, doctorFail, []string{"carries a user name or password", "--username"}},
		{"https://admin:s3cret-pw@em.example.com:bad", false, doctorFail, []string{"not a valid URL"}},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			d := &doctor{f: testFactory(tt.url, tt.insecure), out: &out}
			ok := d.checkURL()
			assert.Equal(t, tt.status != doctorFail, ok)
			line := out.String()
			assert.True(t, strings.HasPrefix(line, tt.status+" "), "status %s: %q", tt.status, line)
			assert.Equal(t, 1, strings.Count(line, "\n"), "one line")
			for _, p := range tt.parts {
				assert.Contains(t, line, p)
			}
			assert.NotContains(t, line, "s3cret-pw")
			if tt.status == doctorFail {
				assert.Equal(t, cmdutil.ExitUsage, d.firstCode)
			}
		})
	}
}

func TestDoctorFailureExitCode(t *testing.T) {
	t.Parallel()
	for _, code := range []int{cmdutil.ExitOther, cmdutil.ExitUsage, cmdutil.ExitAuth, cmdutil.ExitUnreachable, cmdutil.ExitNotEM} {
		d := &doctor{failures: 1, firstCheck: "x", firstCode: code}
		err := d.result()
		assert.Equal(t, code, cmdutil.ExitCode(err), "exit code %d", code)
		assert.Equal(t, "vem: doctor: the x check failed", cmdutil.ErrorMessage(err))
	}
	d := &doctor{failures: 3, firstCheck: "tls", firstCode: cmdutil.ExitUnreachable}
	assert.Equal(t, "doctor: 3 checks failed, the first: tls", d.result().Error())
}

func TestDoctorHelpers(t *testing.T) {
	t.Parallel()
	// Doctor's text goes through the one cleaner of the CLI.
	assert.Equal(t, `a\x1b[31mb\x07\x0ac`, iostreams.Clean("a\x1b[31mb\x07\nc"))
	assert.Equal(t, `\xff`, iostreams.Clean("\xff"))
	assert.Equal(t, "x\u00e9", iostreams.Clean("x\u00e9"), "printable text stays")
	assert.Equal(t, "Title", doctorHTMLTitle([]byte("<HTML><TITLE lang=en>Title</TITLE>")))
	assert.Empty(t, doctorHTMLTitle([]byte("<title>unterminated")))
	for u, want := range map[string]string{
		`CORP\svc`:         `DOMAIN\user form`,
		"svc@corp.example": "user@domain form",
		"CORP/svc":         `a "/" where DOMAIN\user has a backslash`,
		"svc":              "no domain",
	} {
		assert.Contains(t, doctorUserForm(u), want, u)
	}
	assert.Equal(t, "1 day", doctorRoundDays(36*time.Hour))
	assert.Equal(t, "less than a day", doctorRoundDays(time.Hour))
	assert.Equal(t, "3 days ago", doctorExpiryNote(-3*24*time.Hour-time.Minute))
}

func TestDoctorClockWithoutDate(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	d := &doctor{f: testFactory("", false), out: &out}
	d.noteDate("not a date")
	d.checkClock()
	assert.True(t, strings.HasPrefix(out.String(), "warn  clock   the server sent no valid Date header"), out.String())
	assert.Zero(t, d.failures, "a warning")
}

func TestDoctorProxyWarning(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	var out bytes.Buffer
	d := &doctor{f: testFactory("https://"+l.Addr().String(), false), out: &out}
	d.proxyFor = func(r *http.Request) (*url.URL, error) {
		assert.Equal(t, "https", r.URL.Scheme)
		return url.Parse("http://proxyuser:proxy-secret@proxy.example.com:3128")
	}
	require.True(t, d.checkURL())
	out.Reset()
	require.True(t, d.checkTCP(context.Background()))
	line := out.String()
	assert.True(t, strings.HasPrefix(line, "warn  tcp "), line)
	assert.Contains(t, line, "the environment sets a proxy, proxy.example.com:3128, for this address")
	assert.Contains(t, line, "fix: make sure the proxy reaches EM, or exclude the host in NO_PROXY")
	assert.NotContains(t, line, "proxy-secret")
	assert.NotContains(t, line, "proxyuser")
}
