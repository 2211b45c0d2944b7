package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestErrorsExample(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out))
	assert.Equal(t, `malformed ID     invalid ID, nothing sent
unknown ID       not found
wrong password   unauthorized
server error     HTTP 500: Injected fault: 500 Internal Server Error.
deadline         timed out
seed             ok
`, out.String())
}
