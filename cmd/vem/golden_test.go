package main

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vemkit/vem/vemtest"
)

// update rewrites the golden files in testdata from the current output:
// go test ./cmd/vem -run TestGolden -update
var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// goldenNow fixes the generated data set of the golden runs.
var goldenNow = time.Date(2025, 10, 12, 0, 0, 0, 0, time.UTC)

// TestGolden compares the JSON output of the commands with the golden files
// in testdata, which document it: the schema of docs/cli.md, field by
// field. The server's address is replaced by https://vemtest.invalid.
func TestGolden(t *testing.T) {
	t.Parallel()
	f := newFake(t, vemtest.WithNow(goldenNow), vemtest.WithDataset(60))
	for _, tc := range []struct {
		file string
		args []string
	}{
		{"task-session-get.json", []string{"task-session", "get", seedID, "-o", "json"}},
		{"task-session-get-follow.json", []string{"task-session", "get", seedID, "--follow", "-o", "json"}},
		{"task-session-list-failed.json", []string{"task-session", "list", "--result", "failed", "--limit", "3", "-o", "json"}},
		{"task-session-list-failed.jsonl", []string{"task-session", "list", "--result", "failed", "--limit", "3", "-o", "jsonl"}},
		{"task-session-list-failed.table", []string{"task-session", "list", "--result", "failed", "--limit", "3", "-o", "table"}},
		{"task-session-get.table", []string{"task-session", "get", seedID, "--follow", "-o", "table"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			r := mustRun(t, 0, f.env, tc.args...)
			got := strings.ReplaceAll(r.stdout, f.URL, "https://vemtest.invalid")
			path := filepath.Join("testdata", tc.file)
			if *update {
				require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run with -update to create it")
			assert.Equal(t, string(want), got)
		})
	}
}
