package vemtest_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vemkit/vem"
	"github.com/vemkit/vem/vemtest"
)

// The query fixture: five task sessions with known values, plus the seed
// ("S"). Labels are the last character of their GUIDs.
//
//	label VM           job session / job                    created           state      result   size         reason
//	A     alpha        JS1 Fileserver "A" Backup (srv02)    2025-01-01 10:00  Completed  Success  100          ""
//	B     beta         JS1                                  2025-01-02 10:00.5 Completed Warning  5000000000   disk "C" & <x>
//	C     gamma delta  JS2 Oracle Backup (srv02)            2025-01-03 10:00  Completed  Failed   0            Échec ...
//	D     alpha        JS2                                  2025-01-04 10:00  InProgress None     10           ""
//	E     epsilon      JS3 Other Job (third.example)        2025-01-05 10:00  Pending    None     0            ""
//	S     AnT_VM2      the seed                             2025-10-11 20:06  Completed  Success  12884901888  ""
const (
	srv02ID  = "ce15a8c7-aa49-495e-b05b-ee3398c91018"
	thirdID  = "30000000-0000-4000-8000-000000000003"
	jsPrefix = "20000000-0000-4000-8000-00000000000"
	tsPrefix = "10000000-0000-4000-8000-00000000000"
)

func fixtureServer(t testing.TB, opts ...vemtest.Option) (*vemtest.Server, string) {
	t.Helper()
	srv := newServer(t, append([]vemtest.Option{vemtest.WithDataset(0)}, opts...)...)
	type task struct {
		label, vm, js string
		created       time.Time
		state         vem.State
		result        vem.Result
		size          int64
		reason        string
	}
	day := func(d int) time.Time { return time.Date(2025, 1, d, 10, 0, 0, 0, time.UTC) }
	jobSessions := map[string][3]string{ // label -> job name, server ID, server name
		"1": {`Fileserver "A" Backup`, srv02ID, "srv02.tech.local"},
		"2": {"Oracle Backup", srv02ID, "srv02.tech.local"},
		"3": {"Other Job", thirdID, "third.example"},
	}
	for _, tk := range []task{
		{"a", "alpha", "1", day(1), vem.StateCompleted, vem.ResultSuccess, 100, ""},
		{"b", "beta", "1", day(2).Add(500 * time.Millisecond), vem.StateCompleted, vem.ResultWarning, 5_000_000_000, `disk "C" & <x>`},
		{"c", "gamma delta", "2", day(3), vem.StateCompleted, vem.ResultFailed, 0, "Échec de la sauvegarde: disque « plein »"},
		{"d", "alpha", "2", day(4), vem.StateInProgress, vem.ResultNone, 10, ""},
		{"e", "epsilon", "3", day(5), vem.StatePending, vem.ResultNone, 0, ""},
	} {
		js := jobSessions[tk.js]
		ts := vem.BackupTaskSession{
			UID:           vem.UID("urn:veeam:BackupTaskSession:" + tsPrefix + tk.label),
			Name:          tk.vm + "@" + tk.created.Format("2006-01-02 15:04:05"),
			VMDisplayName: tk.vm,
			CreationTime:  tk.created,
			State:         tk.state,
			Result:        tk.result,
			Reason:        tk.reason,
			TotalSize:     tk.size,
			VMUID:         "urn:VMware:Vm:de28dc43-b8ee-4e17-8e63-3d38b6604033.vm-6222" + tk.label,
		}
		ts.Links = vem.Links{
			{Rel: "Up", Type: "BackupServerReference", Href: "https://localhost:9398/api/backupServers/" + js[1], Name: js[2]},
			{Rel: "Up", Type: "BackupJobSessionReference", Href: "https://localhost:9398/api/backupSessions/" + jsPrefix + tk.js, Name: js[0] + "@2025-01-01 09:59:00"},
			{Rel: "Alternate", Type: "BackupTaskSessionReference", Href: "https://localhost:9398/api/backupTaskSessions/" + tsPrefix + tk.label, Name: ts.Name},
		}
		if tk.state == vem.StateCompleted {
			ts.EndTime = tk.created.Add(time.Minute)
		}
		srv.AddBackupTaskSession(ts)
	}
	token, _ := logon(t, srv)
	return srv, token
}

// pagingInfo is the JSON PagingInfo.
type pagingInfo struct {
	Links []struct {
		Rel, Href string
		Name      *string
		Type      *string
	}
	PageNum, PageSize, PagesCount int
}

type queryJSON struct {
	Refs *struct {
		Refs []struct{ UID, Name string }
	}
	Entities *struct {
		BackupTaskSessions struct {
			BackupTaskSessions []struct{ UID, VMDisplayName string }
		}
	}
	PagingInfo pagingInfo
}

// labels runs a query for entities and returns the labels of the result.
func labels(t testing.TB, srv *vemtest.Server, token, rawQuery string) (string, pagingInfo) {
	t.Helper()
	r := getJSON(t, srv, token, "/api/query?type=BackupTaskSession&format=Entities&"+rawQuery)
	require.Equal(t, http.StatusOK, r.status, "%s: %s", rawQuery, r.body)
	var q queryJSON
	require.NoError(t, json.Unmarshal(r.body, &q))
	require.NotNil(t, q.Entities)
	var b strings.Builder
	for _, e := range q.Entities.BackupTaskSessions.BackupTaskSessions {
		b.WriteString(label(e.UID))
	}
	return b.String(), q.PagingInfo
}

func label(uid string) string {
	switch {
	case strings.HasSuffix(uid, vemtest.SeedBackupTaskSessionID):
		return "S"
	case strings.Contains(uid, tsPrefix):
		return strings.ToUpper(uid[len(uid)-1:])
	}
	return "?"
}

func TestQueryFilters(t *testing.T) {
	srv, token := fixtureServer(t)
	for _, tc := range []struct{ filter, want string }{
		{"", "ABCDES"},
		{"VmDisplayName==alpha", "AD"},
		{"VmDisplayName!=alpha", "BCES"},
		{"vmdisplayname==ALPHA", "AD"},
		{"TotalSize>4294967296", "BS"},
		{"TotalSize>=5000000000", "BS"},
		{"TotalSize<100", "CDE"},
		{"TotalSize<=100", "ACDE"},
		{"TotalSize==0", "CE"},
		{"TotalSize!=0", "ABDS"},
		{"Result>Success", "BC"},
		{"Result>=Warning", "BC"},
		{"Result<Success", "DE"},
		{"Result<=Success", "ADES"},
		{"Result==failed", "C"},
		{"Result!=None", "ABCS"},
		{"State==Completed", "ABCS"},
		{"State<Completed", "DE"},
		{"State==pending", "E"},
		{"State>InProgress", "ABCES"},
		{`JobName=="Fileserver ""A"" Backup"`, "AB"},
		{`JobName=="Oracle Backup"`, "CD"},
		{"JobName==vCD Job Template", ""}, // bare values stop at white space: see the bad filters
		{`VmDisplayName=="gamma delta"`, "C"},
		{"VmDisplayName==alpha;Result==Success", "A"},
		{"VmDisplayName==alpha,VmDisplayName==beta", "ABD"},
		{"VmDisplayName==beta,VmDisplayName==alpha;State==InProgress", "BD"}, // AND binds tighter
		{"VmDisplayName==alpha;State==InProgress,VmDisplayName==beta", "BD"},
		{"(VmDisplayName==beta,VmDisplayName==alpha);State==Completed", "AB"},
		{" ( VmDisplayName == beta , VmDisplayName == alpha ) ; State == Completed ", "AB"},
		{"((VmDisplayName==beta));((State==Completed))", "B"},
		{`CreationTime>="2025-01-03T00:00:00Z"`, "CDES"},
		{"CreationTime<2025-01-02T10:00:00.5Z", "A"},
		{"CreationTime==2025-01-02T10:00:00.5", "B"},
		{"CreationTime==2025-01-02T11:00:00.5+01:00", "B"},
		{"CreationTime>2025-01-04", "DES"},
		{`CreationTime<="2025-01-02 10:00:00.5"`, "AB"},
		{`EndTime==""`, "DE"},
		{`EndTime!=""`, "ABCS"},
		{"EndTime>2025-01-01T00:00:00Z", "ABCS"},
		{"EndTime<2030-01-01T00:00:00Z", "ABCS"},
		{"EndTime!=2025-01-01T10:01:00Z", "BCDES"},
		{`Reason=="disk ""C"" & <x>"`, "B"},
		{`Reason==""`, "ADES"},
		{`Reason=="Échec de la sauvegarde: disque « plein »"`, "C"},
		{"Name<beta", "ADS"},
		{"BackupServerName==srv02.tech.local", "ABCD"},
		{"BackupServerName==third.example", "E"},
		{"BackupServerUid==" + srv02ID, "ABCD"},
		{"BackupServerUid==urn:veeam:BackupServer:A490C017-2C1C-40EE-8BCF-73BCCE6AB36F", "S"},
		{"UID==" + tsPrefix + "a", "A"},
		{"UID==urn:veeam:BackupTaskSession:" + tsPrefix + "c", "C"},
		{"JobSessionUid==urn:veeam:BackupJobSession:" + jsPrefix + "1", "AB"},
		{"JobSessionUid==" + vemtest.SeedBackupJobSessionID, "S"},
		{"JobUid!=nothing", "ABCDES"},
		{"JobName==vCD", ""},
	} {
		t.Run(tc.filter, func(t *testing.T) {
			if tc.filter == "JobName==vCD Job Template" {
				r := get(t, srv, token, "/api/query?type=BackupTaskSession&filter="+urlQuery(tc.filter))
				requireError(t, r, http.StatusBadRequest)
				return
			}
			got, _ := labels(t, srv, token, "filter="+urlQuery(tc.filter))
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestQueryBadRequests(t *testing.T) {
	srv, token := fixtureServer(t)
	for _, q := range []string{
		"filter=" + urlQuery("Nope==1"),
		"filter=" + urlQuery("TotalSize>abc"),
		"filter=" + urlQuery("TotalSize>1.5"),
		"filter=" + urlQuery("Result==Maybe"),
		"filter=" + urlQuery("State>Done"),
		"filter=" + urlQuery("CreationTime>yesterday"),
		"filter=" + urlQuery("Name=x"),
		"filter=" + urlQuery("(Name==a"),
		"filter=" + urlQuery("Name==a)"),
		"filter=" + urlQuery(`EndTime>""`),
		"filter=" + urlQuery("JobName==Oracle Backup"),
		"filter=" + urlQuery("Name=="),
		"filter=" + urlQuery("Name==a;"),
		"filter=" + urlQuery("==a"),
		"filter=" + urlQuery("Name~=a"),
		"filter=" + urlQuery(`Name=="unterminated`),
		"filter=" + urlQuery(strings.Repeat("(", 100)+"Name==a"+strings.Repeat(")", 100)),
		"filter=%zz",
		"sortAsc=Nope",
		"sortAsc=Name&sortDesc=Name",
		"pageSize=0",
		"pageSize=-1",
		"pageSize=abc",
		"page=0",
		"page=1.5",
		"format=Entity",
	} {
		t.Run(q, func(t *testing.T) {
			for _, accept := range []string{"", "application/json"} {
				r := do(t, srv, request{path: "/api/query?type=BackupTaskSession&" + q, token: token, accept: accept})
				requireError(t, r, http.StatusBadRequest)
			}
		})
	}
	for _, q := range []string{"/api/query", "/api/query?type=NoSuchType", "/api/query?type="} {
		requireError(t, get(t, srv, token, q), http.StatusBadRequest)
	}
}

func TestQuerySort(t *testing.T) {
	srv, token := fixtureServer(t)
	for _, tc := range []struct{ q, want string }{
		{"sortAsc=CreationTime", "ABCDES"},
		{"sortDesc=CreationTime", "SEDCBA"},
		{"sortDesc=creationtime", "SEDCBA"},
		{"SORTDESC=CreationTime", "SEDCBA"},
		{"sortAsc=TotalSize", "CEDABS"},
		{"sortDesc=TotalSize", "SBADCE"},
		{"sortAsc=VmDisplayName", "ADSBEC"},
		{"sortAsc=Result", "DEASBC"},
		{"sortDesc=State", "ABCSED"},
		{"sortAsc=EndTime", "DEABCS"},
		{"sortAsc=JobName&filter=" + urlQuery("State==Completed"), "ABCS"},
		{"sortDesc=BackupServerName", "EABCDS"},
	} {
		t.Run(tc.q, func(t *testing.T) {
			got, _ := labels(t, srv, token, tc.q)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestQueryPaging(t *testing.T) {
	srv, token := fixtureServer(t)
	type link struct {
		rel  string
		page int
	}
	for _, tc := range []struct {
		q     string
		want  string
		num   int
		size  int
		count int
		links []link
	}{
		{"pageSize=2&page=1", "AB", 1, 2, 3, []link{{"First", 1}, {"Next", 2}, {"Last", 3}}},
		{"pageSize=2&page=2", "CD", 2, 2, 3, []link{{"First", 1}, {"Previous", 1}, {"Next", 3}, {"Last", 3}}},
		{"pageSize=2&page=3", "ES", 3, 2, 3, []link{{"First", 1}, {"Previous", 2}, {"Last", 3}}},
		{"pageSize=2&page=4", "", 4, 2, 3, []link{{"First", 1}, {"Previous", 3}, {"Last", 3}}},
		{"pageSize=6", "ABCDES", 1, 6, 1, []link{{"First", 1}, {"Last", 1}}},
		{"pageSize=5&page=2", "S", 2, 5, 2, []link{{"First", 1}, {"Previous", 1}, {"Last", 2}}},
		{"pageSize=1&page=6&sortDesc=CreationTime", "A", 6, 1, 6, []link{{"First", 1}, {"Previous", 5}, {"Last", 6}}},
		{"filter=" + urlQuery("VmDisplayName==nobody"), "", 1, 100, 1, []link{{"First", 1}, {"Last", 1}}},
		{"", "ABCDES", 1, 100, 1, []link{{"First", 1}, {"Last", 1}}},
		{"pageSize=9223372036854775807&page=3", "", 3, 9223372036854775807, 1, []link{{"First", 1}, {"Previous", 1}, {"Last", 1}}},
		{"pageSize=4611686018427387904&page=9223372036854775807", "", 9223372036854775807, 4611686018427387904, 1, []link{{"First", 1}, {"Previous", 1}, {"Last", 1}}},
	} {
		t.Run(tc.q, func(t *testing.T) {
			got, pi := labels(t, srv, token, tc.q)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.num, pi.PageNum)
			assert.Equal(t, tc.size, pi.PageSize)
			assert.Equal(t, tc.count, pi.PagesCount)
			var links []link
			for _, l := range pi.Links {
				assert.Nil(t, l.Name)
				assert.Nil(t, l.Type)
				require.True(t, strings.HasPrefix(l.Href, srv.URL+"/api/query?"), l.Href)
				u, err := url.Parse(l.Href)
				require.NoError(t, err)
				v := u.Query()
				n, err := strconv.Atoi(v.Get("page"))
				require.NoError(t, err)
				links = append(links, link{l.Rel, n})
				assert.Equal(t, strconv.Itoa(tc.size), v.Get("pageSize"))
				assert.Equal(t, "BackupTaskSession", v.Get("type"))
				assert.Equal(t, "Entities", v.Get("format"))
				// Following a link repeats the query on that page.
				if l.Rel == "Next" {
					next, npi := labels(t, srv, token, u.RawQuery[len("type=BackupTaskSession&format=Entities&"):])
					assert.Equal(t, tc.num+1, npi.PageNum)
					assert.NotEqual(t, got, next)
				}
			}
			assert.Equal(t, tc.links, links)
		})
	}
}

func TestQueryPagingHrefEscaping(t *testing.T) {
	srv, token := fixtureServer(t)
	// As the EM 12 capture: the request's own parameters in their order,
	// escaped like .NET (lower-case hex), pageSize and page appended.
	r := getJSON(t, srv, token, "/api/query?type=BackupTaskSession&format=Entities&filter="+url.QueryEscape(`CreationTime>="2025-01-01T00:00:00"`))
	var q queryJSON
	require.NoError(t, json.Unmarshal(r.body, &q))
	require.Len(t, q.PagingInfo.Links, 2)
	assert.Equal(t, srv.URL+`/api/query?type=BackupTaskSession&format=Entities&filter=CreationTime%3e%3d%222025-01-01T00%3a00%3a00%22&pageSize=100&page=1`, q.PagingInfo.Links[0].Href)

	// Parameters keep their place; page is replaced where it stands.
	r = get(t, srv, token, "/api/query?type=BackupTaskSession&format=Entities&sortDesc=CreationTime&pageSize=2&page=1&filter="+url.QueryEscape(`Result==Failed,TotalSize>=0;VmDisplayName!="gamma delta"`))
	require.Equal(t, http.StatusOK, r.status)
	body := string(r.body)
	assert.Contains(t, body, `<Link Rel="Next" Href="`+srv.URL+`/api/query?type=BackupTaskSession&amp;format=Entities&amp;sortDesc=CreationTime&amp;pageSize=2&amp;page=2&amp;filter=Result%3d%3dFailed%2cTotalSize%3e%3d0%3bVmDisplayName!%3d%22gamma+delta%22" />`)
	doc := parseXML(t, r.body)
	pi, ok := doc.child("PagingInfo")
	require.True(t, ok)
	assert.Equal(t, map[string]string{"PageNum": "1", "PageSize": "2", "PagesCount": "3"}, pi.Attrs)
}

func TestQueryXMLShape(t *testing.T) {
	srv, token := fixtureServer(t)
	r := get(t, srv, token, "/api/query?type=BackupTaskSession&format=Entities&sortDesc=CreationTime&pageSize=1&page=1&filter="+urlQuery("Result>=Warning"))
	require.Equal(t, http.StatusOK, r.status)
	got := parseXML(t, r.body)
	want := parseXML(t, readTestdata(t, "query-backuptasksession.xml"))
	// One entity on the page; the sample has three.
	ents, _ := want.child("Entities")
	tss, _ := ents.child("BackupTaskSessions")
	tss.Children = tss.Children[:1]
	ents.Children = []xnode{tss}
	want.Children[0] = ents
	assert.Equal(t, want.shape(), got.shape())

	// Without format: references.
	r = get(t, srv, token, "/api/query?type=BackupTaskSession&pageSize=2")
	got = parseXML(t, r.body)
	assert.Equal(t, "{http://www.veeam.com/ent/v1.0}QueryResult", got.Name)
	refs, ok := got.child("Refs")
	require.True(t, ok)
	require.Len(t, refs.Children, 2)
	assert.Equal(t, "{http://www.veeam.com/ent/v1.0}Ref", refs.Children[0].Name)
	assert.Equal(t, "BackupTaskSessionReference", refs.Children[0].Attrs["Type"])

	// An empty page keeps the structure.
	r = get(t, srv, token, "/api/query?type=BackupTaskSession&format=Entities&filter="+urlQuery("Name==none"))
	got = parseXML(t, r.body)
	ents, _ = got.child("Entities")
	require.Len(t, ents.Children, 1)
	assert.Empty(t, ents.Children[0].Children)
}

func TestQueryJSONShape(t *testing.T) {
	sample := readTestdata(t, "query-backuptasksession-v12.json")
	var em struct {
		Entities   json.RawMessage
		PagingInfo struct {
			Links []json.RawMessage
		}
	}
	require.NoError(t, json.Unmarshal(sample, &em))
	var emPaging map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(sample, &emPaging))

	srv, token := fixtureServer(t)
	r := getJSON(t, srv, token, "/api/query?type=BackupTaskSession&format=Entities&pageSize=2&page=2")
	require.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, jsonKeys(t, sample), jsonKeys(t, r.body))
	var got map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(r.body, &got))
	assert.Equal(t, jsonKeys(t, em.Entities), jsonKeys(t, got["Entities"]))
	assert.Equal(t, jsonKeys(t, emPaging["PagingInfo"]), jsonKeys(t, got["PagingInfo"]))
	for _, k := range []string{"Refs", "Resources", "Links"} {
		assert.Equal(t, "null", string(got[k]), k)
	}
	var ents map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(got["Entities"], &ents))
	assert.Equal(t, "null", string(ents["Jobs"]))
	var tss struct{ BackupTaskSessions []json.RawMessage }
	require.NoError(t, json.Unmarshal(ents["BackupTaskSessions"], &tss))
	require.Len(t, tss.BackupTaskSessions, 2)
	var emEnts struct {
		BackupTaskSessions struct{ BackupTaskSessions []json.RawMessage }
	}
	require.NoError(t, json.Unmarshal(em.Entities, &emEnts))
	assert.Equal(t, jsonKeys(t, emEnts.BackupTaskSessions.BackupTaskSessions[0]), jsonKeys(t, tss.BackupTaskSessions[0]), "completed task C")
	keysD := jsonKeys(t, tss.BackupTaskSessions[1])
	assert.NotContains(t, keysD, "EndTimeUTC", "running task D has no EndTimeUTC")
	assert.Len(t, keysD, 13)

	// References: Refs double-nests like Entities.
	r = getJSON(t, srv, token, "/api/query?type=BackupTaskSession")
	var q queryJSON
	require.NoError(t, json.Unmarshal(r.body, &q))
	require.NotNil(t, q.Refs)
	assert.Nil(t, q.Entities)
	assert.Len(t, q.Refs.Refs, 6)
	require.NoError(t, json.Unmarshal(r.body, &got))
	var refs struct{ Refs []json.RawMessage }
	require.NoError(t, json.Unmarshal(got["Refs"], &refs))
	assert.Equal(t, []string{"Links", "UID", "Name", "Href", "Type"}, jsonKeys(t, refs.Refs[0]))
}

func TestQueryJSONCamelCase(t *testing.T) {
	srv, token := fixtureServer(t, vemtest.WithJSONStyle(vemtest.JSONStyleEM13CamelCase))
	r := getJSON(t, srv, token, "/api/query?type=BackupTaskSession&format=Entities&pageSize=1")
	require.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, []string{"refs", "entities", "resources", "links", "pagingInfo"}, jsonKeys(t, r.body))
	var got struct {
		Entities   json.RawMessage `json:"entities"`
		PagingInfo json.RawMessage `json:"pagingInfo"`
	}
	require.NoError(t, json.Unmarshal(r.body, &got))
	keys := jsonKeys(t, got.Entities)
	for _, k := range []string{"jobs", "vAppRestorePoints", "backupTaskSessions", "vSphereSelfServiceConfigs", "nasJobs", "cdpReplicas"} {
		assert.Contains(t, keys, k)
	}
	assert.Equal(t, []string{"links", "pageNum", "pageSize", "pagesCount"}, jsonKeys(t, got.PagingInfo))
	var ents struct {
		BackupTaskSessions struct {
			BackupTaskSessions []json.RawMessage `json:"backupTaskSessions"`
		} `json:"backupTaskSessions"`
	}
	require.NoError(t, json.Unmarshal(got.Entities, &ents))
	require.Len(t, ents.BackupTaskSessions.BackupTaskSessions, 1)
	assert.Equal(t, []string{"jobSessionUid", "creationTimeUTC", "endTimeUTC", "state", "result", "reason", "totalSize",
		"vmUid", "vmDisplayName", "name", "uid", "links", "href", "type"}, jsonKeys(t, ents.BackupTaskSessions.BackupTaskSessions[0]))
}

func TestQueryManyPages(t *testing.T) {
	srv := newServer(t, vemtest.WithNow(testNow), vemtest.WithDataset(250))
	token, _ := logon(t, srv)

	var all queryJSON
	require.NoError(t, json.Unmarshal(getJSON(t, srv, token, "/api/query?type=BackupTaskSession&pageSize=1000").body, &all))
	require.Len(t, all.Refs.Refs, 251)

	// Follow Next links until there is none.
	var seen []string
	next := srv.URL + "/api/query?type=BackupTaskSession&pageSize=7"
	pages := 0
	for next != "" {
		pages++
		require.LessOrEqual(t, pages, 40)
		r := getJSON(t, srv, token, hrefPath(t, next))
		require.Equal(t, http.StatusOK, r.status)
		var q queryJSON
		require.NoError(t, json.Unmarshal(r.body, &q))
		assert.Equal(t, pages, q.PagingInfo.PageNum)
		assert.Equal(t, 36, q.PagingInfo.PagesCount)
		next = ""
		for _, l := range q.PagingInfo.Links {
			if l.Rel == "Next" {
				next = l.Href
			}
		}
		for _, ref := range q.Refs.Refs {
			seen = append(seen, ref.UID)
		}
	}
	assert.Equal(t, 36, pages)
	var want []string
	for _, ref := range all.Refs.Refs {
		want = append(want, ref.UID)
	}
	assert.Equal(t, want, seen)
}
