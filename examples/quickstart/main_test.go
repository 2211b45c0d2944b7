package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestQuickstartAgainstVemtest(t *testing.T) {
	t.Setenv("VEM_URL", "")
	var out, errOut bytes.Buffer
	require.NoError(t, run(context.Background(), nil, &out, &errOut))
	assert.Contains(t, errOut.String(), "VEM_URL is not set: using vemtest")
	want := `VM             AnT_VM2
Task session   AnT_VM2@2025-10-11 20:06:09
Job session    vCD Job Template@2025-10-11 20:00:04 (Stopped, Success)
State          Completed
Result         Success
Size           12.0 GiB
Duration       59.72s
`
	assert.Equal(t, want, out.String()[:len(want)])
	assert.Contains(t, out.String(), "Backup server  enterprise01.tech.local (port 9392")
	assert.Contains(t, out.String(), "Restore point  AnT_VM2-bFpa@2025-10-11 20:06:23 (Increment")
}

func TestHumanBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 12884901888: "12.0 GiB", 1 << 50: "1.0 PiB"} {
		assert.Equal(t, want, humanBytes(n), n)
	}
}
