//go:build !unix

package main

// ignoreSIGPIPE does nothing where there is no SIGPIPE: a write to a closed
// pipe fails with an error, which vem handles like EPIPE.
func ignoreSIGPIPE() {}
