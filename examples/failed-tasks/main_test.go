package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFailedTasksAgainstVemtest(t *testing.T) {
	t.Setenv("VEM_URL", "")
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	var out, errOut bytes.Buffer
	require.NoError(t, run(context.Background(), now, &out, &errOut))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Greater(t, len(lines), 1, "the fake data set has failures in the last day:\n%s", out.String())
	assert.True(t, strings.HasPrefix(lines[0], "CREATED (UTC)"))
	for _, l := range lines[1:] {
		created, err := time.Parse("2006-01-02 15:04", l[:16])
		require.NoError(t, err)
		assert.False(t, created.Before(now.Add(-24*time.Hour).Truncate(time.Minute)), l)
		assert.NotContains(t, l, "  ?  ", "every job session was resolved")
	}
	assert.Contains(t, errOut.String(), "failed task sessions since 2026-11-27T12:00:00Z")
}
