//go:build !unix

package main

import (
	"net"
	"testing"
)

// closedPort returns a local address where nothing listens: a port just
// released, which a parallel test may take again in rare cases.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}
