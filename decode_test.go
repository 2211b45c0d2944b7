package vem

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestBodyFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ct     string
		body   string
		want   Format
		wantOK bool
	}{
		{"application/xml", "{", FormatXML, true}, // the declared type wins
		{"application/xml; charset=utf-8", "", FormatXML, true},
		{"text/xml", "<a/>", FormatXML, true},
		{"application/atom+xml", "<a/>", FormatXML, true},
		{"application/json", "<a/>", FormatJSON, true},
		{"Application/JSON; charset=utf-8", "{}", FormatJSON, true},
		{"text/json", "{}", FormatJSON, true},
		{"application/problem+json", "{}", FormatJSON, true},
		{"", "  <a/>", FormatXML, true}, // sniffed
		{"", "\ufeff{}", FormatJSON, true},
		{"application/octet-stream", "[1]", FormatJSON, true},
		{"text/plain", "\r\n<a/>", FormatXML, true},
		{"", "", "", false},
		{"", "hello", "", false},
		{"text/html", "<html></html>", "", false}, // an HTML page is neither
		{"image/png", "<a/>", "", false},
	}
	for _, tt := range tests {
		got, ok := bodyFormat(tt.ct, []byte(tt.body))
		assert.Equal(t, tt.wantOK, ok, "%q %q", tt.ct, tt.body)
		assert.Equal(t, tt.want, got, "%q %q", tt.ct, tt.body)
	}
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
