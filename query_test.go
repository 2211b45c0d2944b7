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

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vemkit/vem/internal/em"
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

func FuzzDecodeQueryPage(f *testing.F) {
	addSeeds(f, "query-backuptasksession.xml", "query-backuptasksession-v12.json")
	f.Fuzz(func(t *testing.T, body []byte, json bool) {
		p, err := taskSessions.decodePage(contentType(json), body, 1)
		if err != nil {
			return
		}
		for _, s := range p.items {
			if s.UID.Kind() != KindBackupTaskSession {
				t.Fatalf("accepted a %q UID", s.UID)
			}
		}
	})
}

// queryType is one queryable type as the generic query tests drive it: an
// entity generator for XML and JSON, and the typed query to run.
type queryType struct {
	typ, collection string
	xmlItem         func(i int) string
	jsonItem        func(i int) map[string]any
	run             func(c *Client, q Query) ([]string, error) // UIDs in order
}

func uidOf(kind string, i int) string {
	return fmt.Sprintf("urn:veeam:%s:%08d-0000-4000-8000-%012d", kind, i, i)
}

func collectUIDs[T any](seq func(yield func(*T, error) bool), uid func(*T) UID) ([]string, error) {
	var out []string
	for v, err := range seq {
		if err != nil {
			return out, err
		}
		out = append(out, string(uid(v)))
	}
	return out, nil
}

func queryTypes() []queryType {
	simple := func(kind string, extraXML string, extraJSON map[string]any) (func(int) string, func(int) map[string]any) {
		return func(i int) string {
				return fmt.Sprintf(`<%[1]s Type="%[1]s" UID="%[2]s" Name="n%[3]d" Href="https://localhost:9398/api/x/%[3]d"><Links/>%[4]s</%[1]s>`, kind, uidOf(kind, i), i, extraXML)
			}, func(i int) map[string]any {
				m := map[string]any{"Type": kind, "UID": uidOf(kind, i), "Name": fmt.Sprintf("n%d", i), "Href": fmt.Sprintf("https://localhost:9398/api/x/%d", i), "Links": []any{}}
				for k, v := range extraJSON {
					m[k] = v
				}
				return m
			}
	}
	var out []queryType
	x, j := simple("BackupJobSession", "<JobName>J</JobName><IsRetry>true</IsRetry><State>Stopped</State>", map[string]any{"IsRetry": true, "JobName": "J", "FailureMessage": nil, "State": "Stopped"})
	out = append(out, queryType{"BackupJobSession", "BackupJobSessions", x, j, func(c *Client, q Query) ([]string, error) {
		return collectUIDs(c.QueryBackupJobSessions(context.Background(), q), func(s *BackupJobSession) UID { return s.UID })
	}})
	x, j = simple("VmRestorePoint", "<CreationTimeUTC>2025-10-20T20:04:07.267Z</CreationTimeUTC><Algorithm>Incremental</Algorithm>", map[string]any{"CreationTimeUTC": "2025-10-20T20:04:07.267Z", "Algorithm": "Incremental"})
	out = append(out, queryType{"VmRestorePoint", "VmRestorePoints", x, j, func(c *Client, q Query) ([]string, error) {
		return collectUIDs(c.QueryVMRestorePoints(context.Background(), q), func(p *VMRestorePoint) UID { return p.UID })
	}})
	x, j = simple("Job", "<JobType>Backup</JobType><Platform>VMware</Platform><ScheduleEnabled>true</ScheduleEnabled>", map[string]any{"JobType": "Backup", "Platform": "VMware", "ScheduleEnabled": true, "NextRun": nil})
	out = append(out, queryType{"Job", "Jobs", x, j, func(c *Client, q Query) ([]string, error) {
		return collectUIDs(c.QueryJobs(context.Background(), q), func(j *Job) UID { return j.UID })
	}})
	x, j = simple("BackupTaskSession", "<State>Completed</State>", map[string]any{"State": "Completed"})
	out = append(out, queryType{"BackupTaskSession", "BackupTaskSessions", x, j, func(c *Client, q Query) ([]string, error) {
		return collectUIDs(c.QueryBackupTaskSessions(context.Background(), q), func(s *BackupTaskSession) UID { return s.UID })
	}})
	return out
}

// serveQuery answers the query service for one type with n objects in pages,
// in XML or EM 12 / EM 13 JSON (with EM's null collections beside the one
// that holds the page). It records the pages asked for.
func serveQuery(t *testing.T, mt *httpmock.MockTransport, qt queryType, n int, style string) *[]int {
	var mu sync.Mutex
	pages := &[]int{}
	mt.RegisterResponder("GET", `=~^`+testBase+`/api/query\?`, func(r *http.Request) (*http.Response, error) {
		q := r.URL.Query()
		if q.Get("type") != qt.typ || q.Get("format") != "Entities" {
			return mockResp(400, ctXML, []byte(`<Error Message="bad type" StatusCode="400" xmlns="http://www.veeam.com/ent/v1.0"/>`)), nil
		}
		page, _ := strconv.Atoi(q.Get("page"))
		size, _ := strconv.Atoi(q.Get("pageSize"))
		mu.Lock()
		*pages = append(*pages, page)
		mu.Unlock()
		count := max(1, (n+size-1)/size)
		lo, hi := min((page-1)*size, n), min(page*size, n)
		if style == "xml" {
			var b strings.Builder
			b.WriteString(`<QueryResult xmlns="http://www.veeam.com/ent/v1.0"><Entities><Jobs/><` + qt.collection + `>`)
			for i := lo; i < hi; i++ {
				b.WriteString(qt.xmlItem(i))
			}
			fmt.Fprintf(&b, `</%s><RestoreSessions/></Entities><PagingInfo PagesCount="%d" PageSize="%d" PageNum="%d"/></QueryResult>`, qt.collection, count, size, page)
			return mockResp(200, ctXML, []byte(b.String())), nil
		}
		items := []any{}
		for i := lo; i < hi; i++ {
			items = append(items, qt.jsonItem(i))
		}
		ents := map[string]any{"Jobs": nil, "BackupJobSessions": nil, "VmRestorePoints": nil, "RestoreSessions": nil}
		ents[qt.collection] = map[string]any{qt.collection: items}
		var doc any = map[string]any{"Refs": nil, "Entities": ents, "PagingInfo": map[string]any{"PageNum": page, "PageSize": size, "PagesCount": count, "Links": nil}}
		if style == "em13" {
			doc = camel(doc)
		}
		return mockResp(200, ctJSON, mustJSON(t, doc)), nil
	})
	return pages
}

// One pager serves every queryable type: each reads every page, in order,
// in XML and both JSON casings, at any concurrency.
func TestQueryEveryType(t *testing.T) {
	for _, qt := range queryTypes() {
		for _, style := range []string{"xml", "em12", "em13"} {
			for _, conc := range []int{1, 3} {
				t.Run(fmt.Sprintf("%s/%s/conc=%d", qt.typ, style, conc), func(t *testing.T) {
					c, mt := newMockClient(t)
					pages := serveQuery(t, mt, qt, 25, style)
					got, err := qt.run(c, Query{PageSize: 10, Concurrency: conc, Filter: Eq("Name", "x y"), SortDesc: "Name"})
					require.NoError(t, err)
					want := make([]string, 25)
					for i := range want {
						want[i] = uidOf(qt.typ, i)
					}
					assert.Equal(t, want, got)
					assert.ElementsMatch(t, []int{1, 2, 3}, *pages)
				})
			}
		}
	}
}

// A page that holds another collection than the one asked for is a
// *DecodeError, never an empty result.
func TestQueryWrongCollectionIsDecodeError(t *testing.T) {
	types := queryTypes()
	for i, qt := range types {
		served := types[(i+1)%len(types)]
		served.typ = qt.typ // the server answers the query, with the wrong collection
		for _, style := range []string{"xml", "em12", "em13"} {
			t.Run(qt.typ+"/"+style, func(t *testing.T) {
				c, mt := newMockClient(t)
				serveQuery(t, mt, served, 3, style)
				got, err := qt.run(c, Query{PageSize: 10})
				assert.Empty(t, got)
				var de *DecodeError
				require.ErrorAs(t, err, &de)
				assert.ErrorIs(t, err, ErrDecode)
			})
		}
	}
}

// A server that announces far more pages than it has cannot keep the pager
// going: it stops at the first empty page and at the smallest page count
// any page gave.
func TestQueryServerLiesAboutPagesCount(t *testing.T) {
	for _, tt := range []struct {
		name      string
		counts    func(page int) int // PagesCount the page announces
		items     func(page int) int // objects on the page
		wantItems int
		maxPages  int
	}{
		{"huge count, empty later pages", func(int) int { return 1 << 30 }, func(p int) int { return map[bool]int{true: 2, false: 0}[p <= 3] }, 6, 4 + 3},
		{"count shrinks", func(p int) int { return map[bool]int{true: 1000, false: 3}[p == 1] }, func(int) int { return 2 }, 6, 3 + 4},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, mt := newMockClient(t)
			var requests atomic.Int32
			mt.RegisterResponder("GET", `=~^`+testBase+`/api/query\?`, func(r *http.Request) (*http.Response, error) {
				requests.Add(1)
				page, _ := strconv.Atoi(r.URL.Query().Get("page"))
				var b strings.Builder
				b.WriteString(`<QueryResult xmlns="http://www.veeam.com/ent/v1.0"><Entities><Jobs>`)
				for i := 0; i < tt.items(page); i++ {
					fmt.Fprintf(&b, `<Job Type="Job" UID="%s" Name="j"/>`, uidOf("Job", page*100+i))
				}
				fmt.Fprintf(&b, `</Jobs></Entities><PagingInfo PagesCount="%d" PageSize="2" PageNum="%d"/></QueryResult>`, tt.counts(page), page)
				return mockResp(200, ctXML, []byte(b.String())), nil
			})
			n := 0
			for _, err := range c.QueryJobs(context.Background(), Query{PageSize: 2, Concurrency: 4}) {
				require.NoError(t, err)
				n++
			}
			assert.Equal(t, tt.wantItems, n)
			assert.LessOrEqual(t, int(requests.Load()), tt.maxPages, "requests stay bounded")
		})
	}
}

// QueryRawPages passes each page on untouched, with the typed queries' pager.
func TestQueryRawPages(t *testing.T) {
	qt := queryTypes()[0]
	for _, style := range []string{"xml", "em12"} {
		t.Run(style, func(t *testing.T) {
			c, mt := newMockClient(t)
			pages := serveQuery(t, mt, qt, 25, style)
			f := map[string]Format{"xml": FormatXML, "em12": FormatJSON}[style]
			var got []int
			for p, err := range c.QueryRawPages(context.Background(), qt.typ, RepresentationEntities, Query{PageSize: 10, Concurrency: 2}, f) {
				require.NoError(t, err)
				got = append(got, p.Page)
				assert.Equal(t, 3, p.PagesCount)
				assert.Equal(t, map[int]int{1: 10, 2: 10, 3: 5}[p.Page], p.Items)
				assert.Contains(t, string(p.Body), uidOf(qt.typ, (p.Page-1)*10))
				assert.Contains(t, p.ContentType, map[string]string{"xml": "xml", "em12": "json"}[style])
			}
			assert.Equal(t, []int{1, 2, 3}, got)
			assert.ElementsMatch(t, []int{1, 2, 3}, *pages)
		})
	}
	c, mt := newMockClient(t)
	for _, err := range c.QueryRawPages(context.Background(), "Bad Type", RepresentationReferences, Query{}, "") {
		assert.Error(t, err)
	}
	for _, err := range c.QueryRawPages(context.Background(), "Job", RepresentationReferences, Query{}, "yaml") {
		assert.Error(t, err)
	}
	assert.Zero(t, mt.GetTotalCallCount())
}

// The query field constants of every resource are exactly the fields EM
// documents for its query type, in EM's spelling.
func TestQueryFieldConstantsMatchEM(t *testing.T) {
	tests := []struct {
		qt     em.QueryType
		fields []Field
	}{
		{em.BackupTaskSessionQuery(), []Field{BackupTaskSessionFieldUID, BackupTaskSessionFieldName, BackupTaskSessionFieldCreationTime, BackupTaskSessionFieldEndTime,
			BackupTaskSessionFieldState, BackupTaskSessionFieldResult, BackupTaskSessionFieldReason, BackupTaskSessionFieldTotalSize, BackupTaskSessionFieldJobSessionUID,
			BackupTaskSessionFieldJobUID, BackupTaskSessionFieldJobName, BackupTaskSessionFieldBackupServerUID, BackupTaskSessionFieldBackupServerName, BackupTaskSessionFieldVMDisplayName}},
		{em.BackupJobSessionQuery(), []Field{BackupJobSessionFieldUID, BackupJobSessionFieldName, BackupJobSessionFieldJobType, BackupJobSessionFieldJobUID, BackupJobSessionFieldJobName,
			BackupJobSessionFieldCreationTime, BackupJobSessionFieldEndTime, BackupJobSessionFieldState, BackupJobSessionFieldResult, BackupJobSessionFieldIsRetry,
			BackupJobSessionFieldBackupServerUID, BackupJobSessionFieldBackupServerName}},
		{em.VMRestorePointQuery(), []Field{VMRestorePointFieldUID, VMRestorePointFieldName, VMRestorePointFieldCreationTime, VMRestorePointFieldType,
			VMRestorePointFieldAlgorithm, VMRestorePointFieldRestorePointID, VMRestorePointFieldRestorePointName, VMRestorePointFieldVMDisplayName,
			VMRestorePointFieldBackupServerUID, VMRestorePointFieldBackupServerName}},
		{em.JobQuery(), []Field{JobFieldUID, JobFieldName, JobFieldDescription, JobFieldNextRun, JobFieldJobType, JobFieldPlatform,
			JobFieldScheduleConfigured, JobFieldScheduleEnabled, JobFieldBackupServerUID, JobFieldBackupServerName}},
	}
	for _, tt := range tests {
		names := make([]string, len(tt.fields))
		for i, f := range tt.fields {
			names[i] = string(f)
		}
		assert.Equal(t, tt.qt.FieldNames(), names, tt.qt.Name)
	}
	assert.Equal(t, em.BackupTaskSessionQuery(), taskSessions.query)
	assert.Equal(t, em.BackupJobSessionQuery(), jobSessions.query)
	assert.Equal(t, em.VMRestorePointQuery(), vmRestorePoints.query)
	assert.Equal(t, em.JobQuery(), jobs.query)
}

func TestQueryEncode(t *testing.T) {
	s, err := Query{Filter: Eq(JobFieldName, "Fileserver Backup"), SortAsc: JobFieldName, PageSize: 5}.Encode("Job", "Entities", 2)
	require.NoError(t, err)
	assert.Equal(t, "type=Job&format=Entities&filter=Name%3D%3D%22Fileserver%20Backup%22&sortAsc=Name&pageSize=5&page=2", s)
	for _, bad := range []struct {
		q    Query
		typ  string
		page int
	}{{Query{}, "Job", 0}, {Query{}, "a b", 1}, {Query{PageSize: -1}, "Job", 1}, {Query{Filter: Eq("Name", struct{}{})}, "Job", 1}} {
		_, err := bad.q.Encode(bad.typ, "", bad.page)
		assert.Error(t, err, "%+v", bad)
	}
}

// An empty result is still one page, so that a tool passing EM's documents
// on has one to pass.
func TestQueryRawEmptyResult(t *testing.T) {
	c, mt := newMockClient(t)
	serveQuery(t, mt, queryTypes()[2], 0, "xml")
	var pages []*RawPage
	for p, err := range c.QueryRawPages(context.Background(), "Job", RepresentationEntities, Query{PageSize: 10}, FormatXML) {
		require.NoError(t, err)
		pages = append(pages, p)
	}
	require.Len(t, pages, 1)
	assert.Equal(t, 0, pages[0].Items)
	assert.Contains(t, string(pages[0].Body), "<QueryResult")
}

// The JSON walker of query pages takes members apart in place: strings
// with escaped quotes and braces, nesting, any key case; broken objects are
// errors, never a panic.
func TestEachJSONField(t *testing.T) {
	type kv struct{ k, v string }
	walk := func(s string) ([]kv, error) {
		var out []kv
		err := eachJSONField([]byte(s), func(k, v []byte) error {
			out = append(out, kv{string(k), string(v)})
			return nil
		})
		return out, err
	}
	got, err := walk(` { "a" : "x\"}{" , "B":{"c":[1,{"d":"]"}]} ,"e":null,"f":-1.5e3,"g":true } `)
	require.NoError(t, err)
	assert.Equal(t, []kv{{"a", `"x\"}{"`}, {"B", `{"c":[1,{"d":"]"}]}`}, {"e", "null"}, {"f", "-1.5e3"}, {"g", "true"}}, got)
	for _, s := range []string{`null`, `{}`, ` { } `} {
		got, err := walk(s)
		require.NoError(t, err, s)
		assert.Empty(t, got, s)
	}
	for _, bad := range []string{``, `[]`, `{`, `{"a"`, `{"a":}`, `{"a":1`, `{"a":1,}`, `{"a":"x}`, `{"a":{"b":1}`, `{a:1}`, `{"a":1 "b":2}`, `nullx`} {
		_, err := walk(bad)
		assert.Error(t, err, bad)
	}
	assert.True(t, asciiEqualFold([]byte("backupTaskSessions"), "BackupTaskSessions"))
	assert.False(t, asciiEqualFold([]byte("BackupTaskSession"), "BackupTaskSessions"))
}
