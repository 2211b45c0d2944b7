package vem

import (
	"bytes"
	"context"
	"crypto/x509"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const seedID = "88322206-a645-4aa3-9228-028ce51e7c0f"

// emHandler is a minimal EM over httptest: logon, the seed entity and
// logout, recording the headers of every request.
type emHandler struct {
	mu      sync.Mutex
	headers []http.Header
	paths   []string
	logons  atomic.Int32
	// redirect, when set, answers the entity GET with a 302 to this URL.
	redirect string
}

func (h *emHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.headers = append(h.headers, r.Header.Clone())
	h.paths = append(h.paths, r.URL.Path)
	h.mu.Unlock()
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/api/sessionMngr/":
		if u, p, ok := r.BasicAuth(); !ok || u != "user" || p != "secret-pass" {
			w.Header().Set("WWW-Authenticate", "Basic Realm=RestSvc")
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		h.logons.Add(1)
		w.Header().Set(sessionHeader, "TOKEN-abc")
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`<LogonSession xmlns="http://www.veeam.com/ent/v1.0"><SessionId>15a3fc97-0325-4119-b789-5c0367c6c565</SessionId></LogonSession>`))
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/api/backupTaskSessions/"):
		if h.redirect != "" {
			http.Redirect(w, r, h.redirect+r.URL.RequestURI(), http.StatusFound)
			return
		}
		if r.Header.Get(sessionHeader) != "TOKEN-abc" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/xml")
		_, _ = w.Write(mustRead("testdata/backuptasksession.xml"))
	case r.Method == http.MethodDelete && r.URL.Path == "/api/logonSessions/15a3fc97-0325-4119-b789-5c0367c6c565":
		w.WriteHeader(http.StatusNoContent)
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

func (h *emHandler) seen() ([]string, []http.Header) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.paths...), append([]http.Header(nil), h.headers...)
}

func poolOf(s *httptest.Server) *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(s.Certificate())
	return pool
}

func TestTLSVerificationOnByDefault(t *testing.T) {
	h := &emHandler{}
	srv := httptest.NewTLSServer(h)
	defer srv.Close()

	c, err := New(srv.URL, WithCredentials("user", "secret-pass"), WithRetry(NoRetries()))
	require.NoError(t, err)
	_, err = c.GetBackupTaskSession(context.Background(), seedID)
	require.Error(t, err)
	assert.True(t, isCertificateError(err), "certificate error expected, got %v", err)
	paths, _ := h.seen()
	assert.Empty(t, paths, "nothing reached the server: the handshake failed")
	require.NoError(t, c.Close())

	// Not retried either: a bad certificate does not heal.
	c, err = New(srv.URL, WithCredentials("user", "secret-pass"))
	require.NoError(t, err)
	_, err = c.GetBackupTaskSession(context.Background(), seedID)
	var re *RequestError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, 1, re.Attempts)
	require.NoError(t, c.Close())

	// Trusting the server's CA works.
	c, err = New(srv.URL, WithCredentials("user", "secret-pass"), WithRootCAs(poolOf(srv)))
	require.NoError(t, err)
	ts, err := c.GetBackupTaskSession(context.Background(), seedID)
	require.NoError(t, err)
	assert.Equal(t, "AnT_VM2", ts.VMDisplayName)
	require.NoError(t, c.Close())
}

func TestInsecureSkipVerifyWarnsOnce(t *testing.T) {
	h := &emHandler{}
	srv := httptest.NewTLSServer(h)
	defer srv.Close()
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, err := New(srv.URL, WithCredentials("user", "secret-pass"), WithInsecureSkipVerify(), WithLogger(log))
	require.NoError(t, err)
	for range 3 {
		_, err = c.GetBackupTaskSession(context.Background(), seedID)
		require.NoError(t, err)
	}
	require.NoError(t, c.Close())
	assert.Equal(t, 1, strings.Count(buf.String(), "level=WARN"), buf.String())
	assert.Contains(t, buf.String(), "verification is off")
	assert.NotContains(t, buf.String(), "TOKEN-abc")
	assert.NotContains(t, buf.String(), "secret-pass")
}

func TestPlainHTTPRefusedUnlessAllowed(t *testing.T) {
	h := &emHandler{}
	srv := httptest.NewServer(h)
	defer srv.Close()
	_, err := New(srv.URL, WithCredentials("user", "secret-pass"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "clear text")
	paths, _ := h.seen()
	assert.Empty(t, paths)

	c, err := New(srv.URL, WithCredentials("user", "secret-pass"), WithAllowInsecureHTTP())
	require.NoError(t, err)
	_, err = c.GetBackupTaskSession(context.Background(), seedID)
	require.NoError(t, err)
	require.NoError(t, c.Close())
}

// TestTokenNeverLeavesTheOrigin: a redirect to another origin carries
// neither the session token nor credentials nor cookies; a redirect within
// the origin keeps the token.
func TestTokenNeverLeavesTheOrigin(t *testing.T) {
	other := &emHandler{}
	otherSrv := httptest.NewTLSServer(other)
	defer otherSrv.Close()
	h := &emHandler{redirect: otherSrv.URL}
	srv := httptest.NewTLSServer(h)
	defer srv.Close()

	pool := poolOf(srv)
	pool.AddCert(otherSrv.Certificate())
	c, err := New(srv.URL, WithCredentials("user", "secret-pass"), WithRootCAs(pool), WithRetry(NoRetries()))
	require.NoError(t, err)
	_, err = c.GetBackupTaskSession(context.Background(), seedID)
	require.Error(t, err, "the other server answers 401 without a token")
	require.NoError(t, c.Close())

	paths, headers := other.seen()
	require.NotEmpty(t, paths, "the redirect was followed")
	for _, hd := range headers {
		assert.Empty(t, hd.Get(sessionHeader), "token leaked to another origin")
		assert.Empty(t, hd.Get("Authorization"))
		assert.Empty(t, hd.Get("Cookie"))
	}

	// Same origin: the token is kept.
	same := &emHandler{}
	mux := http.NewServeMux()
	mux.HandleFunc("/moved/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, strings.TrimPrefix(r.URL.RequestURI(), "/moved"), http.StatusFound)
	})
	mux.Handle("/", same)
	srv2 := httptest.NewTLSServer(mux)
	defer srv2.Close()
	c, err = New(srv2.URL, WithCredentials("user", "secret-pass"), WithRootCAs(poolOf(srv2)))
	require.NoError(t, err)
	var ts BackupTaskSession
	require.NoError(t, c.FollowLink(context.Background(), Link{Href: srv2.URL + "/api/backupTaskSessions/" + seedID}, &ts))
	assert.Equal(t, int64(12884901888), ts.TotalSize)
	require.NoError(t, c.Close())
}

func TestCloseLogsOutAndReleases(t *testing.T) {
	h := &emHandler{}
	srv := httptest.NewTLSServer(h)
	defer srv.Close()
	c, err := New(srv.URL, WithCredentials("user", "secret-pass"), WithRootCAs(poolOf(srv)))
	require.NoError(t, err)
	_, err = c.GetBackupTaskSession(context.Background(), seedID)
	require.NoError(t, err)
	require.NoError(t, c.Close())
	paths, headers := h.seen()
	require.Equal(t, "/api/logonSessions/15a3fc97-0325-4119-b789-5c0367c6c565", paths[len(paths)-1])
	assert.Equal(t, "TOKEN-abc", headers[len(headers)-1].Get(sessionHeader))
	assert.Empty(t, c.SessionID())
	_, err = c.GetBackupTaskSession(context.Background(), seedID)
	assert.ErrorIs(t, err, ErrClosed)
	require.NoError(t, c.Close(), "Close twice is fine")
	paths2, _ := h.seen()
	assert.Len(t, paths2, len(paths), "nothing sent after Close")
}

func mustRead(name string) []byte {
	b, err := readTestdata(name)
	if err != nil {
		panic(err)
	}
	return b
}

func readTestdata(name string) ([]byte, error) { return os.ReadFile(name) }
