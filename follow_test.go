package vem

import (
	"context"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRelatedGettersJSONBothCasings(t *testing.T) {
	const em12 = `{"JobUid":"urn:veeam:Job:2b078668-e45d-4eb3-abb0-275b0d130e7e","JobName":"Backup Job 3","JobType":"Backup","CreationTimeUTC":"2025-09-24T20:00:09.607Z","EndTimeUTC":"2025-09-24T20:02:54.717Z","State":"Stopped","Result":"Warning","Progress":100,"IsRetry":true,"Name":"Backup Job 3@2025-09-24 20:00:09","UID":"urn:veeam:BackupJobSession:a057c2c3-f3bd-4ab4-9fb7-24058cccb4f6","Links":[{"Rel":"Up","Href":"https://localhost:9398/api/backupServers/a490c017-2c1c-40ee-8bcf-73bcce6ab36f","Name":"enterprise01.tech.local","Type":"BackupServerReference"}],"Href":"https://localhost:9398/api/backupSessions/a057c2c3-f3bd-4ab4-9fb7-24058cccb4f6?format=Entity","Type":"BackupJobSession"}`
	const em13 = `{"jobUid":"urn:veeam:Job:2b078668-e45d-4eb3-abb0-275b0d130e7e","jobName":"Backup Job 3","jobType":"Backup","creationTimeUTC":"2025-09-24T20:00:09.607Z","endTimeUTC":"2025-09-24T20:02:54.717Z","state":"Stopped","result":"Warning","progress":100,"isRetry":true,"name":"Backup Job 3@2025-09-24 20:00:09","uid":"urn:veeam:BackupJobSession:a057c2c3-f3bd-4ab4-9fb7-24058cccb4f6","links":[{"rel":"Up","href":"https://localhost:9398/api/backupServers/a490c017-2c1c-40ee-8bcf-73bcce6ab36f","name":"enterprise01.tech.local","type":"BackupServerReference"}],"href":"https://localhost:9398/api/backupSessions/a057c2c3-f3bd-4ab4-9fb7-24058cccb4f6?format=Entity","type":"BackupJobSession"}`
	for name, body := range map[string]string{"em12": em12, "em13": em13} {
		t.Run(name, func(t *testing.T) {
			c, mt := newMockClient(t, WithFormat(FormatJSON))
			mt.RegisterResponderWithQuery("GET", testBase+"/api/backupSessions/a057c2c3-f3bd-4ab4-9fb7-24058cccb4f6", "format=Entity",
				func(r *http.Request) (*http.Response, error) {
					require.Equal(t, "application/json", r.Header.Get("Accept"))
					resp := httpmock.NewStringResponse(200, body)
					resp.Header.Set("Content-Type", "application/json; charset=utf-8")
					return resp, nil
				})
			js, err := c.GetBackupJobSession(context.Background(), "a057c2c3-f3bd-4ab4-9fb7-24058cccb4f6")
			require.NoError(t, err)
			assert.Equal(t, "Backup Job 3", js.JobName)
			assert.Equal(t, ResultWarning, js.Result)
			assert.True(t, js.IsRetry)
			assert.Equal(t, 100, js.Progress)
			assert.Equal(t, time.Date(2025, 9, 24, 20, 2, 54, 717e6, time.UTC), js.EndTime)
			l, ok := js.BackupServerLink()
			require.True(t, ok)
			assert.Equal(t, "a490c017-2c1c-40ee-8bcf-73bcce6ab36f", l.ID())
		})
	}
}

func TestRelatedGettersRejectBadIDs(t *testing.T) {
	c, mt := newMockClient(t)
	ctx := context.Background()
	_, err := c.GetBackupJobSession(ctx, "urn:veeam:BackupTaskSession:88322206-a645-4aa3-9228-028ce51e7c0f")
	assert.ErrorIs(t, err, ErrInvalidID)
	_, err = c.GetBackupServer(ctx, "../logonSessions")
	assert.ErrorIs(t, err, ErrInvalidID)
	_, err = c.GetVMRestorePoint(ctx, "")
	assert.ErrorIs(t, err, ErrInvalidID)
	_, err = c.ListBackupJobSessionTaskSessions(ctx, "x?y")
	assert.ErrorIs(t, err, ErrInvalidID)
	assert.Equal(t, 0, mt.GetTotalCallCount())
}

func TestGetterRejectsWrongKind(t *testing.T) {
	c, mt := newMockClient(t)
	// A task session where a job session was asked for.
	serveFile(t, mt, testBase+"/api/backupSessions/0d3a8230-3db1-4cc1-a7b2-3b0b5c8f784c", "format=Entity", "backuptasksession.xml", "application/xml")
	_, err := c.GetBackupJobSession(context.Background(), "0d3a8230-3db1-4cc1-a7b2-3b0b5c8f784c")
	require.ErrorIs(t, err, ErrDecode)
	var de *DecodeError
	require.ErrorAs(t, err, &de)
	assert.Contains(t, de.Resource, "BackupJobSession 0d3a8230-3db1-4cc1-a7b2-3b0b5c8f784c")
}

// TestFollowLinkStaysOnConfiguredHost proves that a link naming another host
// is fetched from the configured host, and that nothing reaches the other
// host.
func TestFollowLinkStaysOnConfiguredHost(t *testing.T) {
	c, mt := newMockClient(t)
	foreignHits := 0
	mt.RegisterResponder("GET", `=~^https://evil\.example`, func(r *http.Request) (*http.Response, error) {
		foreignHits++
		return httpmock.NewStringResponse(500, "must not be called"), nil
	})
	var gotToken string
	mt.RegisterResponderWithQuery("GET", testBase+"/api/backupSessions/a057c2c3-f3bd-4ab4-9fb7-24058cccb4f6", "format=Entity",
		func(r *http.Request) (*http.Response, error) {
			gotToken = r.Header.Get(sessionHeader)
			body, _ := os.ReadFile("testdata/backupjobsession.xml")
			resp := httpmock.NewBytesResponse(200, body)
			resp.Header.Set("Content-Type", "application/xml")
			return resp, nil
		})
	l := Link{Rel: RelUp, Type: TypeBackupJobSessionReference, Href: "https://evil.example:9398/api/backupSessions/a057c2c3-f3bd-4ab4-9fb7-24058cccb4f6"}
	var js BackupJobSession
	require.NoError(t, c.FollowLink(context.Background(), l, &js))
	assert.Equal(t, "Backup Job 3", js.JobName)
	assert.Equal(t, "tok-1", gotToken)
	assert.Equal(t, 0, foreignHits)
	for key, n := range mt.GetCallCountInfo() {
		if n > 0 {
			assert.Contains(t, key, testBase, "request to %s", key)
		}
	}
}

func TestFollowLinkTargets(t *testing.T) {
	c, mt := newMockClient(t)
	serveFile(t, mt, testBase+"/api/backupServers/a490c017-2c1c-40ee-8bcf-73bcce6ab36f", "format=Entity", "backupserver-resource-doc.xml", "application/xml")
	serveFile(t, mt, testBase+"/api/vmRestorePoints/a3571c27-a3a9-4ac8-8dfb-71a2336b3218", "format=Entity", "vmrestorepoint.xml", "application/xml")
	serveFile(t, mt, testBase+"/api/backupTaskSessions/88322206-a645-4aa3-9228-028ce51e7c0f", "format=Entity", "backuptasksession.xml", "application/xml")
	serveFile(t, mt, testBase+"/api/backupTaskSessions/88767486-89d6-4340-92f0-2ad615a8f21b", "", "backuptasksession-ref-v9.xml", "application/xml")
	serveFile(t, mt, testBase+"/api/backupSessions/a057c2c3-f3bd-4ab4-9fb7-24058cccb4f6/taskSessions", "", "entityreferences-backuptasksessions-fixed.xml", "application/xml")
	ctx := context.Background()

	// A reference link gets format=Entity added.
	var srv BackupServer
	require.NoError(t, c.FollowLink(ctx, Link{Rel: RelUp, Type: TypeBackupServerReference, Href: "https://localhost:9398/api/backupServers/a490c017-2c1c-40ee-8bcf-73bcce6ab36f"}, &srv))
	assert.Equal(t, 9392, srv.Port)
	// A link that already carries format=Entity keeps it once.
	var rp VMRestorePoint
	require.NoError(t, c.FollowLink(ctx, Link{Rel: RelRelated, Type: TypeVMRestorePoint, Href: "https://localhost:9398/api/vmRestorePoints/a3571c27-a3a9-4ac8-8dfb-71a2336b3218?format=Entity"}, &rp))
	assert.Equal(t, AlgorithmIncremental, rp.Algorithm)
	var ts BackupTaskSession
	require.NoError(t, c.FollowLink(ctx, Link{Rel: RelAlternate, Href: "https://localhost:9398/api/backupTaskSessions/88322206-a645-4aa3-9228-028ce51e7c0f"}, &ts))
	assert.Equal(t, int64(12884901888), ts.TotalSize)
	// *EntityRef asks for the reference representation.
	var ref EntityRef
	require.NoError(t, c.FollowLink(ctx, Link{Href: "http://localhost:9399/api/backupTaskSessions/88767486-89d6-4340-92f0-2ad615a8f21b?format=Entity"}, &ref))
	assert.Equal(t, "BackupTaskSessionReference", ref.Type)
	assert.Equal(t, "88767486-89d6-4340-92f0-2ad615a8f21b", ref.ID())
	// *[]EntityRef reads a reference list.
	var refs []EntityRef
	require.NoError(t, c.FollowLink(ctx, Link{Rel: RelDown, Type: TypeBackupTaskSessionReferenceList, Href: "https://localhost:9398/api/backupSessions/a057c2c3-f3bd-4ab4-9fb7-24058cccb4f6/taskSessions"}, &refs))
	assert.Len(t, refs, 6)
	// A user struct receives the entity as decoded.
	var mine struct {
		TotalSize int64  `xml:"TotalSize"`
		State     string `xml:"State"`
	}
	require.NoError(t, c.FollowLink(ctx, Link{Href: "https://x/api/backupTaskSessions/88322206-a645-4aa3-9228-028ce51e7c0f"}, &mine))
	assert.Equal(t, int64(12884901888), mine.TotalSize)
	assert.Equal(t, "Completed", mine.State)
	// Wrong target kind is a decode error.
	var js BackupJobSession
	err := c.FollowLink(ctx, Link{Href: "https://localhost:9398/api/backupTaskSessions/88322206-a645-4aa3-9228-028ce51e7c0f"}, &js)
	assert.ErrorIs(t, err, ErrDecode)
}

func TestFollowLinkRejectsBadHrefs(t *testing.T) {
	c, mt := newMockClient(t)
	for _, href := range []string{"", "https://localhost:9398/other/x", "https://localhost:9398/api/../admin", "https://localhost:9398/api/./x", "%zz", "https://h/api/x?%zz"} {
		var v BackupTaskSession
		assert.Error(t, c.FollowLink(context.Background(), Link{Href: href}, &v), href)
	}
	assert.Error(t, c.FollowLink(context.Background(), Link{Href: "https://h/api/x"}, nil))
	assert.Equal(t, 0, mt.GetTotalCallCount())
}

// A target FollowLink cannot fill fails before anything is sent.
func TestFollowLinkNonPointerTarget(t *testing.T) {
	c, mt := newMockClient(t)
	l := Link{Rel: RelUp, Href: testBase + "/api/backupSessions/0d3a8230-3db1-4cc1-a7b2-3b0b5c8f784c"}
	var nilJob *Job
	for _, v := range []any{nil, BackupJobSession{}, nilJob, "x", 3, map[string]any{}} {
		err := c.FollowLink(context.Background(), l, v)
		require.Error(t, err, "%T", v)
		assert.Contains(t, err.Error(), "non-nil pointer")
	}
	assert.Zero(t, mt.GetTotalCallCount(), "nothing sent, not even a logon")
}
