package vem

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The seed example decodes to exactly the same values from XML, EM 12
// PascalCase JSON, EM 13 camelCase JSON and JSON behind a UTF-8 BOM, and
// the request is GET /api/backupTaskSessions/{guid}?format=Entity with one
// Accept type.
func TestGetBackupTaskSessionSeed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		format  Format
		fixture string
		ct      string
	}{
		{"xml", FormatXML, "backuptasksession.xml", ctXML},
		{"xml plain content type", FormatXML, "backuptasksession.xml", "application/xml"},
		{"em12 json", FormatJSON, "backuptasksession-em12.json", ctJSON},
		{"em13 json", FormatJSON, "backuptasksession-em13.json", ctJSON},
		{"json with bom", FormatJSON, "backuptasksession-bom.json", ctJSON},
		{"xml with bom", FormatXML, "", ctXML},
		{"xml answer to json request", FormatJSON, "backuptasksession.xml", ctXML},
		{"json answer to xml request", FormatXML, "backuptasksession-em13.json", "application/json"},
		{"text/xml", FormatXML, "backuptasksession.xml", "text/xml"},
		{"octet-stream xml sniffed", FormatXML, "backuptasksession.xml", "application/octet-stream"},
		{"octet-stream json sniffed", FormatJSON, "backuptasksession-bom.json", "application/octet-stream"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var body []byte
			if tt.fixture == "" {
				body = append([]byte{0xEF, 0xBB, 0xBF}, readFixture(t, "backuptasksession.xml")...)
			} else {
				body = readFixture(t, tt.fixture)
			}
			em := newFakeEM(t)
			rec := em.serveTask(seedGUID, tt.ct, body)
			c := em.client(t, WithFormat(tt.format))

			s, err := c.GetBackupTaskSession(context.Background(), seedGUID)
			require.NoError(t, err)
			assert.Equal(t, wantSeed(), s)

			require.Equal(t, 1, rec.count())
			req := rec.last()
			assert.Equal(t, http.MethodGet, req.Method)
			assert.Equal(t, "/api/backupTaskSessions/"+seedGUID, req.URL.Path)
			assert.Equal(t, "format=Entity", req.URL.RawQuery)
			assert.Equal(t, []string{acceptFor(tt.format)}, req.Header.Values("Accept"), "exactly one Accept type")
			assert.Equal(t, "tok-1", req.Header.Get(sessionHeader))
		})
	}
}

func TestGetBackupTaskSessionAcceptsGUIDAndUID(t *testing.T) {
	t.Parallel()
	ids := []string{
		seedGUID,
		strings.ToUpper(seedGUID),
		"88322206-A645-4aa3-9228-028CE51E7C0F",
		seedUID,
		"urn:veeam:BackupTaskSession:" + strings.ToUpper(seedGUID),
		"URN:VEEAM:BackupTaskSession:" + seedGUID,
	}
	em := newFakeEM(t)
	rec := em.serveTask(seedGUID, ctXML, readFixture(t, "backuptasksession.xml"))
	c := em.client(t)
	for i, id := range ids {
		s, err := c.GetBackupTaskSession(context.Background(), id)
		require.NoError(t, err, id)
		assert.Equal(t, UID(seedUID), s.UID)
		require.Equal(t, i+1, rec.count())
		assert.Equal(t, "/api/backupTaskSessions/"+seedGUID, rec.last().URL.Path, "lower-case GUID in the path")
	}
}

func TestGetBackupTaskSessionInvalidIDSendsNothing(t *testing.T) {
	t.Parallel()
	ids := []string{
		"",
		" ",
		"..",
		"/",
		"?",
		"../" + seedGUID,
		seedGUID + "/",
		seedGUID + "?format=Entity",
		"urn:veeam:BackupJobSession:" + seedGUID,
		"urn:veeam:VmRestorePoint:" + seedGUID,
		"urn:veeam::" + seedGUID,
		"urn:veeam:BackupTaskSession:",
		"urn:veeam:BackupTaskSession:not-a-guid",
		"urn:veeam:BackupTaskSession:" + seedGUID + ":x",
		"urn:other:BackupTaskSession:" + seedGUID,
		" " + seedGUID,
		seedGUID + " ",
		seedGUID + "0",
		seedGUID[:35],
		"{" + seedGUID + "}",
		strings.ReplaceAll(seedGUID, "-", ""),
		"88322206_a645_4aa3_9228_028ce51e7c0f",
		"g8322206-a645-4aa3-9228-028ce51e7c0f",
		"88322206-a645-4aa3-9228-028ce51e7c0f\n",
		"%38%38322206-a645-4aa3-9228-028ce51e7c0f",
	}
	for _, id := range ids {
		mt := httpmock.NewMockTransport()
		c, err := New(testBase, WithHTTPClient(&http.Client{Transport: mt}), WithCredentials(testUser, testPass))
		require.NoError(t, err)
		s, err := c.GetBackupTaskSession(context.Background(), id)
		require.ErrorIs(t, err, ErrInvalidID, "%q", id)
		var ie *InvalidIDError
		require.ErrorAs(t, err, &ie)
		assert.Equal(t, KindBackupTaskSession, ie.Kind)
		assert.Nil(t, s)
		require.NoError(t, c.Close())
		assert.Zero(t, mt.GetTotalCallCount(), "nothing may be sent for %q", id)
	}
}

// A 2xx body that is not a BackupTaskSession entity is a *DecodeError
// naming the resource, never an empty struct.
func TestGetBackupTaskSessionNotATaskSession(t *testing.T) {
	t.Parallel()
	half := func(b []byte) []byte { return b[:len(b)/2] }
	seedXML := readFixture(t, "backuptasksession.xml")
	seedJSON := readFixture(t, "backuptasksession-em12.json")
	tests := []struct {
		name string
		ct   string
		body []byte
	}{
		{"entity reference (no format=Entity)", ctXML, readFixture(t, "backuptasksession-ref-v9.xml")},
		{"job session", ctXML, readFixture(t, "backupjobsession.xml")},
		{"reference list", ctXML, readFixture(t, "entityreferences-backuptasksessions-fixed.xml")},
		{"xml error document with 200", ctXML, readFixture(t, "error-500-v95u4.xml")},
		{"json error document with 200", ctJSON, readFixture(t, "error-400-v95u4.json")},
		{"empty json object", ctJSON, []byte(`{}`)},
		{"json null", ctJSON, []byte(`null`)},
		{"json array", ctJSON, []byte(`[]`)},
		{"json reference", ctJSON, []byte(`{"Type":"BackupTaskSessionReference","UID":"` + seedUID + `","Name":"x","Href":"https://em:9398/api/backupTaskSessions/` + seedGUID + `"}`)},
		{"json with job session uid", ctJSON, []byte(`{"UID":"urn:veeam:BackupJobSession:` + seedGUID + `"}`)},
		{"truncated xml", ctXML, half(seedXML)},
		{"truncated json", ctJSON, half(seedJSON)},
		{"empty xml body", ctXML, nil},
		{"empty json body", ctJSON, nil},
		{"whitespace body", ctXML, []byte("  \r\n")},
		{"bom only", ctJSON, []byte{0xEF, 0xBB, 0xBF}},
		{"html page with 200", ctHTML, readFixture(t, "error-502.html")},
		{"json body labelled xml", ctXML, seedJSON},
		{"xml body labelled json", ctJSON, seedXML},
		{"entity reference without Type", ctXML, bytes.Replace(readFixture(t, "backuptasksession-ref-v9.xml"), []byte(`Type="BackupTaskSessionReference" `), nil, 1)},
		{"bad creation time", ctXML, bytes.Replace(seedXML, []byte("2025-10-11T20:06:09.627Z"), []byte("yesterday"), 1)},
		{"wrong uid kind in entity", ctXML, bytes.Replace(seedXML, []byte(`UID="urn:veeam:BackupTaskSession:`), []byte(`UID="urn:veeam:BackupJobSession:`), 1)},
		{"wrong Type in entity", ctXML, bytes.Replace(seedXML, []byte(`Type="BackupTaskSession"`), []byte(`Type="BackupTaskSessionReference"`), 1)},
		{"json string size", ctJSON, bytes.Replace(seedJSON, []byte(`12884901888`), []byte(`"12 GB"`), 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			em := newFakeEM(t)
			em.serveTask(seedGUID, tt.ct, tt.body)
			c := em.client(t)
			s, err := c.GetBackupTaskSession(context.Background(), seedGUID)
			require.ErrorIs(t, err, ErrDecode)
			assert.Nil(t, s)
			var de *DecodeError
			require.ErrorAs(t, err, &de)
			assert.Equal(t, "BackupTaskSession "+seedGUID, de.Resource)
			assert.Equal(t, "/api/backupTaskSessions/"+seedGUID, de.Path)
			assert.Equal(t, tt.ct, de.ContentType)
			require.Error(t, de.Err)
			assert.Contains(t, err.Error(), "BackupTaskSession "+seedGUID)
			assert.LessOrEqual(t, len(de.Snippet), 123)
			assert.Equal(t, 1, em.calls(http.MethodGet, em.taskURL(seedGUID)+"?format=Entity"), "a decode error is not retried")
		})
	}
}

func TestGetBackupTaskSessionRunning(t *testing.T) {
	t.Parallel()
	em := newFakeEM(t)
	em.serveTask(seedGUID, ctXML, readFixture(t, "backuptasksession-running.xml"))
	c := em.client(t)
	s, err := c.GetBackupTaskSession(context.Background(), seedGUID)
	require.NoError(t, err)

	assert.Equal(t, StateInProgress, s.State)
	assert.False(t, s.State.Ended())
	assert.Equal(t, ResultNone, s.Result)
	assert.True(t, s.EndTime.IsZero())
	assert.Equal(t, wantSeed().CreationTime, s.CreationTime)
	assert.Zero(t, s.Duration())
	assert.Len(t, s.Links, 3)

	_, ok := s.VMRestorePointLink()
	assert.False(t, ok, "no restore point yet")
	l, ok := s.BackupServerLink()
	require.True(t, ok)
	assert.Equal(t, "a490c017-2c1c-40ee-8bcf-73bcce6ab36f", l.ID())
	l, ok = s.BackupJobSessionLink()
	require.True(t, ok)
	assert.Equal(t, "0d3a8230-3db1-4cc1-a7b2-3b0b5c8f784c", l.ID())
	l, ok = s.AlternateLink()
	require.True(t, ok)
	assert.Equal(t, seedGUID, l.ID())
}

func TestBackupTaskSessionLinkHelpers(t *testing.T) {
	t.Parallel()
	s := wantSeed()
	tests := []struct {
		name     string
		get      func() (Link, bool)
		rel, typ string
		linkName string
		id       string
	}{
		{"backup server", s.BackupServerLink, RelUp, TypeBackupServerReference, "enterprise01.tech.local", "a490c017-2c1c-40ee-8bcf-73bcce6ab36f"},
		{"job session", s.BackupJobSessionLink, RelUp, TypeBackupJobSessionReference, "vCD Job Template@2025-10-11 20:00:04", "0d3a8230-3db1-4cc1-a7b2-3b0b5c8f784c"},
		{"alternate", s.AlternateLink, RelAlternate, TypeBackupTaskSessionReference, "AnT_VM2@2025-10-11 20:06:09", seedGUID},
		{"restore point", s.VMRestorePointLink, RelRelated, TypeVMRestorePoint, "AnT_VM2-bFpa@2025-10-11 20:06:23", "a3571c27-a3a9-4ac8-8dfb-71a2336b3218"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l, ok := tt.get()
			require.True(t, ok)
			assert.Equal(t, tt.rel, l.Rel)
			assert.Equal(t, tt.typ, l.Type)
			assert.Equal(t, tt.linkName, l.Name)
			assert.Equal(t, tt.id, l.ID())
		})
	}
	// The helpers pick by Type, not by position.
	rev := *s
	rev.Links = Links{s.Links[3], s.Links[2], s.Links[1], s.Links[0]}
	l, ok := rev.BackupServerLink()
	require.True(t, ok)
	assert.Equal(t, "a490c017-2c1c-40ee-8bcf-73bcce6ab36f", l.ID())
	l, ok = rev.BackupJobSessionLink()
	require.True(t, ok)
	assert.Equal(t, "0d3a8230-3db1-4cc1-a7b2-3b0b5c8f784c", l.ID())

	// Only a VmRestorePoint counts as the restore point.
	other := BackupTaskSession{Links: Links{{Rel: RelRelated, Type: "RestorePointReference", Href: "https://localhost:9398/api/restorePoints/a5eed1d4-cf03-4ab5-bc63-deffcfeb728c"}}}
	_, ok = other.VMRestorePointLink()
	assert.False(t, ok)

	var empty BackupTaskSession
	for _, get := range []func() (Link, bool){empty.BackupServerLink, empty.BackupJobSessionLink, empty.AlternateLink, empty.VMRestorePointLink} {
		_, ok := get()
		assert.False(t, ok)
	}
}

func TestBackupTaskSessionDuration(t *testing.T) {
	t.Parallel()
	s := wantSeed()
	assert.Equal(t, "59.72s", s.Duration().String())
	assert.True(t, s.State.Ended())
	assert.True(t, StateStopped.Ended())
	assert.False(t, StateWorking.Ended())
}

// Hrefs with "&amp;" are unescaped by the XML decoder, and action links
// without Type decode with an empty Type.
func TestDecodeLinksQuirks(t *testing.T) {
	t.Parallel()
	body := strings.Replace(string(readFixture(t, "backuptasksession.xml")), "<Links>",
		`<Links><Link Href="https://localhost:9398/api/query?type=X&amp;page=2" Rel="Next" /><Link Href="https://localhost:9398/api/backupTaskSessions/`+seedGUID+`?action=stop" Rel="Stop" Name="" />`, 1)
	s, err := taskSessions.decode(ctXML, []byte(body), "")
	require.NoError(t, err)
	require.Len(t, s.Links, 6)
	assert.Equal(t, Link{Rel: "Next", Href: "https://localhost:9398/api/query?type=X&page=2"}, s.Links[0])
	assert.Equal(t, "", s.Links[1].Type)
	assert.Equal(t, seedGUID, s.Links[1].ID())
}

func TestParseTime(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"2014-10-19T05:23:44Z":          "2014-10-19T05:23:44Z",
		"2025-06-05T01:04:29.56Z":       "2025-06-05T01:04:29.56Z",
		"2026-06-16T06:22:59.39912Z":    "2026-06-16T06:22:59.39912Z",
		"2026-06-16T06:22:59.3991234Z":  "2026-06-16T06:22:59.3991234Z",
		"2025-10-11T22:06:09.627+02:00": "2025-10-11T20:06:09.627Z",
		"2026-06-15T00:21:49":           "2026-06-15T00:21:49Z", // no zone: UTC
		" 2014-10-19T05:23:44Z ":        "2014-10-19T05:23:44Z",
	}
	for in, want := range tests {
		got, err := parseTime("T", in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got.Format("2006-01-02T15:04:05.9999999Z07:00"), in)
		assert.Equal(t, "UTC", got.Location().String())
	}
	z, err := parseTime("T", "")
	require.NoError(t, err)
	assert.True(t, z.IsZero())
	_, err = parseTime("EndTimeUTC", "yesterday")
	require.ErrorContains(t, err, "EndTimeUTC")
}

func FuzzDecodeBackupTaskSession(f *testing.F) {
	fuzzSeedFiles(f, func(b []byte, sel byte) { f.Add(b, sel) })
	f.Fuzz(func(t *testing.T, body []byte, sel byte) {
		ct := fuzzCT(sel)
		s, err := taskSessions.decode(ct, body, "")
		if err != nil {
			if s != nil {
				t.Fatal("decode returned a session with an error")
			}
			return
		}
		if s.UID.Kind() != KindBackupTaskSession {
			t.Fatalf("accepted a session with UID %q", s.UID)
		}
		if s.UID.ID() == "" {
			t.Fatalf("accepted a UID without ID: %q", s.UID)
		}
		if !s.CreationTime.IsZero() && s.CreationTime.Location().String() != "UTC" {
			t.Fatalf("CreationTime not in UTC: %v", s.CreationTime)
		}
	})
}

func TestBackupTaskSessionJobSessionID(t *testing.T) {
	const js = "35c24055-bdee-4e43-b655-a42de408d2ec"
	link := Links{{Rel: RelUp, Type: TypeBackupJobSessionReference, Href: "https://h:9398/api/backupSessions/" + js}}
	tests := []struct {
		name string
		s    BackupTaskSession
		want string
	}{
		{"from the UID", BackupTaskSession{JobSessionUID: "urn:veeam:BackupJobSession:" + js}, js},
		{"UID in upper case", BackupTaskSession{JobSessionUID: UID("urn:veeam:BackupJobSession:" + strings.ToUpper(js))}, js},
		{"from the link", BackupTaskSession{Links: link}, js},
		{"a malformed UID falls back to the link", BackupTaskSession{JobSessionUID: "urn:veeam:BackupJobSession:x", Links: link}, js},
		{"neither", BackupTaskSession{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.s.JobSessionID())
		})
	}
}
