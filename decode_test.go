package vem

import (
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
