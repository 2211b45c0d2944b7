package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// A logon answered as Enterprise Manager never answers (the VBR REST API on
// 9419, a wrong path, a web page) exits 9 with a message that says what to
// check, never 3 ("not found"), which scripts read as "gone, skip it".
func TestNotEnterpriseManagerExitCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"404 on the logon", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }},
		{"405 on the logon", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		}},
		{"Bearer challenge", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="vbr"`)
			http.Error(w, `{"errorCode":"Unauthorized"}`, http.StatusUnauthorized)
		}},
		{"HTML page, no session token", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte("<html><title>Welcome</title></html>"))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ts := httptest.NewServer(tt.handler)
			t.Cleanup(ts.Close)
			r := runVem(t, []string{"VEM_URL=" + ts.URL, "VEM_INSECURE=1", "VEM_USERNAME=u", "VEM_PASSWORD=secret-password"}, "",
				"task-session", "get", "88322206-a645-4aa3-9228-028ce51e7c0f")
			assert.Equal(t, exitNotEM, r.code, "%s", r)
			assert.Contains(t, r.stderr, "9398")
			assert.True(t, strings.HasPrefix(r.stderr, "vem: "), r.stderr)
			assert.NotContains(t, r.stdout+r.stderr, "secret-password")
		})
	}
}

// TestDoctorHintsInEveryCommand: every command gives the hints vem doctor
// gives: an https URL on a plain-HTTP port says so (exit 5), and an HTML
// page answering 501 is not Enterprise Manager (exit 9).
func TestDoctorHintsInEveryCommand(t *testing.T) {
	t.Parallel()
	plain := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(plain.Close)
	r := runVem(t, []string{"VEM_URL=" + strings.Replace(plain.URL, "http://", "https://", 1), "VEM_USERNAME=u", "VEM_PASSWORD=p"}, "",
		"task-session", "get", "88322206-a645-4aa3-9228-028ce51e7c0f")
	assert.Equal(t, exitUnreachable, r.code, "%s", r)
	assert.Contains(t, r.stderr, "\nvem: hint: the server on that port speaks plain HTTP, not TLS: use the HTTPS port of EM (9398): https://EM-HOST:9398\n")

	html501 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusNotImplemented)
		_, _ = w.Write([]byte("<html><title>Not Implemented</title></html>"))
	}))
	t.Cleanup(html501.Close)
	r = runVem(t, []string{"VEM_URL=" + html501.URL, "VEM_INSECURE=1", "VEM_USERNAME=u", "VEM_PASSWORD=p"}, "",
		"task-session", "get", "88322206-a645-4aa3-9228-028ce51e7c0f")
	assert.Equal(t, exitNotEM, r.code, "%s", r)
}
