package main

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vemkit/vem"
	"github.com/vemkit/vem/vemtest"
)

// firstWrite records how many query pages the server had answered when the
// first byte reached stdout.
type firstWrite struct {
	mu      sync.Mutex
	f       *fake
	pagesAt int
	buf     bytes.Buffer
}

func (w *firstWrite) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.buf.Len() == 0 {
		w.pagesAt = w.f.Stats().Routes["GET /api/query"]
	}
	return w.buf.Write(p)
}

// TestListStreams checks that every output format writes its first results
// long before the last page is read: nothing holds the whole result.
func TestListStreams(t *testing.T) {
	t.Parallel()
	const dataset, pageSize = 1000, 10
	pages := (dataset + 1 + pageSize - 1) / pageSize
	f := newFake(t, vemtest.WithDataset(dataset))
	for _, output := range []string{"json", "jsonl", "table", "xml"} {
		before := f.Stats().Routes["GET /api/query"]
		w := &firstWrite{f: f}
		var stderr bytes.Buffer
		code := run(context.Background(), []string{"task-session", "list", "--page-size", "10", "-o", output},
			strings.NewReader(""), w, &stderr, envFunc(f.env...))
		require.Equal(t, 0, code, stderr.String())
		assert.Less(t, w.pagesAt-before, pages/4, "-o %s: first output after %d of %d pages", output, w.pagesAt-before, pages)
		assert.Equal(t, pages, f.Stats().Routes["GET /api/query"]-before, "-o %s read every page", output)
	}
}

// TestControlCharacters checks that control characters from the server
// (ANSI escapes, an OSC title, BEL, C1 codes) never reach stdout or stderr
// raw, in tables, fields, JSON and error messages.
func TestControlCharacters(t *testing.T) {
	t.Parallel()
	f := newFake(t, vemtest.WithDataset(0))
	const evilID = "6d1c5a43-0000-4000-8000-0000000000e1"
	ts := vemtest.SeedBackupTaskSession()
	ts.UID = vem.UID("urn:veeam:BackupTaskSession:" + evilID)
	ts.Name = ""
	ts.VMDisplayName = "vm\x1b]0;owned\x07\x1b[31mred\u009b2J"
	ts.Reason = "bad\x1b[2Jthing\u202e"
	ts.Links = nil
	f.AddBackupTaskSession(ts)
	raw := []string{"\x1b", "\x07", "\u009b", "\u202e"}
	for _, args := range [][]string{
		{"task-session", "list", "-o", "table", "--format", "json"},
		{"task-session", "get", evilID, "-o", "table", "--format", "json"},
		{"task-session", "get", evilID, "-o", "json", "--format", "json"},
		{"task-session", "get", evilID, "-o", "jsonl"},
	} {
		r := runVem(t, f.env, "", args...)
		require.Equal(t, 0, r.code, "%v: %s", args, r)
		for _, c := range raw {
			assert.NotContains(t, r.stdout, c, "%v prints %q raw", args, c)
		}
		assert.Contains(t, r.stdout, "vm", "%v", args)
	}
	r := runVem(t, f.env, "", "task-session", "get", evilID, "-o", "table", "--format", "json")
	assert.Contains(t, r.stdout, `vm\x1b]0;owned\x07\x1b[31mred\x9b2J`)
	r = runVem(t, f.env, "", "task-session", "get", evilID, "-o", "json", "--format", "json")
	assert.Contains(t, r.stdout, `"vm\u001b]0;owned\u0007\u001b[31mred\u009b2J"`, "JSON escapes C0 and C1 controls")

	msg := errorMessage(&vem.APIError{Method: "GET", Path: "/api/x", StatusCode: 500, Message: "boom\x1b[2J\x07"})
	for _, c := range raw {
		assert.NotContains(t, msg, c)
	}
	assert.Contains(t, msg, `boom\x1b[2J\x07`)
}

func TestTableDuration(t *testing.T) {
	t.Parallel()
	start := time.Date(2025, 10, 11, 20, 6, 9, 627e6, time.UTC)
	assert.Equal(t, "59.72s", tableDuration(start, start.Add(59720*time.Millisecond)))
	assert.Equal(t, "1h0m0.001s", tableDuration(start, start.Add(time.Hour+time.Millisecond)))
	assert.Equal(t, "-", tableDuration(start, time.Time{}))
	r := runVem(t, newFake(t).env, "", "task-session", "get", seedID, "-o", "table")
	assert.Regexp(t, `(?m)^Duration\s+59\.72s$`, r.stdout)
}
