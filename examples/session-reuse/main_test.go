package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSessionReuse(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out))
	assert.Equal(t, `borrowed session read AnT_VM2@2025-10-11 20:06:09 (Success)
after the borrower's Close: logons=1 logouts=0
after the owner's Logout: logons=1 logouts=1
`, out.String())
}
