package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vemkit/vem"
	"github.com/vemkit/vem/vemtest"
)

// These tests run vem in the test process, through run, for what the
// binary tests cannot reach easily.

func envFunc(kv ...string) func(string) string {
	m := map[string]string{}
	for _, s := range kv {
		k, v, _ := strings.Cut(s, "=")
		m[k] = v
	}
	return func(k string) string { return m[k] }
}

func TestRunInProcess(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"task-session", "get", seedID, "-o", "jsonl"}, strings.NewReader(""), &stdout, &stderr, envFunc(f.env...))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	checkSeed(t, decodeJSON[taskJSON](t, stdout.String()))
	if f.Stats().Logouts != 1 {
		t.Errorf("%d logouts, want 1", f.Stats().Logouts)
	}
}

func TestRunInterrupted(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	f.SetFaults(vemtest.Faults{DelayRate: 1, Delay: 30 * time.Second})
	ctx, cancel := context.WithCancelCause(context.Background())
	go func() {
		for f.Stats().Delays == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		f.SetFaults(vemtest.Faults{})
		cancel(&interruptedError{Sig: os.Interrupt})
	}()
	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"task-session", "list"}, strings.NewReader(""), &stdout, &stderr, envFunc(f.env...))
	if code != 130 {
		t.Fatalf("exit %d, want 130: %s", code, stderr.String())
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout after interrupt: %q", stdout.String())
	}
	if f.Stats().Logouts != 1 {
		t.Errorf("%d logouts, want 1", f.Stats().Logouts)
	}
}

func TestExitCode(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		want int
	}{
		{nil, 0},
		{errors.New("boom"), 1},
		{&usageError{Err: errors.New("bad")}, 2},
		{fmt.Errorf("x: %w", vem.ErrInvalidID), 2},
		{&vem.APIError{StatusCode: http.StatusNotFound}, 3},
		{&vem.APIError{StatusCode: http.StatusUnauthorized}, 4},
		{fmt.Errorf("logon: %w", &vem.APIError{StatusCode: http.StatusForbidden}), 4},
		{&vem.APIError{StatusCode: http.StatusInternalServerError, Message: "oops"}, 1},
		{&vem.APIError{StatusCode: http.StatusBadRequest}, 1},
		{&vem.APIError{StatusCode: http.StatusServiceUnavailable}, 5},
		{&vem.APIError{StatusCode: http.StatusBadGateway}, 5},
		{&vem.RequestError{Err: &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}}, 5},
		{fmt.Errorf("waiting for logon: %w", context.DeadlineExceeded), 5},
		{&interruptedError{Sig: os.Interrupt}, 130},
		{&interruptedError{Sig: syscall.SIGTERM}, 143},
		{&vem.DecodeError{Err: errors.New("bad")}, 1},
	} {
		if got := exitCode(tc.err); got != tc.want {
			t.Errorf("exitCode(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

func TestErrorMessage(t *testing.T) {
	t.Parallel()
	err := fmt.Errorf("vem: logon: %w", &vem.APIError{Method: "POST", Path: "/api/sessionMngr/", StatusCode: 401, Message: "Authentication failed."})
	if got, want := errorMessage(err), "vem: logon: POST /api/sessionMngr/: 401 Unauthorized: Authentication failed."; got != want {
		t.Errorf("errorMessage = %q, want %q", got, want)
	}
}

func TestParseTimeArg(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 10, 12, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"24h", now.Add(-24 * time.Hour)},
		{"90m", now.Add(-90 * time.Minute)},
		{"7d", now.Add(-7 * 24 * time.Hour)},
		{"1d12h", now.Add(-36 * time.Hour)},
		{"0d", now},
		{"2025-10-11T20:06:09.627Z", time.Date(2025, 10, 11, 20, 6, 9, 627e6, time.UTC)},
		{"2025-10-11T22:00:00+02:00", time.Date(2025, 10, 11, 20, 0, 0, 0, time.UTC)},
		{"2025-10-11", time.Date(2025, 10, 11, 0, 0, 0, 0, time.UTC)},
		{" 2h ", now.Add(-2 * time.Hour)},
	} {
		got, err := parseTimeArg(tc.in, now)
		if err != nil || !got.Equal(tc.want) || got.Location() != time.UTC {
			t.Errorf("parseTimeArg(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "yesterday", "-3h", "-7d", "7dx", "d", "2025-13-01", "1e3d", "99999999d", "7d-1h"} {
		if got, err := parseTimeArg(bad, now); err == nil {
			t.Errorf("parseTimeArg(%q) = %v, want an error", bad, got)
		}
	}
}

func TestParseQueryPageXML(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../../testdata/query-backuptasksession.xml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := parseQueryPageXML(doc, "BackupTaskSession")
	if err != nil {
		t.Fatal(err)
	}
	if string(p.RootStart) != `<QueryResult xmlns="http://www.veeam.com/ent/v1.0">` || p.RootName != "QueryResult" || len(p.Items) != 3 {
		t.Errorf("root %q %q, %d items", p.RootStart, p.RootName, len(p.Items))
	}
	for _, it := range p.Items {
		if !bytes.HasPrefix(it, []byte("<BackupTaskSession ")) || !bytes.HasSuffix(it, []byte("</BackupTaskSession>")) {
			t.Errorf("item not cut at element bounds: %.80s ... %.40s", it, it[len(it)-40:])
		}
	}
	for _, bad := range []string{"", "<EntityReferences/>", "<QueryResult><Entities>", "not xml"} {
		if _, err := parseQueryPageXML([]byte(bad), "BackupTaskSession"); err == nil {
			t.Errorf("parseQueryPageXML(%q) succeeded", bad)
		}
	}
	p, err = parseQueryPageXML([]byte(`<?xml version="1.0"?><QueryResult xmlns="x"/>`), "BackupTaskSession")
	if err != nil || string(p.RootStart) != `<QueryResult xmlns="x">` || len(p.Items) != 0 {
		t.Errorf("empty self-closing result: %+v, %v", p, err)
	}
}

func TestRootElement(t *testing.T) {
	t.Parallel()
	got, err := rootElement([]byte("<?xml version=\"1.0\"?>\n<!-- c -->\n<A x=\"1\"><B/></A>\n"))
	if err != nil || string(got) != `<A x="1"><B/></A>` {
		t.Errorf("rootElement = %q, %v", got, err)
	}
	for _, bad := range []string{"", "<A>", "text"} {
		if _, err := rootElement([]byte(bad)); err == nil {
			t.Errorf("rootElement(%q) succeeded", bad)
		}
	}
}

func TestHelpers(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 12884901888: "12.0 GiB", 1 << 50: "1.0 PiB"} {
		if got := humanBytes(n); got != want {
			t.Errorf("humanBytes(%d) = %q, want %q", n, got, want)
		}
	}
	if err := refuseSecretFlags([]string{"--", "--password"}); err != nil {
		t.Errorf("--password after -- refused: %v", err)
	}
	if err := refuseSecretFlags([]string{"--password-stdin"}); err != nil {
		t.Errorf("--password-stdin refused: %v", err)
	}
}

func TestProgress(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	p := newProgress(&b, true, "task session", "task sessions")
	p.Set(1)
	p.Done()
	if !strings.Contains(b.String(), "vem: 1 task session received...") || !strings.HasSuffix(b.String(), "\r\033[K") {
		t.Errorf("progress on a terminal: %q", b.String())
	}
	b.Reset()
	p = newProgress(&b, false, "task session", "task sessions")
	p.Set(1)
	p.Done()
	if b.Len() != 0 {
		t.Errorf("progress when not a terminal: %q", b.String())
	}
	if isTerminalFile(&b) {
		t.Error("a buffer is a terminal")
	}
}
