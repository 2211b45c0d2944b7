package em

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestIsGUID(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"88322206-a645-4aa3-9228-028ce51e7c0f", true},
		{"88322206-A645-4AA3-9228-028CE51E7C0F", true},
		{"88322206-a645-4aa3-9228-028ce51e7c0", false},
		{"88322206-a645-4aa3-9228-028ce51e7c0g", false},
		{"88322206a645-4aa3-9228-028ce51e7c0ff", false},
		{"", false},
		{"../../../../../../../../../../../..", false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, IsGUID(tt.in), tt.in)
	}
}

func TestSplitUIDAndGUIDOf(t *testing.T) {
	tests := []struct {
		in         string
		kind, id   string
		ok         bool
		guid       string
		guidOK     bool
		roundTrips bool
	}{
		{"urn:veeam:Job:5adf6525-51d9-48b9-a72d-7f80701c714b", "Job", "5adf6525-51d9-48b9-a72d-7f80701c714b", true, "5adf6525-51d9-48b9-a72d-7f80701c714b", true, true},
		{"URN:VEEAM:BackupServer:ce15a8c7-AA49-495e-b05b-ee3398c91018", "BackupServer", "ce15a8c7-AA49-495e-b05b-ee3398c91018", true, "ce15a8c7-aa49-495e-b05b-ee3398c91018", true, false},
		{"5ADF6525-51d9-48b9-a72d-7f80701c714b", "", "", false, "5adf6525-51d9-48b9-a72d-7f80701c714b", true, false},
		{"urn:veeam:Job:not-a-guid", "Job", "not-a-guid", true, "", false, true},
		{"urn:veeam::x", "", "", false, "", false, false},
		{"urn:veeam:Job:a:b", "", "", false, "", false, false},
		{"urn:VMware:Vm:a87d15db.vm-91826", "", "", false, "", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			kind, id, ok := SplitUID(tt.in)
			assert.Equal(t, []any{tt.kind, tt.id, tt.ok}, []any{kind, id, ok})
			guid, ok := GUIDOf(tt.in)
			assert.Equal(t, []any{tt.guid, tt.guidOK}, []any{guid, ok})
			if tt.roundTrips {
				assert.Equal(t, tt.in, UID(kind, id))
			}
		})
	}
}

func TestTimeRoundTrip(t *testing.T) {
	tests := []struct {
		in   time.Time
		want string
	}{
		{time.Date(2025, 10, 11, 20, 6, 9, 627_000_000, time.UTC), "2025-10-11T20:06:09.627Z"},
		{time.Date(2025, 8, 15, 8, 0, 0, 0, time.FixedZone("CEST", 2*3600)), "2025-08-15T06:00:00Z"},
		{time.Date(2025, 1, 2, 3, 4, 5, 123_456_789, time.UTC), "2025-01-02T03:04:05.1234567Z"},
	}
	for _, tt := range tests {
		got := FormatTime(tt.in)
		assert.Equal(t, tt.want, got)
		back, ok := ParseTime(got)
		require.True(t, ok)
		assert.True(t, back.Equal(tt.in.Truncate(100*time.Nanosecond)), "%s != %s", back, tt.in)
		assert.Equal(t, time.UTC, back.Location())
	}
	zoneless, ok := ParseTime("2025-06-05T01:04:29.56")
	require.True(t, ok)
	assert.Equal(t, time.Date(2025, 6, 5, 1, 4, 29, 560_000_000, time.UTC), zoneless)
	for _, bad := range []string{"", " ", "yesterday", "2025-13-01T00:00:00Z"} {
		_, ok := ParseTime(bad)
		assert.False(t, ok, bad)
	}
}

func TestQuoteValue(t *testing.T) {
	tests := []struct{ in, want string }{
		{"dbserver01", "dbserver01"},
		{"Überserver", "Überserver"},
		{"", `""`},
		{"Fileserver Backup", `"Fileserver Backup"`},
		{`a"b`, `"a""b"`},
		{"a;b", `"a;b"`},
		{"a,b", `"a,b"`},
		{"vm(1)", `"vm(1)"`},
		{"a==b", `"a==b"`},
		{"a&b", `"a&b"`},
		{"50%", `"50%"`},
		{"tab\there", "\"tab\there\""},
		{"nbsp\u00a0x", "\"nbsp\u00a0x\""},
		{"bad\xffutf8", "\"bad\xffutf8\""},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, QuoteValue(tt.in), "%q", tt.in)
	}
}

func TestValidFieldName(t *testing.T) {
	for _, ok := range []string{"Result", "JobSessionUid", "_x", "a.b", "a1"} {
		assert.True(t, ValidFieldName(ok), ok)
	}
	for _, bad := range []string{"", "1a", "Job Name", "A==1;B", ".a", "a-b", "Ä"} {
		assert.False(t, ValidFieldName(bad), bad)
	}
}

func TestQueryEscape(t *testing.T) {
	assert.Equal(t, "JobName%3D%3D%22Fileserver%20Backup%22%3BTotalSize%3E%3D1", QueryEscape(`JobName=="Fileserver Backup";TotalSize>=1`))
	assert.Equal(t, "a=x%20y&b=%2B", EncodeQuery(url.Values{"b": {"+"}, "a": {"x y"}}))
}

// The query types match EM's reference pages: the names, the collections
// their QueryResult uses, and their fields, each valid and unique.
func TestQueryTypes(t *testing.T) {
	want := map[string]struct {
		collection string
		fields     int
	}{
		"BackupTaskSession": {"BackupTaskSessions", 14},
		"BackupJobSession":  {"BackupJobSessions", 12},
		"VmRestorePoint":    {"VmRestorePoints", 10},
		"Job":               {"Jobs", 10},
	}
	types := QueryTypes()
	require.Len(t, types, 49, "the 49 query types of EM's reference")
	names := map[string]bool{}
	for _, qt := range types {
		assert.False(t, names[qt.Name], "duplicate query type %s", qt.Name)
		names[qt.Name] = true
		assert.NotEmpty(t, qt.Collection, qt.Name)
		assert.NotEmpty(t, qt.Fields, qt.Name)
		if w, ok := want[qt.Name]; ok {
			assert.Equal(t, w.collection, qt.Collection)
			assert.Len(t, qt.Fields, w.fields, qt.Name)
		}
		seen := map[string]bool{}
		for _, f := range qt.Fields {
			assert.True(t, ValidFieldName(f.Name), f.Name)
			assert.False(t, seen[strings.ToLower(f.Name)], "duplicate field %s.%s", qt.Name, f.Name)
			seen[strings.ToLower(f.Name)] = true
			assert.Equal(t, f.Kind == UIDField, f.UIDKind != "", "%s.%s", qt.Name, f.Name)
			assert.Equal(t, f.Kind == Enum, len(f.Values) > 0, "%s.%s", qt.Name, f.Name)
			got, ok := qt.Field(strings.ToUpper(f.Name))
			assert.True(t, ok)
			assert.Equal(t, f.Name, got.Name)
		}
		assert.Equal(t, len(qt.Fields), len(qt.FieldNames()))
		byName, ok := LookupQueryType(strings.ToLower(qt.Name))
		assert.True(t, ok)
		assert.Equal(t, qt.Name, byName.Name)
	}
	_, ok := LookupQueryType("NoSuchType")
	assert.False(t, ok)
	_, ok = BackupTaskSessionQuery().Field("Nope")
	assert.False(t, ok)
	assert.Equal(t, []string{"None", "Success", "Warning", "Failed"}, Results())
}

func TestClassifyCertError(t *testing.T) {
	cert := &x509.Certificate{DNSNames: []string{"em.example"}}
	tests := []struct {
		name string
		err  error
		want CertProblem
		tls  bool
	}{
		{"nil", nil, CertOK, false},
		{"plain", errors.New("connection refused"), CertOK, false},
		{"unknown authority", fmt.Errorf("get: %w", x509.UnknownAuthorityError{Cert: cert}), CertUnknownAuthority, true},
		{"hostname", &url.Error{Op: "Get", URL: "https://10.0.0.1:9398/api/", Err: x509.HostnameError{Certificate: cert, Host: "10.0.0.1"}}, CertHostnameMismatch, true},
		{"hostname inside verification error", &tls.CertificateVerificationError{Err: x509.HostnameError{Certificate: cert, Host: "h"}}, CertHostnameMismatch, true},
		{"expired", x509.CertificateInvalidError{Cert: cert, Reason: x509.Expired}, CertInvalid, true},
		{"other verification", &tls.CertificateVerificationError{Err: errors.New("x")}, CertOther, true},
		{"plain http port", tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}, CertOK, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := ClassifyCertError(tt.err)
			assert.Equal(t, tt.want, p)
			assert.Equal(t, tt.tls, IsTLSError(tt.err))
			assert.Equal(t, p != CertOK, CertHint(p) != "")
		})
	}
	assert.Contains(t, CertHint(CertUnknownAuthority), "--ca-file")
	assert.Contains(t, CertHint(CertHostnameMismatch), "SANs")
}
