//go:build unix

package main

import (
	"os/signal"
	"syscall"
)

// ignoreSIGPIPE keeps a reader that goes away ("vem ... | head -1") from
// killing vem before it logs out: with SIGPIPE ignored, the write to stdout
// fails with EPIPE, the command stops reading, logs out and exits with
// exitClosedPipe.
func ignoreSIGPIPE() { signal.Ignore(syscall.SIGPIPE) }
