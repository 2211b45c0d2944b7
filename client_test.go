package vem

import (
	"bytes"
	"context"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewBaseURLForms(t *testing.T) {
	t.Parallel()
	forms := []string{
		"https://em:9398",
		"https://em:9398/",
		"https://em:9398/api",
		"https://em:9398/api/",
		"  https://em:9398/api/  ",
		"HTTPS://EM:9398/api",
	}
	for _, form := range forms {
		t.Run(form, func(t *testing.T) {
			t.Parallel()
			em := newFakeEM(t)
			rec := em.serveTask(seedGUID, ctXML, readFixture(t, "backuptasksession.xml"))
			c, err := New(form, WithHTTPClient(&http.Client{Transport: em.mt}), WithCredentials(testUser, testPass))
			require.NoError(t, err)
			t.Cleanup(func() { _ = c.Close() })
			assert.Equal(t, "https://em:9398", c.BaseURL())

			s, err := c.GetBackupTaskSession(context.Background(), seedGUID)
			require.NoError(t, err)
			assert.Equal(t, UID(seedUID), s.UID)
			require.Equal(t, 1, rec.count())
			assert.Equal(t, "https://em:9398/api/backupTaskSessions/"+seedGUID+"?format=Entity", rec.last().URL.String())
			assert.Equal(t, 1, em.calls(http.MethodPost, "https://em:9398/api/sessionMngr/?v=latest"))
		})
	}
}

func TestNewRejectsBadBaseURL(t *testing.T) {
	t.Parallel()
	bad := map[string]string{
		"empty":             "",
		"blank":             "   ",
		"host and port":     "em:9398",
		"bare host":         "em",
		"path only":         "/api",
		"scheme-relative":   "//em:9398/api",
		"no host":           "https://",
		"no host with path": "https:///api",
		"port without host": "https://:9398",
		"ftp":               "ftp://em:9398",
		"file":              "file:///etc/passwd",
		"unknown path":      "https://em:9398/other",
		"api subpath":       "https://em:9398/api/v1",
		"query":             "https://em:9398/api?v=latest",
		"fragment":          "https://em:9398/#x",
		"user info":         "https://admin:hunter2@em:9398",
		"http without opt":  "http://em:9398",
		"unparsable":        "https://em:9398/%zz",
	}
	for name, raw := range bad {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			mt := httpmock.NewMockTransport()
			c, err := New(raw, WithHTTPClient(&http.Client{Transport: mt}), WithCredentials(testUser, testPass))
			require.Error(t, err)
			assert.Nil(t, c)
			assert.NotContains(t, err.Error(), "hunter2", "a password in the URL must not be echoed")
			assert.Zero(t, mt.GetTotalCallCount())
		})
	}
}

func TestNewHTTPNeedsAllowInsecureHTTP(t *testing.T) {
	t.Parallel()
	em := newFakeEMAt(t, "http://em:9398")
	rec := em.serveTask(seedGUID, ctXML, readFixture(t, "backuptasksession.xml"))

	_, err := New("http://em:9398", WithHTTPClient(&http.Client{Transport: em.mt}), WithCredentials(testUser, testPass))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "WithAllowInsecureHTTP")

	c := em.client(t, WithAllowInsecureHTTP())
	assert.Equal(t, "http://em:9398", c.BaseURL())
	_, err = c.GetBackupTaskSession(context.Background(), seedGUID)
	require.NoError(t, err)
	assert.Equal(t, "http://em:9398/api/backupTaskSessions/"+seedGUID+"?format=Entity", rec.last().URL.String())
}

func TestOptionsRejectBadInput(t *testing.T) {
	t.Parallel()
	hc := &http.Client{Transport: httpmock.NewMockTransport()}
	pool := x509.NewCertPool()
	tests := []struct {
		name string
		opts []Option
	}{
		{"nil option", []Option{nil}},
		{"nil http client", []Option{WithHTTPClient(nil)}},
		{"empty username", []Option{WithCredentials("", testPass)}},
		{"blank username", []Option{WithCredentials("  ", testPass)}},
		{"empty password", []Option{WithCredentials(testUser, "")}},
		{"colon in username", []Option{WithCredentials("a:b", testPass)}},
		{"newline in username", []Option{WithCredentials("a\nb", testPass)}},
		{"empty session id", []Option{WithSessionID("")}},
		{"blank session id", []Option{WithSessionID(" ")}},
		{"newline in session id", []Option{WithSessionID("abc\r\nX-Evil: 1")}},
		{"nil root CAs", []Option{WithRootCAs(nil)}},
		{"unknown format", []Option{WithFormat("yaml")}},
		{"empty format", []Option{WithFormat("")}},
		{"zero timeout", []Option{WithTimeout(0)}},
		{"negative timeout", []Option{WithTimeout(-time.Second)}},
		{"empty user agent", []Option{WithUserAgent("")}},
		{"user agent with newline", []Option{WithUserAgent("vem\r\nX-Evil: 1")}},
		{"nil logger", []Option{WithLogger(nil)}},
		{"retry zero attempts", []Option{WithRetry(RetryPolicy{})}},
		{"retry negative backoff", []Option{WithRetry(RetryPolicy{MaxAttempts: 2, MinBackoff: -time.Second})}},
		{"retry negative retry-after cap", []Option{WithRetry(RetryPolicy{MaxAttempts: 2, MaxRetryAfter: -1})}},
		{"retry max below min", []Option{WithRetry(RetryPolicy{MaxAttempts: 2, MinBackoff: time.Second, MaxBackoff: time.Millisecond})}},
		{"keep-alive too short", []Option{WithKeepAlive(500 * time.Millisecond)}},
		{"keep-alive not below EM idle timeout", []Option{WithKeepAlive(15 * time.Minute)}},
		{"max response bytes too small", []Option{WithMaxResponseBytes(100)}},
		{"http client with root CAs", []Option{WithHTTPClient(hc), WithRootCAs(pool)}},
		{"root CAs with http client", []Option{WithRootCAs(pool), WithHTTPClient(hc)}},
		{"http client with insecure skip verify", []Option{WithHTTPClient(hc), WithInsecureSkipVerify()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := New(testBase, tt.opts...)
			require.Error(t, err)
			assert.Nil(t, c)
			assert.True(t, strings.HasPrefix(err.Error(), "vem: "), err.Error())
		})
	}
}

func TestOptionsAcceptGoodInput(t *testing.T) {
	t.Parallel()
	hc := &http.Client{Transport: httpmock.NewMockTransport()}
	tests := map[string][]Option{
		"credentials with domain": {WithCredentials(`DOMAIN\user`, "p")},
		"session id":              {WithSessionID("O9Msj3rq7EGUhtSMBQx+mw==")},
		"http client":             {WithHTTPClient(hc)},
		"root CAs":                {WithRootCAs(x509.NewCertPool())},
		"insecure skip verify":    {WithInsecureSkipVerify()},
		"format json":             {WithFormat(FormatJSON)},
		"format xml":              {WithFormat(FormatXML)},
		"timeout":                 {WithTimeout(time.Millisecond)},
		"user agent":              {WithUserAgent("monitor/1.0")},
		"retry":                   {WithRetry(DefaultRetry())},
		"no retry":                {WithRetry(NoRetries())},
		"keep-alive":              {WithKeepAlive(time.Minute)},
		"max response bytes":      {WithMaxResponseBytes(1024)},
		"allow insecure http":     {WithAllowInsecureHTTP()},
	}
	for name, opts := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, err := New(testBase, opts...)
			require.NoError(t, err)
			require.NoError(t, c.Close())
		})
	}
}

func TestFormatAndParseFormat(t *testing.T) {
	t.Parallel()
	c, err := New(testBase)
	require.NoError(t, err)
	defer c.Close()
	assert.Equal(t, FormatXML, c.Format(), "XML is the default")

	for in, want := range map[string]Format{"xml": FormatXML, " JSON ": FormatJSON, "Xml": FormatXML} {
		got, err := ParseFormat(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got)
	}
	_, err = ParseFormat("yaml")
	require.Error(t, err)
}

func TestUserAgentHeader(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		opts []Option
		want string
	}{
		{"default", nil, DefaultUserAgent},
		{"custom", []Option{WithUserAgent("monitor/1.0")}, "monitor/1.0"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			em := newFakeEM(t)
			rec := em.serveTask(seedGUID, ctXML, readFixture(t, "backuptasksession.xml"))
			c := em.client(t, tt.opts...)
			_, err := c.GetBackupTaskSession(context.Background(), seedGUID)
			require.NoError(t, err)
			assert.Equal(t, tt.want, rec.last().Header.Get("User-Agent"))
		})
	}
}

// A redirect to another origin must not carry the session token (nor
// credentials or cookies); a redirect on the same origin keeps it.
func TestRedirectToOtherHostDropsToken(t *testing.T) {
	t.Parallel()
	em := newFakeEM(t)
	const otherGUID = "20caf784-f9b4-4826-b544-1ad8a99031b7"
	body := readFixture(t, "backuptasksession.xml")

	// em:9398 sends the seed to evil:9398, and otherGUID to itself.
	em.mt.RegisterResponderWithQuery(http.MethodGet, em.taskURL(seedGUID), "format=Entity", func(req *http.Request) (*http.Response, error) {
		r := mockResp(http.StatusFound, ctHTML, nil)
		r.Header.Set("Location", "https://evil:9398/api/backupTaskSessions/"+seedGUID+"?format=Entity")
		return r, nil
	})
	em.mt.RegisterResponderWithQuery(http.MethodGet, em.taskURL(otherGUID), "format=Entity", func(req *http.Request) (*http.Response, error) {
		r := mockResp(http.StatusFound, ctHTML, nil)
		r.Header.Set("Location", "/api/backupTaskSessions/"+otherGUID+"?format=Entity&moved=1")
		return r, nil
	})
	evil := &reqRecorder{}
	em.mt.RegisterResponderWithQuery(http.MethodGet, "https://evil:9398/api/backupTaskSessions/"+seedGUID, "format=Entity", func(req *http.Request) (*http.Response, error) {
		evil.add(req)
		return mockResp(http.StatusOK, ctXML, body), nil
	})
	same := &reqRecorder{}
	otherBody := bytes.ReplaceAll(body, []byte(seedGUID), []byte(otherGUID))
	em.mt.RegisterResponderWithQuery(http.MethodGet, em.taskURL(otherGUID), "format=Entity&moved=1", func(req *http.Request) (*http.Response, error) {
		same.add(req)
		return mockResp(http.StatusOK, ctXML, otherBody), nil
	})

	c := em.client(t)
	_, err := c.GetBackupTaskSession(context.Background(), seedGUID)
	require.NoError(t, err)
	require.Equal(t, 1, evil.count())
	r := evil.last()
	assert.Empty(t, r.Header.Values(sessionHeader), "token sent to another host")
	assert.Empty(t, r.Header.Values("Authorization"))
	assert.Empty(t, r.Header.Values("Cookie"))

	// Control: on the same origin the token does follow the redirect.
	_, err = c.GetBackupTaskSession(context.Background(), otherGUID)
	require.NoError(t, err)
	require.Equal(t, 1, same.count())
	assert.Equal(t, "tok-1", same.last().Header.Get(sessionHeader))
}

func TestSameOrigin(t *testing.T) {
	t.Parallel()
	origin, err := parseBaseURL("https://em:443")
	require.NoError(t, err)
	for raw, want := range map[string]bool{
		"https://em/api/x":      true, // default port
		"https://EM:443/api/x":  true,
		"http://em:443/api/x":   false,
		"https://em:9398/api/x": false,
		"https://em2/api/x":     false,
	} {
		u := mustParseURL(t, raw)
		assert.Equal(t, want, sameOrigin(u, origin), raw)
	}
}

// TestNewNeverEchoesUserinfo: a password written in the base URL is refused
// first and never printed, whatever else is wrong with the URL.
func TestNewNeverEchoesUserinfo(t *testing.T) {
	t.Parallel()
	const secret = "S3cret-pw-9z"
	for _, raw := range []string{
		"https://admin:" + secret + "@em.example.com:9398",
		"http://admin:" + secret + "@em.example.com:9398", // http without WithAllowInsecureHTTP
		"ftp://admin:" + secret + "@em.example.com",       // wrong scheme
		"https://admin:" + secret + "@",                   // no host
		"https://admin:" + secret + "@em/other/path",      // wrong path
		"admin:" + secret + "@em.example.com:9398",        // no scheme
		"//admin:" + secret + "@em.example.com:9398",      // not absolute
		"https://admin:" + secret + "@em:bad port",        // unparsable
	} {
		_, err := New(raw, WithCredentials("u", "p"))
		require.Error(t, err, raw)
		assert.NotContains(t, err.Error(), secret, raw)
	}
	_, err := New("https://admin:"+secret+"@em.example.com:9398", WithCredentials("u", "p"))
	assert.Contains(t, err.Error(), "user info")
}

// TestResponseHeadersAreBounded: the default transport reads at most 64 KiB
// of response headers, not Go's 10 MiB.
func TestResponseHeadersAreBounded(t *testing.T) {
	t.Parallel()
	assert.EqualValues(t, 64<<10, newTransport(nil).MaxResponseHeaderBytes)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Padding", strings.Repeat("a", 100<<10))
		w.Header().Set(sessionHeader, "tok")
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()
	c, err := New(srv.URL, WithCredentials("user", "secret-pass"), WithRootCAs(poolOf(srv)), WithRetry(NoRetries()))
	require.NoError(t, err)
	defer c.Close()
	err = c.Logon(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "header")
	assert.Empty(t, c.SessionID())
}
