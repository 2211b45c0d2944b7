package vem

import (
	"bytes"
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
