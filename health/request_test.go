package health

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vemkit/vem"
)

const (
	mockBase  = "https://em.example:9398"
	mockJobSe = "urn:veeam:BackupJobSession:0d3a8230-3db1-4cc1-a7b2-3b0b5c8f784c"
	nsEM      = ` xmlns="http://www.veeam.com/ent/v1.0"`
)

func mockResp(body string) *http.Response {
	r := httpmock.NewStringResponse(http.StatusOK, body)
	r.Header.Set("Content-Type", "application/xml; charset=utf-8")
	return r
}

// TestEvaluateRequests checks the requests Evaluate sends: two
// query-service queries filtered on CreationTime, 1000 a page, and one
// query by UID for the job session that started before the window.
func TestEvaluateRequests(t *testing.T) {
	mt := httpmock.NewMockTransport()
	var mu sync.Mutex
	var queries []string
	mt.RegisterResponder(http.MethodGet, mockBase+"/api/query", func(req *http.Request) (*http.Response, error) {
		q := req.URL.Query()
		mu.Lock()
		queries = append(queries, q.Get("type")+" "+q.Get("filter")+" "+q.Get("pageSize")+" "+q.Get("format"))
		mu.Unlock()
		paging := `<PagingInfo PageNum="1" PageSize="1000" PagesCount="1"/>`
		switch {
		case q.Get("type") == "BackupTaskSession":
			return mockResp(`<QueryResult` + nsEM + `><Entities><BackupTaskSessions>` +
				`<BackupTaskSession Type="BackupTaskSession" UID="urn:veeam:BackupTaskSession:88322206-a645-4aa3-9228-028ce51e7c0f" Name="web01@2026-03-10 08:00:00" VmDisplayName="web01">` +
				`<Links><Link Rel="Up" Type="BackupServerReference" Href="` + mockBase + `/api/backupServers/a490c017-2c1c-40ee-8bcf-73bcce6ab36f" Name="vbr01"/></Links>` +
				`<JobSessionUid>` + mockJobSe + `</JobSessionUid><CreationTimeUTC>2026-03-10T08:00:00Z</CreationTimeUTC><EndTimeUTC>2026-03-10T08:10:00Z</EndTimeUTC>` +
				`<State>Completed</State><Result>Success</Result><Reason></Reason><TotalSize>1</TotalSize><VmUid>urn:VMware:Vm:x.vm-1</VmUid></BackupTaskSession>` +
				`</BackupTaskSessions></Entities>` + paging + `</QueryResult>`), nil
		case strings.Contains(q.Get("filter"), "UID=="):
			return mockResp(`<QueryResult` + nsEM + `><Entities><BackupJobSessions>` +
				`<BackupJobSession Type="BackupJobSession" UID="` + mockJobSe + `" Name="Daily@2026-02-28 08:00:00"><Links/>` +
				`<JobUid>urn:veeam:Job:2b078668-e45d-4eb3-abb0-275b0d130e7e</JobUid><JobName>Daily</JobName><JobType>Backup</JobType>` +
				`<CreationTimeUTC>2026-02-28T08:00:00Z</CreationTimeUTC><EndTimeUTC></EndTimeUTC><State>Working</State><Result>None</Result>` +
				`<Progress>50</Progress><IsRetry>false</IsRetry></BackupJobSession>` +
				`</BackupJobSessions></Entities>` + paging + `</QueryResult>`), nil
		}
		return mockResp(`<QueryResult` + nsEM + `><Entities><BackupJobSessions/></Entities>` + paging + `</QueryResult>`), nil
	})
	c, err := vem.New(mockBase, vem.WithHTTPClient(&http.Client{Transport: mt}), vem.WithSessionID("token"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })

	rep, err := Evaluate(t.Context(), c, Options{Now: testNow})
	require.NoError(t, err)

	assert.ElementsMatch(t, []string{
		`BackupTaskSession CreationTime>="2026-03-03T12:00:00Z" 1000 Entities`,
		`BackupJobSession CreationTime>="2026-03-01T12:00:00Z" 1000 Entities`,
		`BackupJobSession UID==` + mockJobSe + ` 1000 Entities`,
	}, queries)
	require.Len(t, rep.VMs, 1)
	vm := rep.VMs[0]
	assert.Equal(t, "Daily", vm.JobName)
	assert.Equal(t, vem.UID("urn:veeam:Job:2b078668-e45d-4eb3-abb0-275b0d130e7e"), vm.JobUID)
	assert.Equal(t, "vbr01", vm.BackupServer)
	assert.Equal(t, StatusOK, vm.Status)
	assert.Equal(t, 1, rep.JobSessions)
	assert.True(t, rep.Jobs[0].Running)
}

func TestEvaluateRequestError(t *testing.T) {
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder(http.MethodGet, mockBase+"/api/query", func(req *http.Request) (*http.Response, error) {
		r := httpmock.NewStringResponse(http.StatusInternalServerError, `<Error Message="boom" StatusCode="500"`+nsEM+`/>`)
		r.Header.Set("Content-Type", "application/xml")
		return r, nil
	})
	c, err := vem.New(mockBase, vem.WithHTTPClient(&http.Client{Transport: mt}), vem.WithSessionID("token"), vem.WithRetry(vem.NoRetries()))
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	_, err = Evaluate(t.Context(), c, Options{Now: testNow})
	var apiErr *vem.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusInternalServerError, apiErr.StatusCode)
	assert.ErrorContains(t, err, "health: reading")
}
