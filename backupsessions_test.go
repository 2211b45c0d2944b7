package vem

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGetBackupJobSessionSample(t *testing.T) {
	c, mt := newMockClient(t)
	serveFile(t, mt, testBase+"/api/backupSessions/a057c2c3-f3bd-4ab4-9fb7-24058cccb4f6", "format=Entity", "backupjobsession.xml", "application/xml; charset=utf-8")
	js, err := c.GetBackupJobSession(context.Background(), "urn:veeam:BackupJobSession:A057C2C3-F3BD-4AB4-9FB7-24058CCCB4F6")
	require.NoError(t, err)
	const api = "https://localhost:9398/api/"
	const id = "a057c2c3-f3bd-4ab4-9fb7-24058cccb4f6"
	assert.Equal(t, &BackupJobSession{
		UID: "urn:veeam:BackupJobSession:" + id, Name: "Backup Job 3@2025-09-24 20:00:09",
		Href:   "https://enterprise04.tech.local:9398/api/backupSessions/" + id + "?format=Entity",
		JobUID: "urn:veeam:Job:2b078668-e45d-4eb3-abb0-275b0d130e7e", JobName: "Backup Job 3", JobType: JobTypeBackup,
		CreationTime: time.Date(2025, 9, 24, 20, 0, 9, 607e6, time.UTC),
		EndTime:      time.Date(2025, 9, 24, 20, 2, 54, 717e6, time.UTC),
		State:        StateStopped, Result: ResultSuccess, Progress: 100,
		Links: Links{
			{Rel: "Up", Type: "BackupServerReference", Href: api + "backupServers/a490c017-2c1c-40ee-8bcf-73bcce6ab36f", Name: "enterprise01.tech.local"},
			{Rel: "Up", Type: "JobReference", Href: api + "jobs/2b078668-e45d-4eb3-abb0-275b0d130e7e", Name: "Backup Job 3"},
			{Rel: "Alternate", Type: "BackupJobSessionReference", Href: api + "backupSessions/" + id, Name: "Backup Job 3@2025-09-24 20:00:09"},
			{Rel: "Down", Type: "BackupTaskSessionReferenceList", Href: api + "backupSessions/" + id + "/taskSessions"},
			{Rel: "Stop", Href: api + "backupSessions/" + id + "?action=stop"},
			{Rel: "Related", Type: "RestorePointReference", Href: api + "restorePoints/a5eed1d4-cf03-4ab5-bc63-deffcfeb728c"},
		},
	}, js)
	assert.True(t, js.State.Ended())
	l, ok := js.BackupServerLink()
	require.True(t, ok)
	assert.Equal(t, "a490c017-2c1c-40ee-8bcf-73bcce6ab36f", l.ID())
	l, ok = js.JobLink()
	require.True(t, ok)
	assert.Equal(t, "2b078668-e45d-4eb3-abb0-275b0d130e7e", l.ID())
	l, ok = js.BackupTaskSessionsLink()
	require.True(t, ok)
	assert.Equal(t, "https://localhost:9398/api/backupSessions/a057c2c3-f3bd-4ab4-9fb7-24058cccb4f6/taskSessions", l.Href)
	l, ok = js.RestorePointLink()
	require.True(t, ok)
	assert.Equal(t, "a5eed1d4-cf03-4ab5-bc63-deffcfeb728c", l.ID())
	_, ok = js.AlternateLink()
	assert.True(t, ok)
}

func TestListBackupJobSessionTaskSessionsJSON(t *testing.T) {
	c, mt := newMockClient(t, WithFormat(FormatJSON))
	mt.RegisterResponder("GET", testBase+"/api/backupSessions/0d3a8230-3db1-4cc1-a7b2-3b0b5c8f784c/taskSessions", func(r *http.Request) (*http.Response, error) {
		resp := httpmock.NewStringResponse(200, "\ufeff"+`{"refs":[{"links":[{"rel":"Alternate","href":"https://localhost:9398/api/backupTaskSessions/88322206-a645-4aa3-9228-028ce51e7c0f?format=Entity","name":"AnT_VM2@2025-10-11 20:06:09","type":"BackupTaskSession"}],"uid":"urn:veeam:BackupTaskSession:88322206-a645-4aa3-9228-028ce51e7c0f","name":"AnT_VM2@2025-10-11 20:06:09","href":"https://localhost:9398/api/backupTaskSessions/88322206-a645-4aa3-9228-028ce51e7c0f","type":"BackupTaskSessionReference"}]}`)
		resp.Header.Set("Content-Type", "application/json")
		return resp, nil
	})
	refs, err := c.ListBackupJobSessionTaskSessions(context.Background(), "0d3a8230-3db1-4cc1-a7b2-3b0b5c8f784c")
	require.NoError(t, err)
	require.Len(t, refs, 1)
	assert.Equal(t, "88322206-a645-4aa3-9228-028ce51e7c0f", refs[0].ID())
	assert.Equal(t, "BackupTaskSessionReference", refs[0].Type)
}

func FuzzDecodeBackupJobSession(f *testing.F) {
	addSeeds(f, "backupjobsession.xml", "backuptasksession.xml")
	f.Fuzz(func(t *testing.T, body []byte, json bool) {
		if s, err := jobSessions.decode(contentType(json), body, ""); err == nil && s.UID.Kind() != KindBackupJobSession {
			t.Fatalf("accepted a %q UID", s.UID)
		}
	})
}
