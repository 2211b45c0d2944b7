package vem

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGetVMRestorePointSample(t *testing.T) {
	c, mt := newMockClient(t)
	serveFile(t, mt, testBase+"/api/vmRestorePoints/6c958531-3177-4055-b0ce-dc4ef1ce6433", "format=Entity", "vmrestorepoint.xml", "application/xml")
	p, err := c.GetVMRestorePoint(context.Background(), "6c958531-3177-4055-b0ce-dc4ef1ce6433")
	require.NoError(t, err)
	const api = "https://enterprise04.tech.local:9398/api/"
	const id = "6c958531-3177-4055-b0ce-dc4ef1ce6433"
	assert.Equal(t, &VMRestorePoint{
		UID: "urn:veeam:VmRestorePoint:" + id, Name: "ubuntu88@2025-10-20 20:04:07", Href: api + "vmRestorePoints/" + id + "?format=Entity",
		VMDisplayName: "ubuntu88", VMName: "ubuntu88", Algorithm: AlgorithmIncremental, PointType: PointTypeIncrement,
		HierarchyObjRef: "urn:VMware:Vm:d68c782f-ec0a-4bf3-b3c1-04c552b64fdf.vm-85541",
		CreationTime:    time.Date(2025, 10, 20, 20, 4, 7, 267e6, time.UTC),
		Links: Links{
			{Rel: "Restore", Href: api + "vmRestorePoints/" + id + "?action=restore"},
			{Rel: "Up", Type: "BackupServerReference", Href: api + "backupServers/a490c017-2c1c-40ee-8bcf-73bcce6ab36f", Name: "enterprise01.tech.local"},
			{Rel: "Up", Type: "RestorePointReference", Href: api + "restorePoints/588d2507-4b4b-4b55-a851-3de77114fbf2", Name: "Oct 20 2025  8:00PM"},
			{Rel: "Up", Type: "BackupFileReference", Href: api + "backupFiles/071bd77e-c00c-479a-a378-19c3a0c39c80", Name: "Backup Job 3D2025-10-20T220020_159E.vib"},
			{Rel: "Alternate", Type: "VmRestorePointReference", Href: api + "vmRestorePoints/" + id, Name: "ubuntu88@2025-10-20 20:04:07"},
			{Rel: "Down", Type: "VmRestorePointMountList", Href: api + "vmRestorePoints/" + id + "/mounts"},
			{Rel: "Create", Type: "VmRestorePointMount", Href: api + "vmRestorePoints/" + id + "/mounts"},
		},
	}, p)
	l, ok := p.BackupServerLink()
	require.True(t, ok)
	assert.Equal(t, "a490c017-2c1c-40ee-8bcf-73bcce6ab36f", l.ID())
	l, ok = p.RestorePointLink()
	require.True(t, ok)
	assert.Equal(t, "588d2507-4b4b-4b55-a851-3de77114fbf2", l.ID())
	l, ok = p.BackupFileLink()
	require.True(t, ok)
	assert.Equal(t, "071bd77e-c00c-479a-a378-19c3a0c39c80", l.ID())
	_, ok = p.AlternateLink()
	assert.True(t, ok)
}

func FuzzDecodeVMRestorePoint(f *testing.F) {
	addSeeds(f, "vmrestorepoint.xml")
	f.Fuzz(func(t *testing.T, body []byte, json bool) {
		if p, err := vmRestorePoints.decode(contentType(json), body, ""); err == nil && p.UID.Kind() != KindVMRestorePoint {
			t.Fatalf("accepted a %q UID", p.UID)
		}
	})
}
