package vem

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const sampleJobID = "5adf6525-51d9-48b9-a72d-7f80701c714b"

// wantSampleJob is testdata/job.xml, EM's documented immediate backup copy
// job, as GetJob must return it.
func wantSampleJob() *Job {
	base := "https://enterpriseem01.tech.local:9398/api/jobs/" + sampleJobID
	return &Job{
		UID: "urn:veeam:Job:" + sampleJobID, Name: "Immediate Backup Copy Job", Href: base + "?format=Entity",
		JobType: JobTypeImmediateBackupCopy, Platform: PlatformCustomPlatform,
		Description: `Created by .\veeamadmin`, ScheduleConfigured: true, ScheduleEnabled: true,
		Links: Links{
			{Rel: "Up", Type: "BackupServerReference", Href: "https://enterpriseem01.tech.local:9398/api/backupServers/3cbab7db-fa0d-4c18-82b6-bc1816f0a128", Name: "enterprisevbr01.tech.local"},
			{Rel: "Alternate", Type: "JobReference", Href: base, Name: "Immediate Backup Copy Job"},
			{Rel: "Clone", Href: base + "?action=clone"},
			{Rel: "ToggleScheduleEnabled", Href: base + "?action=toggleScheduleEnabled"},
			{Rel: "Down", Type: "BackupJobSessionReferenceList", Href: base + "/backupSessions"},
			{Rel: "Sync", Href: base + "?action=sync"},
			{Rel: "Down", Type: "LinkedJobObjectList", Href: base + "/linkedJobs"},
			{Rel: "Down", Type: "LinkedBackupRepositoryObjectList", Href: base + "/linkedBackupRepositories"},
			{Rel: "Create", Type: "LinkedJobObject", Href: base + "/linkedJobs"},
			{Rel: "Create", Type: "LinkedBackupRepositoryObject", Href: base + "/linkedBackupRepositories"},
		},
	}
}

func TestGetJobSample(t *testing.T) {
	c, mt := newMockClient(t)
	serveFile(t, mt, testBase+"/api/jobs/"+sampleJobID, "format=Entity", "job.xml", ctXML)
	j, err := c.GetJob(context.Background(), "urn:veeam:Job:"+sampleJobID)
	require.NoError(t, err)
	assert.Equal(t, wantSampleJob(), j)

	l, ok := j.BackupServerLink()
	require.True(t, ok)
	assert.Equal(t, "3cbab7db-fa0d-4c18-82b6-bc1816f0a128", l.ID())
	l, ok = j.BackupJobSessionsLink()
	require.True(t, ok)
	assert.Equal(t, "https://enterpriseem01.tech.local:9398/api/jobs/"+sampleJobID+"/backupSessions", l.Href)
	l, ok = j.AlternateLink()
	require.True(t, ok)
	assert.Equal(t, TypeJobReference, l.Type)
	_, ok = j.JobIncludesLink()
	assert.False(t, ok, "an immediate backup copy job has no includes link")
	j.Links = append(j.Links, Link{Rel: RelDown, Href: "https://em:9398/api/jobs/" + sampleJobID + "/includes"}, Link{Rel: "Create", Href: "https://em:9398/api/jobs/" + sampleJobID + "/includes"})
	l, ok = j.JobIncludesLink()
	require.True(t, ok)
	assert.Equal(t, RelDown, l.Rel)
}

// The same job in EM 12 (PascalCase) and EM 13 (camelCase) JSON, with a
// NextRun, decodes to the same Job.
func TestGetJobJSONBothCasings(t *testing.T) {
	want := wantSampleJob()
	want.Links = want.Links[:2]
	want.JobType, want.Platform = JobTypeBackup, PlatformVMware
	want.NextRun = time.Date(2025, 8, 14, 12, 31, 31, 0, time.UTC)
	em12 := map[string]any{
		"JobType": "Backup", "Platform": "VMware", "Description": `Created by .\veeamadmin`,
		"ScheduleConfigured": true, "ScheduleEnabled": true, "NextRun": "2025-08-14T12:31:31.000000Z",
		"JobScheduleOptions": map[string]any{"RetryOptions": map[string]any{"RetryTimes": 3}}, "JobInfo": nil,
		"Links": []any{
			map[string]any{"Rel": "Up", "Href": want.Links[0].Href, "Name": want.Links[0].Name, "Type": "BackupServerReference"},
			map[string]any{"Rel": "Alternate", "Href": want.Links[1].Href, "Name": want.Links[1].Name, "Type": "JobReference"},
		},
		"Href": want.Href, "Name": want.Name, "UID": string(want.UID), "Type": "Job",
	}
	for name, body := range map[string][]byte{"em12": mustJSON(t, em12), "em13": mustJSON(t, camel(em12))} {
		t.Run(name, func(t *testing.T) {
			c, mt := newMockClient(t, WithFormat(FormatJSON))
			mt.RegisterResponderWithQuery("GET", testBase+"/api/jobs/"+sampleJobID, "format=Entity", func(*http.Request) (*http.Response, error) {
				return mockResp(200, ctJSON, body), nil
			})
			j, err := c.GetJob(context.Background(), sampleJobID)
			require.NoError(t, err)
			assert.Equal(t, want, j)
		})
	}
}

// A job getter answered with another document, or with another job, fails
// with a *DecodeError and never returns the wrong object.
func TestGetJobWrongAnswers(t *testing.T) {
	other := []byte(`<Job xmlns="http://www.veeam.com/ent/v1.0" Type="Job" UID="urn:veeam:Job:0f5afb99-7468-42c4-a45d-28e98bc6122b" Name="Periodic"><JobType>BackupCopy</JobType></Job>`)
	server := readFixture(t, "backupserver-resource-doc.xml")
	ref := []byte(`<EntityRef xmlns="http://www.veeam.com/ent/v1.0" Type="JobReference" UID="urn:veeam:Job:` + sampleJobID + `" Name="x"/>`)
	for name, body := range map[string][]byte{"another job": other, "a backup server": server, "a reference": ref} {
		t.Run(name, func(t *testing.T) {
			c, mt := newMockClient(t)
			mt.RegisterResponderWithQuery("GET", testBase+"/api/jobs/"+sampleJobID, "format=Entity", func(*http.Request) (*http.Response, error) {
				return mockResp(200, ctXML, body), nil
			})
			j, err := c.GetJob(context.Background(), sampleJobID)
			assert.Nil(t, j)
			var de *DecodeError
			require.ErrorAs(t, err, &de)
			assert.ErrorIs(t, err, ErrDecode)
		})
	}
	c, mt := newMockClient(t)
	for _, bad := range []string{"", "x", "urn:veeam:BackupServer:" + sampleJobID, "../" + sampleJobID} {
		_, err := c.GetJob(context.Background(), bad)
		assert.ErrorIs(t, err, ErrInvalidID, bad)
		_, err = c.ListJobIncludes(context.Background(), bad)
		assert.ErrorIs(t, err, ErrInvalidID, bad)
		_, err = c.ListJobBackupSessions(context.Background(), bad)
		assert.ErrorIs(t, err, ErrInvalidID, bad)
	}
	assert.Zero(t, mt.GetTotalCallCount())
}

// ListJobIncludes reads the job's ObjectsInJob list, in XML and both JSON
// casings.
func TestListJobIncludes(t *testing.T) {
	const jobID = "da4a15c2-04e7-4135-b876-577249d3d720"
	inc := testBase + "/api/jobs/" + jobID + "/includes/"
	want := []JobInclude{
		{ID: "83071dc0-44f2-49b6-b431-1cb79ed66639", Href: inc + "83071dc0-44f2-49b6-b431-1cb79ed66639", ObjectInJobID: "83071dc0-44f2-49b6-b431-1cb79ed66639",
			HierarchyObjRef: "urn:VMware:Vm:d68c782f-ec0a-4bf3-b3c1-04c552b64fdf.vm-85541", Name: "DC-SRV", DisplayName: "DC-SRV", Order: 0,
			Links: Links{{Rel: "Up", Type: "JobReference", Href: testBase + "/api/jobs/" + jobID, Name: "DC Backup"}}},
		{ID: "e310aa12-eff2-41f4-97c8-631b677fc17f", Href: inc + "e310aa12-eff2-41f4-97c8-631b677fc17f", ObjectInJobID: "e310aa12-eff2-41f4-97c8-631b677fc17f",
			HierarchyObjRef: "urn:VMware:Vm:d68c782f-ec0a-4bf3-b3c1-04c552b64fdf.vm-85542", Name: "SQL & Files", DisplayName: "SQL & Files", Order: 1},
	}
	xmlBody := `<ObjectsInJob xmlns="http://www.veeam.com/ent/v1.0">` +
		`<ObjectInJob Type="ObjectInJob" Href="` + want[0].Href + `"><Links><Link Rel="Up" Type="JobReference" Href="` + testBase + `/api/jobs/` + jobID + `" Name="DC Backup"/></Links>` +
		`<ObjectInJobId>83071dc0-44f2-49b6-b431-1cb79ed66639</ObjectInJobId><HierarchyObjRef>` + want[0].HierarchyObjRef + `</HierarchyObjRef><Name>DC-SRV</Name><DisplayName>DC-SRV</DisplayName><Order>0</Order><GuestProcessingOptions><VssSnapshotOptions><VssSnapshotMode>Required</VssSnapshotMode></VssSnapshotOptions></GuestProcessingOptions></ObjectInJob>` +
		`<ObjectInJob Type="ObjectInJob" Href="` + want[1].Href + `"><ObjectInJobId>e310aa12-eff2-41f4-97c8-631b677fc17f</ObjectInJobId><HierarchyObjRef>` + want[1].HierarchyObjRef + `</HierarchyObjRef><Name>SQL &amp; Files</Name><DisplayName>SQL &amp; Files</DisplayName><Order>1</Order></ObjectInJob></ObjectsInJob>`
	em12 := map[string]any{"ObjectInJobs": []any{
		map[string]any{"Type": "ObjectInJob", "Href": want[0].Href, "Links": []any{map[string]any{"Rel": "Up", "Type": "JobReference", "Href": testBase + "/api/jobs/" + jobID, "Name": "DC Backup"}},
			"ObjectInJobId": want[0].ObjectInJobID, "HierarchyObjRef": want[0].HierarchyObjRef, "Name": "DC-SRV", "DisplayName": "DC-SRV", "Order": 0},
		map[string]any{"Type": "ObjectInJob", "Href": want[1].Href, "Links": nil,
			"ObjectInJobId": want[1].ObjectInJobID, "HierarchyObjRef": want[1].HierarchyObjRef, "Name": "SQL & Files", "DisplayName": "SQL & Files", "Order": 1},
	}}
	for _, tt := range []struct {
		name, ct string
		body     []byte
	}{{"xml", ctXML, []byte(xmlBody)}, {"em12", ctJSON, mustJSON(t, em12)}, {"em13", ctJSON, mustJSON(t, camel(em12))}} {
		t.Run(tt.name, func(t *testing.T) {
			c, mt := newMockClient(t)
			mt.RegisterResponder("GET", testBase+"/api/jobs/"+jobID+"/includes", func(*http.Request) (*http.Response, error) {
				return mockResp(200, tt.ct, tt.body), nil
			})
			got, err := c.ListJobIncludes(context.Background(), jobID)
			require.NoError(t, err)
			w := slices.Clone(want)
			if tt.name == "xml" {
				w[0].GuestProcessingOptions = Raw{XML: "<VssSnapshotOptions><VssSnapshotMode>Required</VssSnapshotMode></VssSnapshotOptions>"}
			}
			assert.Equal(t, w, got)
		})
	}

	c, mt := newMockClient(t)
	mt.RegisterResponder("GET", testBase+"/api/jobs/"+jobID+"/includes", func(*http.Request) (*http.Response, error) {
		return mockResp(200, ctXML, readFixture(t, "entityreferences-backuptasksessions-fixed.xml")), nil
	})
	_, err := c.ListJobIncludes(context.Background(), jobID)
	assert.ErrorIs(t, err, ErrDecode, "another list is not the job's includes")
}

func TestListJobBackupSessions(t *testing.T) {
	c, mt := newMockClient(t)
	mt.RegisterResponder("GET", testBase+"/api/jobs/"+sampleJobID+"/backupSessions", func(*http.Request) (*http.Response, error) {
		return mockResp(200, ctXML, []byte(`<EntityReferences xmlns="http://www.veeam.com/ent/v1.0">`+
			`<Ref UID="urn:veeam:BackupJobSession:35c24055-bdee-4e43-b655-a42de408d2ec" Name="Job@2025-06-05 01:00:00" Href="`+testBase+`/api/backupSessions/35c24055-bdee-4e43-b655-a42de408d2ec" Type="BackupJobSessionReference"/></EntityReferences>`)), nil
	})
	refs, err := c.ListJobBackupSessions(context.Background(), sampleJobID)
	require.NoError(t, err)
	require.Len(t, refs, 1)
	assert.Equal(t, EntityRef{UID: "urn:veeam:BackupJobSession:35c24055-bdee-4e43-b655-a42de408d2ec", Name: "Job@2025-06-05 01:00:00",
		Href: testBase + "/api/backupSessions/35c24055-bdee-4e43-b655-a42de408d2ec", Type: "BackupJobSessionReference"}, refs[0])

	old, err := c.ListJobSessions(context.Background(), sampleJobID) // the deprecated name
	require.NoError(t, err)
	assert.Equal(t, refs, old)
}

func FuzzDecodeJob(f *testing.F) {
	addSeeds(f, "job.xml")
	f.Fuzz(func(t *testing.T, body []byte, json bool) {
		if j, err := jobs.decode(contentType(json), body, ""); err == nil && j.UID.Kind() != KindJob {
			t.Fatalf("accepted a %q UID", j.UID)
		}
	})
}
