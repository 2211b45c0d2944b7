package vem

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUIDKindAndID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		uid      UID
		kind, id string
	}{
		{seedUID, "BackupTaskSession", seedGUID},
		{"urn:veeam:BackupJobSession:0d3a8230-3db1-4cc1-a7b2-3b0b5c8f784c", "BackupJobSession", "0d3a8230-3db1-4cc1-a7b2-3b0b5c8f784c"},
		{"URN:Veeam:BackupServer:a490c017-2c1c-40ee-8bcf-73bcce6ab36f", "BackupServer", "a490c017-2c1c-40ee-8bcf-73bcce6ab36f"},
		{"urn:veeam:Job:2b078668", "Job", "2b078668"}, // Kind/ID split only; ParseID checks the GUID
		{"", "", ""},
		{"urn:veeam:", "", ""},
		{"urn:veeam:BackupTaskSession", "", ""},
		{"urn:veeam:BackupTaskSession:", "", ""},
		{"urn:veeam::" + seedGUID, "", ""},
		{"urn:veeam:A:B:C", "", ""},
		{"urn:VMware:Vm:a87d15db-dd70-4769-acd6-41bae88219d4.vm-91826", "", ""},
		{UID(seedGUID), "", ""},
		{"urn:vee", "", ""},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.kind, tt.uid.Kind(), "Kind of %q", tt.uid)
		assert.Equal(t, tt.id, tt.uid.ID(), "ID of %q", tt.uid)
		assert.Equal(t, string(tt.uid), tt.uid.String())
	}
}

func TestParseID(t *testing.T) {
	t.Parallel()
	good := map[string]string{
		seedGUID:                  seedGUID,
		strings.ToUpper(seedGUID): seedGUID,
		seedUID:                   seedGUID,
		"urn:veeam:BackupTaskSession:" + strings.ToUpper(seedGUID): seedGUID,
		"Urn:Veeam:BackupTaskSession:" + seedGUID:                  seedGUID,
	}
	for in, want := range good {
		got, err := ParseID(KindBackupTaskSession, in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}

	bad := map[string]string{
		"":                                       "empty",
		"..":                                     "not a GUID",
		"/":                                      "not a GUID",
		"?":                                      "not a GUID",
		seedGUID + "x":                           "not a GUID",
		"urn:veeam:BackupJobSession:" + seedGUID: "BackupJobSession UID",
		"urn:veeam:backuptasksession:" + seedGUID:     "backuptasksession UID", // kinds are case-sensitive
		"urn:veeam:BackupTaskSession:" + seedGUID[1:]: "not a GUID",
	}
	for in, reason := range bad {
		got, err := ParseID(KindBackupTaskSession, in)
		require.ErrorIs(t, err, ErrInvalidID, "%q", in)
		assert.Empty(t, got)
		var ie *InvalidIDError
		require.ErrorAs(t, err, &ie)
		assert.Equal(t, in, ie.ID)
		assert.Equal(t, KindBackupTaskSession, ie.Kind)
		assert.Contains(t, err.Error(), reason, "%q", in)
	}

	// The kind is the caller's.
	got, err := ParseID(KindBackupJobSession, "urn:veeam:BackupJobSession:"+seedGUID)
	require.NoError(t, err)
	assert.Equal(t, seedGUID, got)
}

func TestInvalidIDErrorTruncatesLongInput(t *testing.T) {
	t.Parallel()
	_, err := ParseID(KindBackupTaskSession, strings.Repeat("x", 10000))
	require.ErrorIs(t, err, ErrInvalidID)
	assert.Less(t, len(err.Error()), 300)
}

func TestLinkID(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"https://localhost:9398/api/vmRestorePoints/a3571c27-a3a9-4ac8-8dfb-71a2336b3218?format=Entity":                           "a3571c27-a3a9-4ac8-8dfb-71a2336b3218",
		"https://localhost:9398/api/backupSessions/a057c2c3-f3bd-4ab4-9fb7-24058cccb4f6/taskSessions":                             "a057c2c3-f3bd-4ab4-9fb7-24058cccb4f6",
		"https://localhost:9398/api/backupSessions/a057c2c3-f3bd-4ab4-9fb7-24058cccb4f6?action=stop":                              "a057c2c3-f3bd-4ab4-9fb7-24058cccb4f6",
		"https://localhost:9398/api/backupServers/A490C017-2C1C-40EE-8BCF-73BCCE6AB36F":                                           "a490c017-2c1c-40ee-8bcf-73bcce6ab36f",
		"https://localhost:9398/api/backupServers/ce15a8c7-aa49-495e-b05b-ee3398c91018/credentials?action=create":                 "ce15a8c7-aa49-495e-b05b-ee3398c91018",
		"https://localhost:9398/api/backupServers/ce15a8c7-aa49-495e-b05b-ee3398c91018/jobs/2b078668-e45d-4eb3-abb0-275b0d130e7e": "2b078668-e45d-4eb3-abb0-275b0d130e7e", // the last GUID
		"/api/backupTaskSessions/" + seedGUID + "/":                                                                               seedGUID,
		"https://srv12.tech.local:9398/api/logonSessions":                                                                         "",
		"https://srv12.tech.local:9398/api/":                                                                                      "",
		"https://localhost:9398/api/query?type=BackupTaskSession&page=2&uid=" + seedGUID:                                          "", // only the path counts
		"https://localhost:9398/api/backupTaskSessions/" + seedGUID + "x":                                                         "",
		"":                "",
		"garbage":         "",
		"::::":            "",
		"https://[::1":    "",
		"%zz/" + seedGUID: "",
		"\x00" + seedGUID: "",
	}
	for href, want := range tests {
		assert.Equal(t, want, Link{Href: href}.ID(), "%q", href)
	}
}

func TestLinksFind(t *testing.T) {
	t.Parallel()
	ls := wantSeed().Links
	ls = append(ls, Link{Rel: "Delete", Href: "https://localhost:9398/api/x"})

	tests := []struct {
		rel, typ string
		wantOK   bool
		wantHref string
	}{
		{"Up", "", true, ls[0].Href}, // "" matches any type: first Up
		{"Up", "BackupJobSessionReference", true, ls[1].Href},
		{"up", "backupjobsessionreference", true, ls[1].Href}, // case-insensitive
		{"ALTERNATE", "", true, ls[2].Href},
		{"Related", "VmRestorePoint", true, ls[3].Href},
		{"Related", "VmRestorePointReference", false, ""},
		{"Delete", "", true, "https://localhost:9398/api/x"}, // action link without Type
		{"Delete", "X", false, ""},
		{"Down", "", false, ""},
		{"", "", false, ""},
	}
	for _, tt := range tests {
		l, ok := ls.Find(tt.rel, tt.typ)
		assert.Equal(t, tt.wantOK, ok, "%s/%s", tt.rel, tt.typ)
		assert.Equal(t, tt.wantHref, l.Href, "%s/%s", tt.rel, tt.typ)
	}
	_, ok := Links(nil).Find("Up", "")
	assert.False(t, ok)

	ups := ls.FindAll("up", "")
	require.Len(t, ups, 2)
	assert.Equal(t, ls[:2], ups)
	assert.Len(t, ls.FindAll("Up", "BackupServerReference"), 1)
	assert.Empty(t, ls.FindAll("Down", ""))
}

func FuzzParseID(f *testing.F) {
	for _, s := range []string{
		seedGUID, strings.ToUpper(seedGUID), seedUID, "urn:veeam:BackupJobSession:" + seedGUID,
		"", "..", "/", "?", " " + seedGUID, seedGUID + "x", "urn:veeam:BackupTaskSession:", "urn:veeam::",
		"urn:veeam:BackupTaskSession:" + seedGUID + ":x", "{" + seedGUID + "}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		guid, err := ParseID(KindBackupTaskSession, id)
		if err != nil {
			if guid != "" {
				t.Fatal("a GUID with an error")
			}
			if !errors.Is(err, ErrInvalidID) {
				t.Fatalf("error %v does not match ErrInvalidID", err)
			}
			return
		}
		if !isGUID(guid) || guid != strings.ToLower(guid) {
			t.Fatalf("ParseID(%q) = %q, not a lower-case GUID", id, guid)
		}
		if !strings.Contains(strings.ToLower(id), guid) {
			t.Fatalf("ParseID(%q) = %q, not taken from the input", id, guid)
		}
		// Only safe path characters come out.
		if strings.ContainsAny(guid, "/?#%. ") {
			t.Fatalf("unsafe GUID %q", guid)
		}
		// The result round-trips through a UID.
		again, err := ParseID(KindBackupTaskSession, "urn:veeam:BackupTaskSession:"+guid)
		if err != nil || again != guid {
			t.Fatalf("round trip of %q: %q, %v", guid, again, err)
		}
	})
}
