package vemtest_test

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vemkit/vem/vemtest"
)

var guidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func TestRootIsUnauthenticatedAndMatchesEM(t *testing.T) {
	srv := newServer(t, vemtest.WithDataset(0))
	r := get(t, srv, "", "/api/")
	require.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, "application/xml; charset=utf-8", r.header.Get("Content-Type"))
	assert.Equal(t, parseXML(t, readTestdata(t, "enterprisemanager-api-root.xml")), parseXML(t, r.body))
	assert.Contains(t, string(r.body), `Href="`+srv.URL+`/api/sessionMngr/?v=latest"`)

	r = getJSON(t, srv, "", "/api")
	require.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, "application/json; charset=utf-8", r.header.Get("Content-Type"))
	assert.Equal(t, []string{"SupportedVersions", "Links", "Href", "Type"}, jsonKeys(t, r.body))
}

func TestLogon(t *testing.T) {
	for _, v := range []string{"latest", "v1_5", "v1_6", "v1_7", "LATEST"} {
		t.Run(v, func(t *testing.T) {
			srv := newServer(t, vemtest.WithDataset(0))
			r := do(t, srv, request{method: http.MethodPost, path: "/api/sessionMngr/?v=" + v, user: srv.Username, pass: srv.Password})
			require.Equal(t, http.StatusCreated, r.status, string(r.body))
			token := r.header.Get(vemtest.SessionHeader)
			raw, err := base64.StdEncoding.DecodeString(token)
			require.NoError(t, err, "token %q is not base64", token)
			assert.Len(t, raw, 16)
			assert.Equal(t, []string{vemtest.SessionHeader + "=" + token + "; Path=/api"}, r.header.Values("Set-Cookie"))
			assert.Equal(t, "application/xml; charset=utf-8", r.header.Get("Content-Type"))

			doc := parseXML(t, r.body)
			assert.Equal(t, "{http://www.veeam.com/ent/v1.0}LogonSession", doc.Name)
			assert.Equal(t, "LogonSession", doc.Attrs["Type"])
			user, _ := doc.child("UserName")
			assert.Equal(t, srv.Username, user.Text)
			sid, _ := doc.child("SessionId")
			require.Regexp(t, guidRE, sid.Text)
			assert.Equal(t, "/api/logonSessions/"+sid.Text, doc.Attrs["Href"])
			assert.Contains(t, string(r.body), `Href="`+srv.URL+`/api/logonSessions/`+sid.Text+`"`)

			// Same shape as EM's example, link for link.
			want := parseXML(t, readTestdata(t, "logonsession.xml"))
			links, _ := doc.child("Links")
			wantLinks, _ := want.child("Links")
			var got, exp []string
			for _, l := range links.Children {
				got = append(got, l.Attrs["Rel"]+" "+l.Attrs["Type"])
			}
			for _, l := range wantLinks.Children {
				exp = append(exp, l.Attrs["Rel"]+" "+l.Attrs["Type"])
			}
			assert.Subset(t, exp, got)
			assert.Contains(t, got, "Delete ")
			assert.Contains(t, got, "Down BackupTaskSessionReferenceList")
			assert.Contains(t, got, "Down QueryService")
			assert.Equal(t, 1, srv.Stats().Logons)
		})
	}
}

func TestLogonJSON(t *testing.T) {
	for _, tc := range []struct {
		style vemtest.JSONStyle
		keys  []string
		link  []string
	}{
		{vemtest.JSONStyleEM12PascalCase, []string{"UserName", "SessionId", "Links", "Href", "Type"}, []string{"Rel", "Href", "Name", "Type"}},
		{vemtest.JSONStyleEM13CamelCase, []string{"userName", "sessionId", "links", "href", "type"}, []string{"rel", "href", "name", "type"}},
	} {
		t.Run(tc.style.String(), func(t *testing.T) {
			srv := newServer(t, vemtest.WithDataset(0), vemtest.WithJSONStyle(tc.style))
			r := do(t, srv, request{method: http.MethodPost, path: "/api/sessionMngr/?v=latest", user: srv.Username, pass: srv.Password, accept: "application/json"})
			require.Equal(t, http.StatusCreated, r.status)
			assert.Equal(t, tc.keys, jsonKeys(t, r.body))
			var doc map[string]json.RawMessage
			require.NoError(t, json.Unmarshal(r.body, &doc))
			var links []json.RawMessage
			require.NoError(t, json.Unmarshal(doc[tc.keys[2]], &links))
			require.NotEmpty(t, links)
			assert.Equal(t, tc.link, jsonKeys(t, links[0]))
		})
	}
}

func TestLogonRefused(t *testing.T) {
	srv := newServer(t, vemtest.WithDataset(0), vemtest.WithCredentials(`TECH\backup`, "s3cret"))
	require.Equal(t, `TECH\backup`, srv.Username)
	for _, tc := range []struct {
		name   string
		req    request
		status int
	}{
		{"wrong password", request{user: `TECH\backup`, pass: "nope"}, http.StatusUnauthorized},
		{"unknown user", request{user: "vem", pass: "vem-password"}, http.StatusUnauthorized},
		{"no credentials", request{}, http.StatusUnauthorized},
		{"garbage authorization", request{header: map[string]string{"Authorization": "Basic !!!not base64"}}, http.StatusUnauthorized},
		{"bearer", request{header: map[string]string{"Authorization": "Bearer abc"}}, http.StatusUnauthorized},
		{"bad version", request{user: `TECH\backup`, pass: "s3cret", header: map[string]string{}}, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rq := tc.req
			rq.method = http.MethodPost
			rq.path = "/api/sessionMngr/?v=latest"
			if tc.status == http.StatusBadRequest {
				rq.path = "/api/sessionMngr/?v=v9_9"
			}
			r := do(t, srv, rq)
			requireError(t, r, tc.status)
			if tc.status == http.StatusUnauthorized {
				assert.Equal(t, "Basic Realm=RestSvc", r.header.Get("WWW-Authenticate"))
			}
			assert.Empty(t, r.header.Get(vemtest.SessionHeader))
		})
	}
	st := srv.Stats()
	assert.Equal(t, 0, st.Logons)
	assert.Equal(t, 5, st.FailedLogons)
}

func TestTokenRequired(t *testing.T) {
	srv := newServer(t, vemtest.WithDataset(0))
	for _, tc := range []struct {
		name string
		req  request
	}{
		{"missing", request{}},
		{"unknown", request{token: "O9Msj3rq7EGUhtSMBQx+mw=="}},
		{"garbage", request{token: strings.Repeat("~!@#$%^&*() garbage ünïcode ", 100)}},
		{"garbage cookie", request{header: map[string]string{"Cookie": "X-RestSvcSessionId"}}},
		{"json", request{accept: "application/json"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rq := tc.req
			rq.path = "/api/backupTaskSessions/" + vemtest.SeedBackupTaskSessionID
			r := do(t, srv, rq)
			requireError(t, r, http.StatusUnauthorized)
			assert.Equal(t, "Basic Realm=RestSvc", r.header.Get("WWW-Authenticate"))
		})
	}
	assert.Equal(t, 5, srv.Stats().Unauthorized)
}

func TestCookieWinsOverHeader(t *testing.T) {
	srv := newServer(t, vemtest.WithDataset(0))
	token, _ := logon(t, srv)
	path := "/api/backupTaskSessions/" + vemtest.SeedBackupTaskSessionID
	for _, tc := range []struct {
		name           string
		header, cookie string
		status         int
	}{
		{"header only", token, "", http.StatusOK},
		{"cookie only", "", token, http.StatusOK},
		{"valid cookie, stale header", "c3RhbGUgdG9rZW4gISEhIQ==", token, http.StatusOK},
		{"stale cookie, valid header", token, "c3RhbGUgdG9rZW4gISEhIQ==", http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, srv, request{path: path, token: tc.header, cookie: tc.cookie})
			assert.Equal(t, tc.status, r.status, string(r.body))
		})
	}
}

func TestIdleTimeout(t *testing.T) {
	clock := vemtest.NewClock(testNow)
	srv := newServer(t, vemtest.WithDataset(0), vemtest.WithClock(clock.Now), vemtest.WithIdleTimeout(time.Minute))
	token, _ := logon(t, srv)
	path := "/api/backupTaskSessions/" + vemtest.SeedBackupTaskSessionID

	for range 3 { // each use restarts the idle timer
		clock.Add(59 * time.Second)
		require.Equal(t, http.StatusOK, get(t, srv, token, path).status)
	}
	clock.Add(time.Minute)
	msg := requireError(t, get(t, srv, token, path), http.StatusUnauthorized)
	assert.Contains(t, msg, "expired")
	requireError(t, get(t, srv, token, path), http.StatusUnauthorized)
	st := srv.Stats()
	assert.Equal(t, 1, st.Expirations, "an expired session is counted once")
	assert.Equal(t, 2, st.Unauthorized)

	// Logging on again works, and sweeps nothing more.
	token2, _ := logon(t, srv)
	assert.Equal(t, http.StatusOK, get(t, srv, token2, path).status)
	assert.Equal(t, 1, srv.Stats().Expirations)
}

func TestIdleTimeoutSweptAtLogon(t *testing.T) {
	clock := vemtest.NewClock(testNow)
	srv := newServer(t, vemtest.WithDataset(0), vemtest.WithClock(clock.Now), vemtest.WithIdleTimeout(time.Minute))
	old, _ := logon(t, srv)
	clock.Add(2 * time.Minute)
	logon(t, srv) // drops the idle session
	assert.Equal(t, 1, srv.Stats().Expirations)
	requireError(t, get(t, srv, old, "/api/logonSessions"), http.StatusUnauthorized)
	assert.Equal(t, 1, srv.Stats().Expirations)
}

func TestDefaultIdleTimeoutIs15Minutes(t *testing.T) {
	clock := vemtest.NewClock(testNow)
	srv := newServer(t, vemtest.WithDataset(0), vemtest.WithClock(clock.Now))
	token, _ := logon(t, srv)
	clock.Add(15*time.Minute - time.Second)
	require.Equal(t, http.StatusOK, get(t, srv, token, "/api/logonSessions").status)
	clock.Add(15 * time.Minute)
	requireError(t, get(t, srv, token, "/api/logonSessions"), http.StatusUnauthorized)
}

func TestExpireSessions(t *testing.T) {
	srv := newServer(t, vemtest.WithDataset(0))
	t1, _ := logon(t, srv)
	t2, _ := logon(t, srv)
	srv.ExpireSessions()
	for _, tok := range []string{t1, t2} {
		requireError(t, get(t, srv, tok, "/api/logonSessions"), http.StatusUnauthorized)
	}
	t3, _ := logon(t, srv)
	assert.Equal(t, http.StatusOK, get(t, srv, t3, "/api/logonSessions").status)
	st := srv.Stats()
	assert.Equal(t, 2, st.Expirations)
	assert.Equal(t, 3, st.Logons)
}

func TestLogonSessionsAndLogout(t *testing.T) {
	srv := newServer(t, vemtest.WithDataset(0))
	token, sid := logon(t, srv)
	otherToken, otherSID := logon(t, srv)

	// The list holds only the caller's session.
	r := get(t, srv, token, "/api/logonSessions")
	require.Equal(t, http.StatusOK, r.status)
	doc := parseXML(t, r.body)
	assert.Equal(t, "{http://www.veeam.com/ent/v1.0}LogonSessions", doc.Name)
	require.Len(t, doc.Children, 1)
	id, _ := doc.Children[0].child("SessionId")
	assert.Equal(t, sid, id.Text)

	r = getJSON(t, srv, token, "/api/logonSessions")
	var list struct{ LogonSessions []struct{ SessionID string } }
	require.NoError(t, json.Unmarshal(r.body, &list))
	require.Len(t, list.LogonSessions, 1)
	assert.Equal(t, sid, list.LogonSessions[0].SessionID)

	// Own session by ID, in upper case too; another's is not found.
	assert.Equal(t, http.StatusOK, get(t, srv, token, "/api/logonSessions/"+strings.ToUpper(sid)).status)
	requireError(t, get(t, srv, token, "/api/logonSessions/"+otherSID), http.StatusNotFound)

	// Deleting another's or a missing session fails and leaves it alone.
	requireError(t, do(t, srv, request{method: http.MethodDelete, path: "/api/logonSessions/" + otherSID, token: token}), http.StatusNotFound)
	requireError(t, do(t, srv, request{method: http.MethodDelete, path: "/api/logonSessions/00000000-0000-0000-0000-000000000000", token: token}), http.StatusNotFound)
	assert.Equal(t, http.StatusOK, get(t, srv, otherToken, "/api/logonSessions").status)

	r = do(t, srv, request{method: http.MethodDelete, path: "/api/logonSessions/" + sid, token: token})
	require.Equal(t, http.StatusNoContent, r.status)
	assert.Empty(t, r.body)
	requireError(t, get(t, srv, token, "/api/logonSessions"), http.StatusUnauthorized)
	assert.Equal(t, http.StatusOK, get(t, srv, otherToken, "/api/logonSessions").status)

	st := srv.Stats()
	assert.Equal(t, 1, st.Logouts)
	assert.Equal(t, 2, st.Logons)
	assert.Equal(t, 0, st.Expirations)
}

func TestForbiddenUser(t *testing.T) {
	srv := newServer(t, vemtest.WithDataset(0), vemtest.WithForbiddenUser("viewer", "pw"), vemtest.WithUser("ops", "pw2"))
	r := do(t, srv, request{method: http.MethodPost, path: "/api/sessionMngr/?v=latest", user: "viewer", pass: "pw"})
	require.Equal(t, http.StatusCreated, r.status)
	token := r.header.Get(vemtest.SessionHeader)
	for _, p := range []string{
		"/api/backupTaskSessions",
		"/api/backupTaskSessions/" + vemtest.SeedBackupTaskSessionID,
		"/api/query?type=BackupTaskSession",
		"/api/backupServers/" + vemtest.SeedBackupServerID,
	} {
		requireError(t, get(t, srv, token, p), http.StatusForbidden)
	}
	assert.Equal(t, http.StatusOK, get(t, srv, token, "/api/logonSessions").status)
	assert.Equal(t, 4, srv.Stats().Forbidden)

	r = do(t, srv, request{method: http.MethodPost, path: "/api/sessionMngr/", user: "ops", pass: "pw2"})
	require.Equal(t, http.StatusCreated, r.status)
	assert.Equal(t, http.StatusOK, get(t, srv, r.header.Get(vemtest.SessionHeader), "/api/backupTaskSessions").status)
}

func TestErrorsAndNegotiation(t *testing.T) {
	srv := newServer(t, vemtest.WithDataset(0))
	token, _ := logon(t, srv)
	for _, tc := range []struct {
		name   string
		method string
		path   string
		status int
	}{
		{"unknown path", http.MethodGet, "/api/nothingHere", http.StatusNotFound},
		{"outside api", http.MethodGet, "/", http.StatusNotFound},
		{"unknown ID", http.MethodGet, "/api/backupTaskSessions/00000000-0000-0000-0000-000000000000", http.StatusNotFound},
		{"unknown job session", http.MethodGet, "/api/backupSessions/00000000-0000-0000-0000-000000000000?format=Entity", http.StatusNotFound},
		{"unknown server", http.MethodGet, "/api/backupServers/00000000-0000-0000-0000-000000000000", http.StatusNotFound},
		{"unknown restore point", http.MethodGet, "/api/vmRestorePoints/00000000-0000-0000-0000-000000000000", http.StatusNotFound},
		{"unknown job session tasks", http.MethodGet, "/api/backupSessions/00000000-0000-0000-0000-000000000000/taskSessions", http.StatusNotFound},
		{"malformed ID", http.MethodGet, "/api/backupTaskSessions/not-a-guid", http.StatusBadRequest},
		{"UID as ID", http.MethodGet, "/api/backupTaskSessions/urn:veeam:BackupTaskSession:" + vemtest.SeedBackupTaskSessionID, http.StatusBadRequest},
		{"bad format", http.MethodGet, "/api/backupTaskSessions/" + vemtest.SeedBackupTaskSessionID + "?format=Bogus", http.StatusBadRequest},
		{"bad query", http.MethodGet, "/api/query?type=BackupTaskSession&filter=Nope==1", http.StatusBadRequest},
		{"delete list", http.MethodDelete, "/api/backupTaskSessions", http.StatusMethodNotAllowed},
		{"post query", http.MethodPost, "/api/query?type=BackupTaskSession", http.StatusMethodNotAllowed},
		{"put entity", http.MethodPut, "/api/backupTaskSessions/" + vemtest.SeedBackupTaskSessionID, http.StatusMethodNotAllowed},
		{"get logon", http.MethodGet, "/api/sessionMngr/?v=latest", http.StatusMethodNotAllowed},
		{"post root", http.MethodPost, "/api/", http.StatusMethodNotAllowed},
	} {
		for _, accept := range []string{"", "*/*", "application/xml", "application/json", "text/html, application/json;q=0.9", "garbage;;;,"} {
			t.Run(tc.name+"/"+accept, func(t *testing.T) {
				r := do(t, srv, request{method: tc.method, path: tc.path, token: token, accept: accept})
				requireError(t, r, tc.status)
				wantJSON := strings.Contains(accept, "application/json")
				assert.Equal(t, wantJSON, strings.HasPrefix(r.header.Get("Content-Type"), "application/json"))
				if tc.status == http.StatusMethodNotAllowed {
					assert.NotEmpty(t, r.header.Get("Allow"))
				}
			})
		}
	}
}

func TestErrorBodyShape(t *testing.T) {
	for _, tc := range []struct {
		style vemtest.JSONStyle
		keys  []string
	}{
		{vemtest.JSONStyleEM12PascalCase, []string{"FirstChanceExceptionMessage", "Message", "StackTrace", "Status", "StatusCode"}},
		{vemtest.JSONStyleEM13CamelCase, []string{"firstChanceExceptionMessage", "message", "stackTrace", "status", "statusCode"}},
	} {
		t.Run(tc.style.String(), func(t *testing.T) {
			srv := newServer(t, vemtest.WithDataset(0), vemtest.WithJSONStyle(tc.style))
			r := getJSON(t, srv, "", "/api/backupTaskSessions")
			require.Equal(t, http.StatusUnauthorized, r.status)
			assert.Equal(t, tc.keys, jsonKeys(t, r.body))
			var m map[string]any
			require.NoError(t, json.Unmarshal(r.body, &m))
			assert.Nil(t, m[tc.keys[0]])
			assert.Equal(t, float64(401), m[tc.keys[4]])
		})
	}

	// XML: as EM's sample, attribute for attribute.
	srv := newServer(t, vemtest.WithDataset(0))
	r := get(t, srv, "", "/api/backupTaskSessions")
	got := parseXML(t, r.body)
	want := parseXML(t, readTestdata(t, "error-500-v95u4.xml"))
	assert.Equal(t, want.shape(), got.shape())
	assert.Equal(t, "401", got.Attrs["StatusCode"])
}

func TestWithoutTLS(t *testing.T) {
	srv := newServer(t, vemtest.WithDataset(0), vemtest.WithoutTLS())
	require.True(t, strings.HasPrefix(srv.URL, "http://127.0.0.1:"), srv.URL)
	assert.Nil(t, srv.CertificatePEM())
	token, _ := logon(t, srv)
	r := get(t, srv, token, "/api/backupTaskSessions/"+vemtest.SeedBackupTaskSessionID)
	require.Equal(t, http.StatusOK, r.status)
	assert.Contains(t, string(r.body), `Href="`+srv.URL+`/api/backupTaskSessions/`)
}

func TestCertificate(t *testing.T) {
	srv := newServer(t, vemtest.WithDataset(0))
	require.True(t, strings.HasPrefix(srv.URL, "https://127.0.0.1:"), srv.URL)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(srv.CertificatePEM()))

	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get(srv.URL + "/api/")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	// The name localhost is in the certificate too.
	tr2 := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "localhost"}}
	defer tr2.CloseIdleConnections()
	resp, err = (&http.Client{Transport: tr2}).Get(srv.URL + "/api/")
	require.NoError(t, err)
	resp.Body.Close()

	// A client that does not trust it fails.
	tr3 := &http.Transport{}
	defer tr3.CloseIdleConnections()
	_, err = (&http.Client{Transport: tr3}).Get(srv.URL + "/api/")
	require.Error(t, err)

	// Client() has no cookie jar.
	assert.Nil(t, srv.Client().Jar)
}

func TestWithAddr(t *testing.T) {
	srv := newServer(t, vemtest.WithDataset(0), vemtest.WithAddr("127.0.0.1:0"))
	assert.Equal(t, http.StatusOK, get(t, srv, "", "/api/").status)
	assert.Panics(t, func() { vemtest.NewServer(vemtest.WithAddr("256.0.0.1:1")) })
}

func TestWithHrefHost(t *testing.T) {
	srv := newServer(t, vemtest.WithDataset(0), vemtest.WithHrefHost("localhost:9398"))
	token, _ := logon(t, srv)
	r := get(t, srv, token, "/api/backupTaskSessions/"+vemtest.SeedBackupTaskSessionID+"?format=Entity")
	require.Equal(t, http.StatusOK, r.status)
	body := string(r.body)
	assert.Contains(t, body, `Href="https://localhost:9398/api/backupTaskSessions/`+vemtest.SeedBackupTaskSessionID+`?format=Entity"`)
	assert.NotContains(t, body, srv.URL)
}

func TestStats(t *testing.T) {
	srv := newServer(t, vemtest.WithDataset(0))
	token, sid := logon(t, srv)
	get(t, srv, token, "/api/query?type=BackupTaskSession")
	get(t, srv, token, "/api/query?type=BackupTaskSession&format=Entities")
	get(t, srv, token, "/api/backupTaskSessions/"+vemtest.SeedBackupTaskSessionID)
	get(t, srv, token, "/api/nowhere")
	do(t, srv, request{method: http.MethodDelete, path: "/api/logonSessions/" + sid, token: token})
	st := srv.Stats()
	assert.Equal(t, 6, st.Requests)
	assert.Equal(t, 1, st.Logons)
	assert.Equal(t, 1, st.Logouts)
	assert.GreaterOrEqual(t, st.ConnectionsOpened, 1)
	assert.Equal(t, map[string]int{
		"POST /api/sessionMngr/":           1,
		"GET /api/query":                   2,
		"GET /api/backupTaskSessions/{ID}": 1,
		"DELETE /api/logonSessions/{ID}":   1,
	}, st.Routes)
	st.Routes["GET /api/query"] = 99 // a snapshot: changing it changes nothing
	assert.Equal(t, 2, srv.Stats().Routes["GET /api/query"])
}

func TestCloseTwice(t *testing.T) {
	srv := vemtest.NewServer(vemtest.WithDataset(0))
	srv.Close()
	srv.Close()
	_, err := srv.Client().Get(srv.URL + "/api/")
	require.Error(t, err)
}
