package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vemkit/vem/vemtest"
)

// TestProgressOnTerminal runs a list with stderr on a (pretend) terminal:
// progress shows only when stdout is not that same terminal, and never
// reaches stdout.
func TestProgressOnTerminal(t *testing.T) {
	t.Parallel()
	f := newFake(t, vemtest.WithDataset(40))
	for _, tc := range []struct {
		name         string
		stderrIsTerm bool
		sameTerminal bool
		output       string
		want         string // "" for no progress at all
	}{
		{"stdout piped, xml shows pages", true, false, "xml", "vem: 10 task sessions received (page 1 of 5)..."},
		{"stdout piped, jsonl", true, false, "jsonl", "vem: 1 task session received..."},
		{"stdout on the same terminal", true, true, "jsonl", ""},
		{"stderr not a terminal", false, false, "json", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			a := newFactory(strings.NewReader(""), &stdout, &stderr, envFunc(f.env...))
			a.IO.IsTerminal = func(s any) bool { return s == &stderr && tc.stderrIsTerm }
			a.IO.SameFile = func(x, y any) bool { return tc.sameTerminal }
			code := execute(context.Background(), a, []string{"task-session", "list", "--page-size", "10", "-o", tc.output})
			require.Equal(t, 0, code, stderr.String())
			assert.NotContains(t, stdout.String(), "received")
			assert.NotContains(t, stdout.String(), "\r")
			if tc.want == "" {
				assert.Empty(t, stderr.String())
				return
			}
			assert.Contains(t, stderr.String(), tc.want)
			assert.True(t, strings.HasSuffix(stderr.String(), "\r\033[K"), "progress line not cleared: %q", stderr.String())
		})
	}
}
