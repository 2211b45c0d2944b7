package vem

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGetBackupServerSample(t *testing.T) {
	c, mt := newMockClient(t)
	serveFile(t, mt, testBase+"/api/backupServers/ce15a8c7-aa49-495e-b05b-ee3398c91018", "format=Entity", "backupserver-resource-doc.xml", "application/xml")
	s, err := c.GetBackupServer(context.Background(), "ce15a8c7-aa49-495e-b05b-ee3398c91018")
	require.NoError(t, err)
	base := "https://localhost:9398/api/backupServers/ce15a8c7-aa49-495e-b05b-ee3398c91018"
	assert.Equal(t, &BackupServer{
		UID:  "urn:veeam:BackupServer:ce15a8c7-aa49-495e-b05b-ee3398c91018",
		Name: "srv02.tech.local", Href: base + "?format=Entity",
		Port: 9392, Version: "8.0",
		Links: Links{
			{Rel: "Alternate", Type: "BackupServerReference", Href: base, Name: "srv02.tech.local"},
			{Rel: "Edit", Type: "BackupServerReference", Href: base},
			{Rel: "Delete", Type: "BackupServerReference", Href: base},
			{Rel: "Down", Type: "JobReferenceList", Href: base + "/jobs"},
			{Rel: "Down", Type: "ManagedServerReferenceList", Href: base + "/managedServers"},
			{Rel: "Down", Type: "RepositoryReferenceList", Href: base + "/repositories"},
			{Rel: "Down", Type: "CredentialsList", Href: base + "/credentials"},
			{Rel: "Create", Href: base + "/credentials?action=create"},
			{Rel: "Down", Type: "PasswordKeyList", Href: base + "/passwords"},
			{Rel: "Create", Href: base + "/passwords?action=create"},
			{Rel: "VeeamZip", Href: base + "?action=veeamzip"},
			{Rel: "QuickBackup", Href: base + "?action=quickbackup"},
			{Rel: "Start", Href: base + "?action=collect"},
		},
	}, s)
	l, ok := s.JobsLink()
	require.True(t, ok)
	assert.Equal(t, base+"/jobs", l.Href)
	l, ok = s.RepositoriesLink()
	require.True(t, ok)
	assert.Equal(t, base+"/repositories", l.Href)
	l, ok = s.AlternateLink()
	require.True(t, ok)
	assert.Equal(t, base, l.Href)
}

// EM 12.3 and 13 send WcfPort and VbrCertificateThumbprint; both JSON
// casings and XML read them.
func TestGetBackupServerWcfPortAndThumbprint(t *testing.T) {
	const id = "ce15a8c7-aa49-495e-b05b-ee3398c91018"
	want := &BackupServer{
		UID: "urn:veeam:BackupServer:" + id, Name: "vbr01.tech.local", Href: testBase + "/api/backupServers/" + id + "?format=Entity",
		Description: "Created by vem tests", Port: 9392, Version: "13.0.1.1071", WcfPort: 9393,
		VBRCertificateThumbprint: "5D1E6C3F0B8A9E2D47C1B0A3F6E9D8C7B6A5F4E3",
	}
	xmlBody := `<BackupServer xmlns="http://www.veeam.com/ent/v1.0" Type="BackupServer" Href="` + want.Href + `" Name="vbr01.tech.local" UID="` + string(want.UID) + `"><Links /><Description>Created by vem tests</Description><Port>9392</Port><Version>13.0.1.1071</Version><WcfPort>9393</WcfPort><VbrCertificateThumbprint>5D1E6C3F0B8A9E2D47C1B0A3F6E9D8C7B6A5F4E3</VbrCertificateThumbprint></BackupServer>`
	em12 := map[string]any{"Links": nil, "Description": "Created by vem tests", "Port": 9392, "Version": "13.0.1.1071", "WcfPort": 9393,
		"VbrCertificateThumbprint": "5D1E6C3F0B8A9E2D47C1B0A3F6E9D8C7B6A5F4E3", "Href": want.Href, "Name": "vbr01.tech.local", "UID": string(want.UID), "Type": "BackupServer"}
	for _, tt := range []struct {
		name, ct string
		body     []byte
	}{
		{"xml", ctXML, []byte(xmlBody)},
		{"em12", ctJSON, mustJSON(t, em12)},
		{"em13", ctJSON, mustJSON(t, camel(em12))},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, mt := newMockClient(t)
			mt.RegisterResponderWithQuery("GET", testBase+"/api/backupServers/"+id, "format=Entity", func(*http.Request) (*http.Response, error) {
				return mockResp(200, tt.ct, tt.body), nil
			})
			got, err := c.GetBackupServer(context.Background(), id)
			require.NoError(t, err)
			assert.Equal(t, want, got)
		})
	}
}

func FuzzDecodeBackupServer(f *testing.F) {
	addSeeds(f, "backupserver-resource-doc.xml")
	f.Fuzz(func(t *testing.T, body []byte, json bool) {
		if s, err := backupServers.decode(contentType(json), body, ""); err == nil && s.UID.Kind() != KindBackupServer {
			t.Fatalf("accepted a %q UID", s.UID)
		}
	})
}
