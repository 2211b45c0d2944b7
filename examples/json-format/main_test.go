package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestJSONFormat(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out))
	assert.Equal(t, `XML:                     AnT_VM2 Completed Success 12884901888 bytes, created 2025-10-11T20:06:09.627Z
JSON, EM 12 PascalCase:  AnT_VM2 Completed Success 12884901888 bytes, created 2025-10-11T20:06:09.627Z
JSON, EM 13 camelCase:   AnT_VM2 Completed Success 12884901888 bytes, created 2025-10-11T20:06:09.627Z
`, out.String())
}
