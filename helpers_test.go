package vem

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/require"
)

// Shared test values. The password, tokens and cookie values are distinctive
// so that the logging tests can search for them.
const (
	testBase    = "https://em:9398"
	testUser    = `TECH\svc-vem`
	testPass    = "Pa55-w0rd!x7Qz"
	seedGUID    = "88322206-a645-4aa3-9228-028ce51e7c0f"
	seedUID     = "urn:veeam:BackupTaskSession:" + seedGUID
	logonSessID = "15a3fc97-0325-4119-b789-5c0367c6c565" // SessionId of testdata/logonsession.xml
	ctXML       = "application/xml; charset=utf-8"
	ctJSON      = "application/json; charset=utf-8"
	ctHTML      = "text/html"
)

// fastRetry retries quickly, so that tests that meet retryable failures stay
// fast whatever the machine.
var fastRetry = RetryPolicy{MaxAttempts: 3, MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond}

// slowRetry would wait an hour between attempts: a test that finishes with
// it proves that no backoff wait happened (or that the context cut it).
var slowRetry = RetryPolicy{MaxAttempts: 3, MinBackoff: time.Hour, MaxBackoff: time.Hour, MaxRetryAfter: time.Hour}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

// mockResp builds a mocked answer; the Content-Type is always set.
func mockResp(status int, ct string, body []byte) *http.Response {
	r := httpmock.NewBytesResponse(status, body)
	r.Header.Set("Content-Type", ct)
	return r
}

// fakeEM is a minimal Enterprise Manager on an httpmock transport: it logs
// on (checking Basic credentials), hands out tokens tok-1, tok-2, ..., knows
// which tokens are valid and logs out the SessionId of logonsession.xml.
// Resources are registered by each test.
type fakeEM struct {
	t    testing.TB
	base string
	mt   *httpmock.MockTransport

	mu       sync.Mutex
	valid    map[string]bool
	issued   []string
	deleted  []string // tokens sent with the logout DELETEs
	cookies  []string // Cookie headers seen on authenticated requests
	logons   atomic.Int64
	deletes  atomic.Int64
	tokenPfx string

	// set before the client makes calls
	logonDelay time.Duration
	logonCT    string
	logonBody  []byte
}

func newFakeEM(t testing.TB) *fakeEM { return newFakeEMAt(t, testBase) }

func newFakeEMAt(t testing.TB, base string) *fakeEM {
	em := &fakeEM{
		t:         t,
		base:      base,
		mt:        httpmock.NewMockTransport(),
		valid:     map[string]bool{},
		tokenPfx:  "tok-",
		logonCT:   ctXML,
		logonBody: readFixture(t, "logonsession.xml"),
	}
	em.mt.RegisterResponderWithQuery(http.MethodPost, base+"/api/sessionMngr/", "v=latest", em.logon)
	em.mt.RegisterResponder(http.MethodDelete, base+"/api/logonSessions/"+logonSessID, em.logout)
	return em
}

func (em *fakeEM) logon(req *http.Request) (*http.Response, error) {
	n := em.logons.Add(1)
	if n > 50 { // a client in a logon loop: stop it rather than hang
		return mockResp(http.StatusInternalServerError, ctXML, []byte(`<Error Message="logon loop" StatusCode="500" xmlns="http://www.veeam.com/ent/v1.0" />`)), nil
	}
	user, pass, ok := req.BasicAuth()
	if !ok || user != testUser || pass != testPass {
		r := mockResp(http.StatusUnauthorized, ctXML, []byte(`<Error Message="Authentication failed" StatusCode="401" xmlns="http://www.veeam.com/ent/v1.0" />`))
		r.Header.Set("WWW-Authenticate", "Basic Realm=RestSvc")
		return r, nil
	}
	if em.logonDelay > 0 {
		time.Sleep(em.logonDelay) // lets concurrent callers pile up
	}
	tok := fmt.Sprintf("%s%d", em.tokenPfx, n)
	em.mu.Lock()
	em.valid[tok] = true
	em.issued = append(em.issued, tok)
	em.mu.Unlock()
	r := mockResp(http.StatusCreated, em.logonCT, em.logonBody)
	r.Header.Set(sessionHeader, tok)
	r.Header.Add("Set-Cookie", fmt.Sprintf("%s=cookie-%s; Path=/api", sessionHeader, tok))
	return r, nil
}

func (em *fakeEM) logout(req *http.Request) (*http.Response, error) {
	tok := req.Header.Get(sessionHeader)
	if !em.authorized(req) {
		return mockResp(http.StatusUnauthorized, ctXML, []byte(`<Error Message="Unauthorized" StatusCode="401" xmlns="http://www.veeam.com/ent/v1.0" />`)), nil
	}
	em.deletes.Add(1)
	em.mu.Lock()
	delete(em.valid, tok)
	em.deleted = append(em.deleted, tok)
	em.mu.Unlock()
	return mockResp(http.StatusNoContent, ctXML, nil), nil
}

// authorized reports whether req carries a valid token, and records its
// Cookie header.
func (em *fakeEM) authorized(req *http.Request) bool {
	em.mu.Lock()
	defer em.mu.Unlock()
	em.cookies = append(em.cookies, req.Header.Get("Cookie"))
	return em.valid[req.Header.Get(sessionHeader)]
}

// expire ends every session on the server, as EM's idle timeout does.
func (em *fakeEM) expire() {
	em.mu.Lock()
	defer em.mu.Unlock()
	clear(em.valid)
}

func (em *fakeEM) addToken(tok string) {
	em.mu.Lock()
	defer em.mu.Unlock()
	em.valid[tok] = true
}

func (em *fakeEM) isValid(tok string) bool {
	em.mu.Lock()
	defer em.mu.Unlock()
	return em.valid[tok]
}

// unauthorized is EM's answer to a missing or expired token.
func unauthorized() *http.Response {
	r := mockResp(http.StatusUnauthorized, ctXML, []byte(`<Error Message="Unauthorized" StatusCode="401" xmlns="http://www.veeam.com/ent/v1.0" />`))
	r.Header.Set("WWW-Authenticate", "Basic Realm=RestSvc")
	return r
}

// taskURL is the task session URL without its query.
func (em *fakeEM) taskURL(guid string) string { return em.base + "/api/backupTaskSessions/" + guid }

// serveTask registers GET /api/backupTaskSessions/{guid}?format=Entity
// answering body with content type ct to authorized requests and 401
// otherwise. The returned recorder sees every request.
func (em *fakeEM) serveTask(guid, ct string, body []byte) *reqRecorder {
	rec := &reqRecorder{}
	em.mt.RegisterResponderWithQuery(http.MethodGet, em.taskURL(guid), "format=Entity", func(req *http.Request) (*http.Response, error) {
		rec.add(req)
		if !em.authorized(req) {
			return unauthorized(), nil
		}
		return mockResp(http.StatusOK, ct, body), nil
	})
	return rec
}

// serveTaskFunc registers a custom responder for the task session URL.
func (em *fakeEM) serveTaskFunc(guid string, f func(n int, req *http.Request) (*http.Response, error)) *reqRecorder {
	rec := &reqRecorder{}
	em.mt.RegisterResponderWithQuery(http.MethodGet, em.taskURL(guid), "format=Entity", func(req *http.Request) (*http.Response, error) {
		n := rec.add(req)
		return f(n, req)
	})
	return rec
}

// calls returns how often a registered route was called.
func (em *fakeEM) calls(method, url string) int {
	return em.mt.GetCallCountInfo()[method+" "+url]
}

// newMockClient returns a client of a new fakeEM, without retries, and the
// fakeEM's transport for the test's own responders.
func newMockClient(t testing.TB, opts ...Option) (*Client, *httpmock.MockTransport) {
	t.Helper()
	em := newFakeEM(t)
	return em.client(t, append([]Option{WithRetry(NoRetries())}, opts...)...), em.mt
}

// serveFile registers a GET responder that answers a testdata file.
func serveFile(t testing.TB, mt *httpmock.MockTransport, url, query, file, contentType string) {
	t.Helper()
	body := readFixture(t, file)
	mt.RegisterResponderWithQuery(http.MethodGet, url, query, func(*http.Request) (*http.Response, error) {
		return mockResp(http.StatusOK, contentType, body), nil
	})
}

// client returns a client of em with credentials and fast retries; opts
// come last and override those. It is closed when the test ends.
func (em *fakeEM) client(t testing.TB, opts ...Option) *Client {
	t.Helper()
	all := append([]Option{
		WithHTTPClient(&http.Client{Transport: em.mt}),
		WithCredentials(testUser, testPass),
		WithRetry(fastRetry),
	}, opts...)
	c, err := New(em.base, all...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// borrowedClient returns a client that uses tok (WithSessionID) and has no
// credentials.
func (em *fakeEM) borrowedClient(t testing.TB, tok string, opts ...Option) *Client {
	t.Helper()
	all := append([]Option{
		WithHTTPClient(&http.Client{Transport: em.mt}),
		WithSessionID(tok),
		WithRetry(fastRetry),
	}, opts...)
	c, err := New(em.base, all...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// reqRecorder keeps copies of the requests a responder saw.
type reqRecorder struct {
	mu   sync.Mutex
	reqs []*http.Request
}

func (r *reqRecorder) add(req *http.Request) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reqs = append(r.reqs, req.Clone(context.Background()))
	return len(r.reqs)
}

func (r *reqRecorder) all() []*http.Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*http.Request(nil), r.reqs...)
}

func (r *reqRecorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.reqs)
}

func (r *reqRecorder) last() *http.Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.reqs) == 0 {
		return nil
	}
	return r.reqs[len(r.reqs)-1]
}

// wantSeed is the exact decoding of the seed example,
// testdata/backuptasksession.xml.
func wantSeed() *BackupTaskSession {
	return &BackupTaskSession{
		UID:           seedUID,
		Name:          "AnT_VM2@2025-10-11 20:06:09",
		VMDisplayName: "AnT_VM2",
		Href:          "https://localhost:9398/api/backupTaskSessions/88322206-a645-4aa3-9228-028ce51e7c0f?format=Entity",
		JobSessionUID: "urn:veeam:BackupJobSession:0d3a8230-3db1-4cc1-a7b2-3b0b5c8f784c",
		CreationTime:  time.Date(2025, 10, 11, 20, 6, 9, 627_000_000, time.UTC),
		EndTime:       time.Date(2025, 10, 11, 20, 7, 9, 347_000_000, time.UTC),
		State:         StateCompleted,
		Result:        ResultSuccess,
		Reason:        "",
		TotalSize:     12884901888,
		VMUID:         "urn:VMware:Vm:a87d15db-dd70-4769-acd6-41bae88219d4.vm-91826",
		Links: Links{
			{Rel: "Up", Type: "BackupServerReference", Href: "https://localhost:9398/api/backupServers/a490c017-2c1c-40ee-8bcf-73bcce6ab36f", Name: "enterprise01.tech.local"},
			{Rel: "Up", Type: "BackupJobSessionReference", Href: "https://localhost:9398/api/backupSessions/0d3a8230-3db1-4cc1-a7b2-3b0b5c8f784c", Name: "vCD Job Template@2025-10-11 20:00:04"},
			{Rel: "Alternate", Type: "BackupTaskSessionReference", Href: "https://localhost:9398/api/backupTaskSessions/88322206-a645-4aa3-9228-028ce51e7c0f", Name: "AnT_VM2@2025-10-11 20:06:09"},
			{Rel: "Related", Type: "VmRestorePoint", Href: "https://localhost:9398/api/vmRestorePoints/a3571c27-a3a9-4ac8-8dfb-71a2336b3218?format=Entity", Name: "AnT_VM2-bFpa@2025-10-11 20:06:23"},
		},
	}
}

// hookHandler is a slog handler that calls fn for every record; tests use
// it to act at a precise point of the client's work (for example, right
// before a retry backoff).
type hookHandler struct{ fn func(slog.Record) }

func (h hookHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h hookHandler) Handle(_ context.Context, r slog.Record) error {
	h.fn(r)
	return nil
}
func (h hookHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h hookHandler) WithGroup(string) slog.Handler      { return h }

// bgDone reports whether every background goroutine of c (shared logons,
// keep-alive) has ended.
func bgDone(c *Client) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c.auth.mu.Lock()
			idle := c.auth.inflight == nil
			c.auth.mu.Unlock()
			if idle && !c.auth.keepAlive.running() {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	return done
}

func mustParseURL(t testing.TB, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	return u
}

// acceptFor is the one Accept value expected for a wire format.
func acceptFor(f Format) string {
	if f == FormatJSON {
		return "application/json"
	}
	return "application/xml"
}

// camel lowers the first letter of every key, as EM 13 does.
func camel(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, val := range x {
			r := []rune(k)
			r[0] = unicode.ToLower(r[0])
			out[string(r)] = camel(val)
		}
		return out
	case []any:
		for i := range x {
			x[i] = camel(x[i])
		}
		return x
	}
	return v
}

// mustJSON marshals v for a mocked JSON body.
func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}
