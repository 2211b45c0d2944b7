package vem

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAPIErrors(t *testing.T) {
	t.Parallel()
	bigHTML := "<html><body>" + strings.Repeat("é proxy error ", 400) + "</body></html>"
	tests := []struct {
		name        string
		status      int
		ct          string
		body        []byte
		wantMessage string
		wantFCE     string
		wantSnippet string // substring of Snippet; "" means Snippet must be empty
		wantIs      error
	}{
		{"500 xml error document", 500, ctXML, readFixture(t, "error-500-v95u4.xml"),
			"Object reference not set to an instance of an object.", "Object reference not set to an instance of an object.", "", nil},
		{"400 json error document", 400, "application/json", readFixture(t, "error-400-v95u4.json"),
			"Node [root] does not exist.", "", "", nil},
		{"400 json error camelCase", 400, ctJSON, []byte(`{"firstChanceExceptionMessage":"inner","message":"bad filter","stackTrace":null,"status":null,"statusCode":400}`),
			"bad filter", "inner", "", nil},
		{"error with only inner message", 500, ctXML, []byte(`<Error StatusCode="500" xmlns="http://www.veeam.com/ent/v1.0"><FirstChanceExceptionMessage>inner only</FirstChanceExceptionMessage></Error>`),
			"inner only", "inner only", "", nil},
		{"502 html from a proxy", 502, ctHTML, readFixture(t, "error-502.html"), "", "", "502 Bad Gateway", nil},
		{"500 empty body", 500, ctXML, nil, "", "", "", nil},
		{"500 garbage xml", 500, ctXML, []byte("<<<not xml at all"), "", "", "<<<not xml", nil},
		{"500 garbage json", 500, ctJSON, []byte(`{"Message":`), "", "", `{"Message":`, nil},
		{"500 xml that is not an Error", 500, ctXML, readFixture(t, "backupjobsession.xml"), "", "", "<?xml", nil},
		{"500 big html", 500, ctHTML, []byte(bigHTML), "", "", "<html><body>é proxy", nil},
		{"404", 404, ctXML, []byte(`<Error Message="Object not found" StatusCode="404" xmlns="http://www.veeam.com/ent/v1.0" />`), "Object not found", "", "", ErrNotFound},
		{"401", 401, ctXML, []byte(`<Error Message="Unauthorized" StatusCode="401" xmlns="http://www.veeam.com/ent/v1.0" />`), "Unauthorized", "", "", ErrUnauthorized},
		{"403", 403, ctXML, []byte(`<Error Message="Access denied" StatusCode="403" xmlns="http://www.veeam.com/ent/v1.0" />`), "Access denied", "", "", ErrForbidden},
		{"403 empty", 403, "text/plain", nil, "", "", "", ErrForbidden},
	}
	sentinels := []error{ErrNotFound, ErrUnauthorized, ErrForbidden}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			em := newFakeEM(t)
			em.addToken("tok-b")
			em.serveTaskFunc(seedGUID, func(int, *http.Request) (*http.Response, error) {
				return mockResp(tt.status, tt.ct, tt.body), nil
			})
			// A borrowed session without credentials: a 401 is final.
			c := em.borrowedClient(t, "tok-b", WithRetry(NoRetries()))
			s, err := c.GetBackupTaskSession(context.Background(), seedGUID)
			require.Error(t, err)
			assert.Nil(t, s)

			var ae *APIError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, tt.status, ae.StatusCode)
			assert.Equal(t, http.MethodGet, ae.Method)
			assert.Equal(t, "/api/backupTaskSessions/"+seedGUID, ae.Path)
			assert.Equal(t, tt.ct, ae.ContentType)
			assert.Equal(t, tt.wantMessage, ae.Message)
			assert.Equal(t, tt.wantFCE, ae.FirstChanceExceptionMessage)
			if tt.wantSnippet == "" {
				assert.Empty(t, ae.Snippet)
			} else {
				assert.Contains(t, ae.Snippet, tt.wantSnippet)
			}
			assert.LessOrEqual(t, len(ae.Snippet), 123, "the snippet is short")
			assert.True(t, utf8.ValidString(ae.Snippet))

			msg := err.Error()
			assert.Contains(t, msg, strconv.Itoa(tt.status))
			assert.Contains(t, msg, "GET /api/backupTaskSessions/"+seedGUID)
			if tt.wantMessage != "" {
				assert.Contains(t, msg, tt.wantMessage)
			}
			if tt.wantSnippet != "" {
				assert.Contains(t, msg, "body:")
			}
			for _, s := range sentinels {
				assert.Equal(t, s == tt.wantIs, errors.Is(err, s), "errors.Is(%v)", s)
			}
			assert.False(t, errors.Is(err, ErrDecode))
		})
	}
}

func TestAPIErrorIs(t *testing.T) {
	t.Parallel()
	for code, want := range map[int]error{401: ErrUnauthorized, 403: ErrForbidden, 404: ErrNotFound, 400: nil, 500: nil} {
		e := &APIError{StatusCode: code, Method: "GET", Path: "/api/x"}
		for _, s := range []error{ErrUnauthorized, ErrForbidden, ErrNotFound, ErrDecode} {
			assert.Equal(t, s == want, errors.Is(e, s), "%d is %v", code, s)
		}
		wrapped := errors.Join(errors.New("ctx"), e)
		var ae *APIError
		require.ErrorAs(t, wrapped, &ae)
		assert.Equal(t, code, ae.StatusCode)
	}
	e := &APIError{StatusCode: 503, Method: "GET", Path: "/api/x", Attempts: 4}
	assert.Equal(t, "vem: GET /api/x: 503 Service Unavailable (after 4 attempts)", e.Error())
}

// smallLogonSession fits the smallest response limit (logonsession.xml
// is about 6 KB).
const smallLogonSession = `<LogonSession xmlns="http://www.veeam.com/ent/v1.0" Type="LogonSession"><UserName>TECH\svc-vem</UserName><SessionId>` + logonSessID + `</SessionId></LogonSession>`

func TestResponseTooLarge(t *testing.T) {
	t.Parallel()
	big := bytes.Repeat([]byte("<a>0123456789</a>"), 640) // ~10 KB
	big = append(append([]byte("<BackupTaskSession>"), big...), []byte("</BackupTaskSession>")...)
	tests := []struct {
		name          string
		status        int
		contentLength bool
	}{
		{"200 with Content-Length", 200, true},
		{"200 chunked", 200, false},
		{"500 with Content-Length", 500, true},
		{"500 chunked", 500, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			em := newFakeEM(t)
			em.logonBody = []byte(smallLogonSession)
			em.serveTaskFunc(seedGUID, func(int, *http.Request) (*http.Response, error) {
				r := mockResp(tt.status, ctXML, nil)
				r.Body = io.NopCloser(bytes.NewReader(big))
				r.ContentLength = -1
				if tt.contentLength {
					r.ContentLength = int64(len(big))
				}
				return r, nil
			})
			c := em.client(t, WithMaxResponseBytes(2048))
			_, err := c.GetBackupTaskSession(context.Background(), seedGUID)
			require.ErrorIs(t, err, ErrResponseTooLarge)
			var te *ResponseTooLargeError
			require.ErrorAs(t, err, &te)
			assert.EqualValues(t, 2048, te.Limit)
			assert.Equal(t, "/api/backupTaskSessions/"+seedGUID, te.Path)
			assert.Equal(t, 1, em.calls(http.MethodGet, em.taskURL(seedGUID)+"?format=Entity"), "not retried")
		})
	}

	t.Run("a body at the limit is fine", func(t *testing.T) {
		t.Parallel()
		em := newFakeEM(t)
		em.logonBody = []byte(smallLogonSession)
		seed := readFixture(t, "backuptasksession.xml")
		em.serveTask(seedGUID, ctXML, seed)
		c := em.client(t, WithMaxResponseBytes(int64(len(seed))))
		_, err := c.GetBackupTaskSession(context.Background(), seedGUID)
		require.NoError(t, err)
	})
}

func TestDecodeErrorAndRequestError(t *testing.T) {
	t.Parallel()
	cause := errors.New("boom")
	de := &DecodeError{Resource: "BackupTaskSession x", Path: "/api/p", ContentType: ctXML, Err: cause}
	assert.ErrorIs(t, de, ErrDecode)
	assert.ErrorIs(t, de, cause)
	assert.Equal(t, "vem: decoding BackupTaskSession x from /api/p (application/xml; charset=utf-8): boom", de.Error())

	re := &RequestError{Method: "GET", Path: "/api/p", Attempts: 3, Err: context.DeadlineExceeded}
	assert.ErrorIs(t, re, context.DeadlineExceeded)
	assert.Equal(t, "vem: GET /api/p: context deadline exceeded (after 3 attempts)", re.Error())
	re.Attempts = 1
	assert.NotContains(t, re.Error(), "attempts")
}

func TestSnippetAndTruncate(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "", snippet(nil, redactor{}))
	assert.Equal(t, "abc", snippet([]byte("\xEF\xBB\xBF  abc \n"), redactor{}))
	long := snippet([]byte(strings.Repeat("€", 100)), redactor{})
	assert.True(t, utf8.ValidString(long))
	assert.True(t, strings.HasSuffix(long, "..."))
	assert.LessOrEqual(t, len(long), 123)
	assert.Equal(t, "a?b", snippet([]byte("a\xffb"), redactor{}))
	assert.Equal(t, "ab", truncate("ab", 2))
	assert.Equal(t, "é...", truncate("éé", 3))
}
