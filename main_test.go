package vem

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them: the
// client's shared logons and keep-alive must all stop.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
