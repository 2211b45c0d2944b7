package vem

import (
	"bytes"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Fuzz targets for the core decoders. Each must never panic; CI runs the
// seeds only (plain `go test`), `go test -fuzz FuzzX` explores.

// fuzzContentTypes are the Content-Types a fuzzed selector byte picks from.
var fuzzContentTypes = []string{
	"application/xml",
	"application/xml; charset=utf-8",
	"text/xml",
	"application/json",
	"application/json; charset=utf-8",
	"application/vnd.veeam+json",
	"",
	"application/octet-stream",
	"text/plain",
	"text/html",
	"application/json; charset",
	";;;",
}

func fuzzCT(sel byte) string { return fuzzContentTypes[int(sel)%len(fuzzContentTypes)] }

// fuzzSeedFiles adds every testdata file, as is and cut in half, with each
// content type selector that makes sense for it.
func fuzzSeedFiles(f *testing.F, add func(body []byte, sel byte)) {
	f.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		if fi, err := os.Stat(name); err != nil || fi.IsDir() || strings.HasSuffix(name, ".source.txt") {
			continue // testdata/fuzz holds the fuzzers' own corpora
		}
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		for _, sel := range []byte{0, 3, 6, 9} {
			add(b, sel)
		}
		add(b[:len(b)/2], 1)
	}
	for _, b := range []string{"", "{}", "null", "[]", "\ufeff", "<", "{", `{"UID":1}`, `<BackupTaskSession UID="urn:veeam:BackupTaskSession:x"/>`} {
		add([]byte(b), 0)
		add([]byte(b), 3)
	}
}

func FuzzDecodeBackupTaskSession(f *testing.F) {
	fuzzSeedFiles(f, func(b []byte, sel byte) { f.Add(b, sel) })
	f.Fuzz(func(t *testing.T, body []byte, sel byte) {
		ct := fuzzCT(sel)
		var w taskSessionWire
		if err := decodeWire(ct, body, &w); err != nil {
			return
		}
		s, err := w.toPublic()
		if err != nil {
			if s != nil {
				t.Fatal("toPublic returned a session with an error")
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

func FuzzAPIError(f *testing.F) {
	fuzzSeedFiles(f, func(b []byte, sel byte) { f.Add(500, b, sel) })
	f.Add(404, []byte(nil), byte(0))
	f.Add(0, []byte("x"), byte(9))
	f.Add(-1, []byte(`{"Message":"\u0000"}`), byte(3))
	f.Add(999, bytes.Repeat([]byte("é"), 500), byte(8))
	f.Fuzz(func(t *testing.T, status int, body []byte, sel byte) {
		ct := fuzzCT(sel)
		resp := &response{status: status, header: http.Header{"Content-Type": {ct}}, buf: bytes.NewBuffer(body), attempts: int(sel % 5)}
		e := newAPIError(&request{method: http.MethodGet, path: "/api/x"}, resp, redactor{})
		if e.StatusCode != status {
			t.Fatalf("status %d became %d", status, e.StatusCode)
		}
		msg := e.Error()
		if msg == "" {
			t.Fatal("empty Error()")
		}
		if len(e.Snippet) > 123 || len(e.Message) > 2003 || len(e.FirstChanceExceptionMessage) > 2003 {
			t.Fatalf("unbounded error fields: %d/%d/%d", len(e.Snippet), len(e.Message), len(e.FirstChanceExceptionMessage))
		}
	})
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

func FuzzLinkID(f *testing.F) {
	for _, s := range []string{
		"https://localhost:9398/api/vmRestorePoints/a3571c27-a3a9-4ac8-8dfb-71a2336b3218?format=Entity",
		"https://localhost:9398/api/backupSessions/a057c2c3-f3bd-4ab4-9fb7-24058cccb4f6/taskSessions",
		"https://localhost:9398/api/", "", "::::", "https://[::1", "%zz", "/" + strings.ToUpper(seedGUID),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, href string) {
		id := Link{Href: href}.ID()
		if id == "" {
			return
		}
		if !isGUID(id) || id != strings.ToLower(id) {
			t.Fatalf("Link{%q}.ID() = %q, not a lower-case GUID", href, id)
		}
	})
}

func FuzzBodyFormat(f *testing.F) {
	fuzzSeedFiles(f, func(b []byte, sel byte) { f.Add(fuzzCT(sel), b) })
	f.Add("APPLICATION/JSON", []byte("<"))
	f.Add("application/problem+xml", []byte("{"))
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		format, ok := bodyFormat(ct, body)
		if !ok {
			if format != "" {
				t.Fatalf("format %q without ok", format)
			}
			return
		}
		if format != FormatXML && format != FormatJSON {
			t.Fatalf("unknown format %q", format)
		}
		// A declared JSON or XML type wins over the body's first byte.
		switch strings.ToLower(strings.TrimSpace(ct)) {
		case "application/json":
			if format != FormatJSON {
				t.Fatalf("%q gave %q", ct, format)
			}
		case "application/xml", "text/xml":
			if format != FormatXML {
				t.Fatalf("%q gave %q", ct, format)
			}
		}
	})
}
