package vem

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// syncBuffer is a bytes.Buffer safe for the client's concurrent logging.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A full flow (logon, get, 401 and relogon, 404, wrong password, logout)
// logs every request with method, path, status and duration, and no log line
// nor error string holds the password, the Basic header value, a token or a
// cookie value.
func TestLoggingHasRequestsAndNoSecrets(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"json", "text"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			var buf syncBuffer
			opts := &slog.HandlerOptions{Level: slog.LevelDebug}
			var h slog.Handler = slog.NewJSONHandler(&buf, opts)
			if kind == "text" {
				h = slog.NewTextHandler(&buf, opts)
			}
			logger := slog.New(h)

			em := newFakeEM(t)
			em.tokenPfx = "SeCrEtToKeN-"
			em.serveTask(seedGUID, ctXML, readFixture(t, "backuptasksession.xml"))
			const missing = "00000000-0000-4000-8000-000000000404"
			em.mt.RegisterResponderWithQuery(http.MethodGet, em.taskURL(missing), "format=Entity", func(req *http.Request) (*http.Response, error) {
				return mockResp(http.StatusNotFound, ctXML, []byte(`<Error Message="Object not found" StatusCode="404" xmlns="http://www.veeam.com/ent/v1.0" />`)), nil
			})
			ctx := context.Background()
			var errs []error

			c := em.client(t, WithLogger(logger))
			require.NoError(t, c.Logon(ctx))
			_, err := c.GetBackupTaskSession(ctx, seedGUID)
			require.NoError(t, err)
			em.expire()
			_, err = c.GetBackupTaskSession(ctx, seedGUID) // 401, relogon, retry
			require.NoError(t, err)
			_, err = c.GetBackupTaskSession(ctx, missing)
			require.ErrorIs(t, err, ErrNotFound)
			errs = append(errs, err)
			require.NoError(t, c.Logout(ctx))
			require.NoError(t, c.Close())

			const wrongPass = "WrOnG-Pa55-q9"
			bad := em.client(t, WithLogger(logger), WithCredentials(testUser, wrongPass))
			_, err = bad.GetBackupTaskSession(ctx, seedGUID)
			require.ErrorIs(t, err, ErrUnauthorized)
			errs = append(errs, err)
			require.NoError(t, bad.Close())

			require.EqualValues(t, 3, em.logons.Load())
			logs := buf.String()
			secrets := []string{
				testPass,
				wrongPass,
				base64.StdEncoding.EncodeToString([]byte(testUser + ":" + testPass)),
				base64.StdEncoding.EncodeToString([]byte(testUser + ":" + wrongPass)),
				"SeCrEtToKeN", // every token: SeCrEtToKeN-1, -2
				"cookie-SeCrEtToKeN",
			}
			for _, s := range secrets {
				assert.NotContains(t, logs, s)
				for _, e := range errs {
					assert.NotContains(t, e.Error(), s)
				}
			}

			// Every HTTP attempt is logged with method, path, status, duration.
			type entry struct{ method, path, status string }
			var seen []entry
			for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
				attrs := parseLogLine(t, kind, line)
				if attrs["msg"] != "vem: request" {
					continue
				}
				assert.NotEmpty(t, attrs["duration"], line)
				seen = append(seen, entry{attrs["method"], attrs["path"], attrs["status"]})
			}
			task := "/api/backupTaskSessions/" + seedGUID
			assert.Equal(t, []entry{
				{"POST", "/api/sessionMngr/", "201"},
				{"GET", task, "200"},
				{"GET", task, "401"},
				{"POST", "/api/sessionMngr/", "201"},
				{"GET", task, "200"},
				{"GET", "/api/backupTaskSessions/" + missing, "404"},
				{"DELETE", "/api/logonSessions/" + logonSessID, "204"},
				{"POST", "/api/sessionMngr/", "401"},
			}, seen)
		})
	}
}

// parseLogLine returns the top-level attributes of a JSON or text log line
// as strings.
func parseLogLine(t *testing.T, kind, line string) map[string]string {
	t.Helper()
	out := map[string]string{}
	if kind == "json" {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m), line)
		for k, v := range m {
			switch v := v.(type) {
			case string:
				out[k] = v
			default:
				b, _ := json.Marshal(v)
				out[k] = string(b)
			}
		}
		return out
	}
	// text: key=value or key="quoted value"
	for rest := line; rest != ""; {
		rest = strings.TrimLeft(rest, " ")
		k, v, ok := strings.Cut(rest, "=")
		if !ok {
			break
		}
		if strings.HasPrefix(v, `"`) {
			end := 1
			for end < len(v) && (v[end] != '"' || v[end-1] == '\\') {
				end++
			}
			out[k] = strings.ReplaceAll(v[1:end], `\"`, `"`)
			rest = v[min(end+1, len(v)):]
			continue
		}
		val, r, _ := strings.Cut(v, " ")
		out[k] = val
		rest = r
	}
	return out
}

// resty writes nothing to stderr by itself: its logger is routed to the
// client's slog logger. The test swaps os.Stderr, so it is not parallel.
func TestRestyWritesNothingToStderr(t *testing.T) {
	r, w, err := os.Pipe()
	require.NoError(t, err)
	old := os.Stderr
	os.Stderr = w
	restored := false
	restore := func() {
		if !restored {
			os.Stderr = old
			restored = true
		}
	}
	defer restore()
	captured := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(r)
		captured <- string(b)
	}()

	var buf syncBuffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	// Plain HTTP with Basic auth is what makes resty warn; the client is
	// built while stderr is the pipe, so resty's default logger would
	// write there.
	em := newFakeEMAt(t, "http://em:9398")
	em.serveTaskFunc(seedGUID, func(int, *http.Request) (*http.Response, error) {
		return nil, io.ErrUnexpectedEOF
	})
	c := em.client(t, WithAllowInsecureHTTP(), WithLogger(logger))
	// Turn resty's warnings back on: they must still go to slog.
	c.rc.SetDisableWarn(false)
	require.NoError(t, c.Logon(context.Background()))
	_, err = c.GetBackupTaskSession(context.Background(), seedGUID)
	require.Error(t, err)
	require.NoError(t, c.Close())

	restore()
	require.NoError(t, w.Close())
	out := <-captured
	require.NoError(t, r.Close())
	assert.Empty(t, out, "nothing may be written to stderr")
	assert.Contains(t, buf.String(), "resty: Using Basic Auth in HTTP mode is not secure", "resty's messages go to the client's logger")
}
