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
	assert.Equal(t, "ubuntu88@2025-10-20 20:04:07", p.Name)
	assert.Equal(t, "ubuntu88", p.VMDisplayName)
	assert.Equal(t, "ubuntu88", p.VMName)
	assert.Equal(t, AlgorithmIncremental, p.Algorithm)
	assert.Equal(t, PointTypeIncrement, p.PointType)
	assert.Equal(t, "urn:VMware:Vm:d68c782f-ec0a-4bf3-b3c1-04c552b64fdf.vm-85541", p.HierarchyObjRef)
	assert.Equal(t, time.Date(2025, 10, 20, 20, 4, 7, 267e6, time.UTC), p.CreationTime)
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
