package main

import (
	"fmt"
	"io"
	"time"
)

// progress shows how many results a long list has received, on stderr and
// only when stderr is a terminal: pipes and log files get nothing.
type progress struct {
	w       io.Writer // nil when disabled
	last    time.Time
	n       int
	printed bool
}

// progressInterval limits how often the line is redrawn.
const progressInterval = 100 * time.Millisecond

func newProgress(w io.Writer, enabled bool) *progress {
	if !enabled {
		return &progress{}
	}
	return &progress{w: w}
}

// set reports that n results have been received so far.
func (p *progress) set(n int) {
	if p.w == nil {
		return
	}
	p.n = n
	if now := time.Now(); now.Sub(p.last) >= progressInterval {
		p.last = now
		fmt.Fprintf(p.w, "\rvem: %d task sessions received...", n)
		p.printed = true
	}
}

// done erases the progress line. It may be called more than once.
func (p *progress) done() {
	if p.w == nil || !p.printed {
		return
	}
	fmt.Fprint(p.w, "\r\033[K")
	p.printed = false
}
