package vem

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestListBackupTaskSessions(t *testing.T) {
	c, mt := newMockClient(t)
	serveFile(t, mt, testBase+"/api/backupTaskSessions", "", "entityreferences-backuptasksessions-fixed.xml", "application/xml")
	refs, err := c.ListBackupTaskSessions(context.Background())
	require.NoError(t, err)
	require.Len(t, refs, 6)
	assert.Equal(t, UID("urn:veeam:BackupTaskSession:9c1abbfb-48a2-4042-b2f0-1ac12adecdb6"), refs[0].UID)
	assert.Equal(t, "9c1abbfb-48a2-4042-b2f0-1ac12adecdb6", refs[0].ID())
	assert.Equal(t, "VM01@2025-10-19 06:07:13", refs[0].Name)
	assert.Equal(t, "BackupTaskSessionReference", refs[0].Type)
	l, ok := refs[0].AlternateLink()
	require.True(t, ok)
	assert.Equal(t, "BackupTaskSession", l.Type)
	l, ok = refs[1].Links.Find(RelUp, TypeBackupJobSessionReference)
	require.True(t, ok)
	assert.Equal(t, "672d10c5-3b5c-474b-9550-e16707898b91", l.ID())
	assert.Equal(t, UID("urn:veeam:BackupTaskSession:28803e33-6366-4604-83d1-2b670a4469f2"), refs[5].UID)
}

func FuzzDecodeEntityRefs(f *testing.F) {
	addSeeds(f, "entityreferences-backuptasksessions-fixed.xml", "backuptasksession-ref-v9.xml")
	f.Fuzz(func(t *testing.T, body []byte, json bool) {
		var w entityRefsWire
		if decodeWire(contentType(json), body, &w) != nil {
			return
		}
		for i := range w.Refs {
			if r, err := w.Refs[i].toPublic(""); err == nil && r.UID.Kind() == "" {
				t.Fatalf("accepted a reference without a valid UID: %q", r.UID)
			}
		}
		var one entityRefWire
		if decodeWire(contentType(json), body, &one) == nil {
			if r, err := one.toPublic("EntityRef"); err == nil && r.ID() == "" {
				t.Fatalf("accepted a reference without an ID: %q", r.UID)
			}
		}
	})
}
