package vem

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"unicode"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pageServer is an httpmock-backed query service over n generated task
// sessions, in XML or in EM 12 / EM 13 JSON.
type pageServer struct {
	n        int
	style    string // "xml", "em12", "em13"
	requests atomic.Int32
	logons   atomic.Int32
	mu       sync.Mutex
	pages    []int
	// failPage answers that page with failStatus (once when failOnce).
	failPage   int
	failStatus int
	failOnce   bool
	failed     atomic.Bool
	token      atomic.Int32
}

func taskGUID(i int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", i) }

func (ps *pageServer) entityXML(i int) string {
	id := taskGUID(i)
	return fmt.Sprintf(`<BackupTaskSession Type="BackupTaskSession" Href="https://localhost:9398/api/backupTaskSessions/%[1]s?format=Entity" Name="vm%[2]d@2025-06-05 01:04:29" VmDisplayName="vm%[2]d" UID="urn:veeam:BackupTaskSession:%[1]s"><Links><Link Rel="Up" Type="BackupJobSessionReference" Href="https://localhost:9398/api/backupSessions/35c24055-bdee-4e43-b655-a42de408d2ec" Name="Backup Job 1"/></Links><JobSessionUid>urn:veeam:BackupJobSession:35c24055-bdee-4e43-b655-a42de408d2ec</JobSessionUid><CreationTimeUTC>2025-06-05T01:04:29.56Z</CreationTimeUTC><State>Completed</State><Result>Failed</Result><Reason>r%[2]d</Reason><TotalSize>%[2]d</TotalSize></BackupTaskSession>`, id, i)
}

func (ps *pageServer) entityJSON(i int) map[string]any {
	id := taskGUID(i)
	return map[string]any{
		"JobSessionUid": "urn:veeam:BackupJobSession:35c24055-bdee-4e43-b655-a42de408d2ec", "CreationTimeUTC": "2025-06-05T01:04:29.56Z",
		"State": "Completed", "Result": "Failed", "Reason": fmt.Sprintf("r%d", i), "TotalSize": i, "VmUid": nil,
		"VmDisplayName": fmt.Sprintf("vm%d", i), "Name": fmt.Sprintf("vm%d@2025-06-05 01:04:29", i),
		"UID": "urn:veeam:BackupTaskSession:" + id, "Href": "https://localhost:9398/api/backupTaskSessions/" + id + "?format=Entity", "Type": "BackupTaskSession",
		"Links": []any{map[string]any{"Rel": "Up", "Type": "BackupJobSessionReference", "Href": "https://localhost:9398/api/backupSessions/35c24055-bdee-4e43-b655-a42de408d2ec", "Name": "Backup Job 1"}},
	}
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

func (ps *pageServer) install(t *testing.T, mt *httpmock.MockTransport) {
	t.Helper()
	mt.RegisterResponder("POST", testBase+"/api/sessionMngr/?v=latest", func(r *http.Request) (*http.Response, error) {
		ps.logons.Add(1)
		tok := ps.token.Add(1)
		resp := httpmock.NewStringResponse(201, `<LogonSession xmlns="http://www.veeam.com/ent/v1.0"><SessionId>15a3fc97-0325-4119-b789-5c0367c6c565</SessionId></LogonSession>`)
		resp.Header.Set("Content-Type", "application/xml; charset=utf-8")
		resp.Header.Set(sessionHeader, "tok"+strconv.Itoa(int(tok)))
		return resp, nil
	})
	mt.RegisterResponder("GET", `=~^`+testBase+`/api/query\?`, func(r *http.Request) (*http.Response, error) {
		ps.requests.Add(1)
		q := r.URL.Query()
		if q.Get("type") != "BackupTaskSession" || q.Get("format") != "Entities" {
			return httpmock.NewStringResponse(400, "bad query"), nil
		}
		page, _ := strconv.Atoi(q.Get("page"))
		size := 100
		if s := q.Get("pageSize"); s != "" {
			size, _ = strconv.Atoi(s)
		}
		ps.mu.Lock()
		ps.pages = append(ps.pages, page)
		ps.mu.Unlock()
		if r.Header.Get(sessionHeader) != "tok"+strconv.Itoa(int(ps.token.Load())) {
			resp := httpmock.NewStringResponse(401, `<Error Message="expired" StatusCode="401" xmlns="http://www.veeam.com/ent/v1.0"/>`)
			resp.Header.Set("Content-Type", "application/xml")
			return resp, nil
		}
		if page == ps.failPage && (!ps.failOnce || !ps.failed.Swap(true)) {
			if ps.failStatus == 401 {
				ps.token.Add(1000) // expire the session
			}
			resp := httpmock.NewStringResponse(ps.failStatus, `<Error Message="injected" StatusCode="`+strconv.Itoa(ps.failStatus)+`" xmlns="http://www.veeam.com/ent/v1.0"/>`)
			resp.Header.Set("Content-Type", "application/xml")
			return resp, nil
		}
		pagesCount := (ps.n + size - 1) / size
		if pagesCount == 0 {
			pagesCount = 1
		}
		lo, hi := (page-1)*size, min(page*size, ps.n)
		var resp *http.Response
		if ps.style == "xml" {
			var b strings.Builder
			b.WriteString(`<QueryResult xmlns="http://www.veeam.com/ent/v1.0"><Entities><BackupTaskSessions>`)
			for i := lo; i < hi; i++ {
				b.WriteString(ps.entityXML(i))
			}
			fmt.Fprintf(&b, `</BackupTaskSessions></Entities><PagingInfo PagesCount="%d" PageSize="%d" PageNum="%d"><Links/></PagingInfo></QueryResult>`, pagesCount, size, page)
			resp = httpmock.NewStringResponse(200, b.String())
			resp.Header.Set("Content-Type", "application/xml; charset=utf-8")
		} else {
			items := []any{}
			for i := lo; i < hi; i++ {
				items = append(items, ps.entityJSON(i))
			}
			var ents any = map[string]any{"BackupTaskSessions": map[string]any{"BackupTaskSessions": items}, "Jobs": nil}
			if ps.n == 0 {
				ents = map[string]any{"BackupTaskSessions": nil}
			}
			var doc any = map[string]any{"Refs": nil, "Entities": ents, "PagingInfo": map[string]any{"Links": []any{}, "PageNum": page, "PageSize": size, "PagesCount": pagesCount}}
			if ps.style == "em13" {
				doc = camel(doc)
			}
			body, _ := json.Marshal(doc)
			resp = httpmock.NewBytesResponse(200, body)
			resp.Header.Set("Content-Type", "application/json; charset=utf-8")
		}
		return resp, nil
	})
}

func collect(t *testing.T, c *Client, q Query) ([]*BackupTaskSession, []error) {
	t.Helper()
	var got []*BackupTaskSession
	var errs []error
	for ts, err := range c.QueryBackupTaskSessions(context.Background(), q) {
		if err != nil {
			require.Nil(t, ts)
			errs = append(errs, err)
			continue
		}
		got = append(got, ts)
	}
	return got, errs
}

func TestQueryBackupTaskSessionsPaging(t *testing.T) {
	for _, style := range []string{"xml", "em12", "em13"} {
		for _, tc := range []struct {
			n, pageSize, conc, wantRequests int
		}{
			{0, 3, 0, 1},
			{1, 3, 0, 1},
			{3, 3, 0, 1},  // exactly a page
			{7, 3, 0, 3},  // many pages, concurrent
			{7, 3, 1, 3},  // many pages, sequential
			{10, 0, 0, 1}, // server default page size
			{250, 0, 2, 3},
		} {
			t.Run(fmt.Sprintf("%s/n=%d/size=%d/conc=%d", style, tc.n, tc.pageSize, tc.conc), func(t *testing.T) {
				c, mt := newMockClient(t, WithFormat(map[bool]Format{true: FormatXML, false: FormatJSON}[style == "xml"]))
				ps := &pageServer{n: tc.n, style: style}
				ps.install(t, mt)
				got, errs := collect(t, c, Query{PageSize: tc.pageSize, Concurrency: tc.conc})
				require.Empty(t, errs)
				require.Len(t, got, tc.n)
				for i, ts := range got {
					require.Equal(t, UID("urn:veeam:BackupTaskSession:"+taskGUID(i)), ts.UID, "order")
					require.Equal(t, int64(i), ts.TotalSize)
					require.Equal(t, ResultFailed, ts.Result)
					require.Equal(t, fmt.Sprintf("vm%d", ts.TotalSize), ts.VMDisplayName)
				}
				assert.Equal(t, int32(tc.wantRequests), ps.requests.Load())
				assert.Equal(t, int32(1), ps.logons.Load())
			})
		}
	}
}

func TestQueryStopsWhenCallerBreaks(t *testing.T) {
	for _, conc := range []int{1, 4} {
		t.Run(fmt.Sprintf("conc=%d", conc), func(t *testing.T) {
			c, mt := newMockClient(t)
			ps := &pageServer{n: 100, style: "xml"}
			ps.install(t, mt)
			n := 0
			for _, err := range c.QueryBackupTaskSessions(context.Background(), Query{PageSize: 10, Concurrency: conc}) {
				require.NoError(t, err)
				n++
				if n == 5 {
					break
				}
			}
			assert.Equal(t, 5, n)
			// Breaking inside the first page: no other page was requested.
			assert.Equal(t, int32(1), ps.requests.Load())

			before := ps.requests.Load()
			n = 0
			for _, err := range c.QueryBackupTaskSessions(context.Background(), Query{PageSize: 10, Concurrency: conc}) {
				require.NoError(t, err)
				n++
				if n == 15 { // inside page 2
					break
				}
			}
			// Page 1, page 2, and at most conc pages fetched ahead.
			assert.LessOrEqual(t, ps.requests.Load()-before, int32(2+conc))
		})
	}
}

func TestQueryYieldsErrorOnceAndStops(t *testing.T) {
	c, mt := newMockClient(t)
	ps := &pageServer{n: 30, style: "xml", failPage: 2, failStatus: 500}
	ps.install(t, mt)
	got, errs := collect(t, c, Query{PageSize: 10, Concurrency: 1})
	require.Len(t, errs, 1)
	assert.Len(t, got, 10)
	var apiErr *APIError
	require.ErrorAs(t, errs[0], &apiErr)
	assert.Equal(t, 500, apiErr.StatusCode)
	assert.Equal(t, "injected", apiErr.Message)
	assert.Equal(t, int32(2), ps.requests.Load(), "no page after the failed one")
}

func TestQueryRelogonMidQuery(t *testing.T) {
	for _, conc := range []int{1, 3} {
		t.Run(fmt.Sprintf("conc=%d", conc), func(t *testing.T) {
			c, mt := newMockClient(t)
			ps := &pageServer{n: 50, style: "em13", failPage: 3, failStatus: 401, failOnce: true}
			ps.install(t, mt)
			got, errs := collect(t, c, Query{PageSize: 10, Concurrency: conc})
			require.Empty(t, errs)
			require.Len(t, got, 50)
			for i, ts := range got {
				require.Equal(t, int64(i), ts.TotalSize)
			}
			assert.Equal(t, int32(2), ps.logons.Load(), "one new logon after the expiry")
		})
	}
}

func TestQueryInvalidSendsNothing(t *testing.T) {
	c, mt := newMockClient(t)
	_, errs := collect(t, c, Query{Filter: Eq("TotalSize", math.NaN())})
	require.Len(t, errs, 1)
	assert.Equal(t, 0, mt.GetTotalCallCount())
}

func TestQueryRequestURL(t *testing.T) {
	c, mt := newMockClient(t)
	ps := &pageServer{n: 1, style: "xml"}
	ps.install(t, mt)
	var seen []string
	mt.RegisterResponder("GET", `=~^`+testBase+`/api/query\?`, func(r *http.Request) (*http.Response, error) {
		seen = append(seen, r.URL.RawQuery)
		resp := httpmock.NewStringResponse(200, `<QueryResult xmlns="http://www.veeam.com/ent/v1.0"/>`)
		resp.Header.Set("Content-Type", "application/xml")
		return resp, nil
	})
	q := Query{Filter: And(Eq("JobName", "Fileserver Backup"), Eq("Reason", `a;b,c="d"`)), SortAsc: "CreationTime", PageSize: 5}
	got, errs := collect(t, c, q)
	require.Empty(t, errs)
	require.Empty(t, got)
	require.Len(t, seen, 1)
	// The server side sees exactly the rendered filter.
	vals, err := parseQuery(seen[0])
	require.NoError(t, err)
	assert.Equal(t, `JobName=="Fileserver Backup";Reason=="a;b,c=""d"""`, vals["filter"])
	assert.Equal(t, "CreationTime", vals["sortAsc"])
	assert.Equal(t, "5", vals["pageSize"])
	assert.NotContains(t, seen[0], "+", "spaces are sent as %20")
}

func parseQuery(raw string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range strings.Split(raw, "&") {
		k, v, _ := strings.Cut(kv, "=")
		uv, err := urlUnescape(v)
		if err != nil {
			return nil, err
		}
		out[k] = uv
	}
	return out, nil
}

func urlUnescape(s string) (string, error) { return url.PathUnescape(s) }
