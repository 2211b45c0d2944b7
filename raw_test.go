package vem

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBackslashPathsAreRefused: "\" and "%5C" in a path are refused like
// "..", by GetRaw and FollowLink alike, and nothing is sent.
func TestBackslashPathsAreRefused(t *testing.T) {
	t.Parallel()
	em := newFakeEM(t)
	c := em.client(t)
	for _, p := range []string{
		`/api/backupTaskSessions/..\logonSessions`,
		`/api/backupTaskSessions/%5C..%5Cadmin`,
		`/api/backupTaskSessions/%5c..%5cadmin`,
		`/api\..\admin`,
		`https://em:9398/api/x%5Cy?format=Entity`,
	} {
		_, err := c.GetRaw(context.Background(), p, "")
		require.Error(t, err, p)
		assert.Contains(t, err.Error(), "GetRaw", p)
		var v BackupTaskSession
		require.Error(t, c.FollowLink(context.Background(), Link{Href: p}, &v), p)
	}
	assert.Zero(t, em.mt.GetTotalCallCount(), "nothing is sent, not even a logon")
}
