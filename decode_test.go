package vem

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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

// nested returns n nested <a> elements.
func nested(n int) string { return strings.Repeat("<a>", n) + strings.Repeat("</a>", n) }

func TestCheckXMLDepth(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		doc  string
		ok   bool
	}{
		{"EM entity", string(readFixture(t, "backuptasksession.xml")), true},
		{"64 levels", nested(64), true},
		{"65 levels", nested(65), false},
		{"self-closing elements do not nest", strings.Repeat("<a/>", 1000), true},
		{"siblings do not nest", strings.Repeat("<a></a>", 1000), true},
		{"'>' and '/>' inside attribute values", `<r x="a>b" y='/>'>` + nested(62) + `</r>`, true},
		{"comments, CDATA, declarations are not elements", `<?xml version="1.0"?><!DOCTYPE r><r><!-- <a><a><a> --><![CDATA[<a><a>]]>` + nested(63) + `</r>`, true},
		{"unclosed tag at the end", "<a><b", true},
		{"deep and unclosed", strings.Repeat("<a>", 10000), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkXMLDepth([]byte(tt.doc), maxXMLDepth)
			if tt.ok {
				assert.NoError(t, err)
			} else {
				assert.Error(t, err)
			}
		})
	}
}

// TestDeepXMLIsRefused: a document nested deeper than any EM document is a
// *DecodeError on a 200, and is not decoded as an Error document on a 500.
func TestDeepXMLIsRefused(t *testing.T) {
	t.Parallel()
	deep := `<BackupTaskSession xmlns="http://www.veeam.com/ent/v1.0">` + nested(100_000) + `</BackupTaskSession>`
	em := newFakeEM(t)
	em.serveTask(seedGUID, ctXML, []byte(deep))
	c := em.client(t)
	_, err := c.GetBackupTaskSession(context.Background(), seedGUID)
	var de *DecodeError
	require.ErrorAs(t, err, &de)
	assert.Contains(t, de.Err.Error(), "deeper than 64")

	deepError := `<Error Message="deep" StatusCode="500" xmlns="http://www.veeam.com/ent/v1.0">` + nested(100) + `</Error>`
	em2 := newFakeEM(t)
	em2.serveTaskFunc(seedGUID, func(int, *http.Request) (*http.Response, error) {
		return mockResp(http.StatusInternalServerError, ctXML, []byte(deepError)), nil
	})
	c2 := em2.client(t, WithRetry(NoRetries()))
	_, err = c2.GetBackupTaskSession(context.Background(), seedGUID)
	var ae *APIError
	require.ErrorAs(t, err, &ae)
	assert.Empty(t, ae.Message, "the deep Error document was not decoded")
	assert.NotEmpty(t, ae.Snippet)
}

// TestXMLTrailingData: anything but comments, processing instructions and
// white space after the root element is a *DecodeError.
func TestXMLTrailingData(t *testing.T) {
	t.Parallel()
	doc := string(readFixture(t, "backuptasksession.xml"))
	tests := []struct {
		name  string
		trail string
		ok    bool
	}{
		{"nothing", "", true},
		{"white space", "\n\r\n  \t", true},
		{"comment and processing instruction", "\n<!-- served by EM -->\n<?pi x?>\n", true},
		{"a second element", "<BackupTaskSession/>", false},
		{"text", "garbage", false},
		{"broken markup", "<<<", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			em := newFakeEM(t)
			em.serveTask(seedGUID, ctXML, []byte(doc+tt.trail))
			c := em.client(t)
			ts, err := c.GetBackupTaskSession(context.Background(), seedGUID)
			if tt.ok {
				require.NoError(t, err)
				assert.Equal(t, wantSeed(), ts)
				return
			}
			var de *DecodeError
			require.ErrorAs(t, err, &de)
			assert.True(t, errors.Is(err, errTrailingData))
		})
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
