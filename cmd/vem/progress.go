package main

import (
	"fmt"
	"io"
	"time"
)

// progress shows how many results a long list has received, on stderr. It
// is enabled only when stderr is a terminal and stdout is not that same
// terminal: pipes and log files get nothing, and the line never lands
// between the records on the screen (there, the records themselves show
// the progress).
type progress struct {
	w       io.Writer // nil when disabled
	what    [2]string // singular and plural noun
	last    time.Time
	n       int
	page    int
	pages   int // 0 when unknown
	printed bool
}

// progressInterval limits how often the line is redrawn.
const progressInterval = 100 * time.Millisecond

func newProgress(w io.Writer, enabled bool, singular, plural string) *progress {
	p := &progress{what: [2]string{singular, plural}}
	if enabled {
		p.w = w
	}
	return p
}

// progressEnabled says whether a progress line may be shown on a's stderr.
func (a *app) progressEnabled() bool {
	return a.isTerminal(a.stderr) && !a.sameFile(a.out.raw, a.stderr)
}

// setPage reports that page of pages (0: unknown) has been received.
func (p *progress) setPage(page, pages int) {
	p.page, p.pages = page, pages
}

// set reports that n results have been received so far.
func (p *progress) set(n int) {
	if p.w == nil {
		return
	}
	p.n = n
	if now := time.Now(); now.Sub(p.last) >= progressInterval {
		p.last = now
		fmt.Fprintf(p.w, "\r\033[Kvem: %s", p.line())
		p.printed = true
	}
}

// line is the progress text: "1 task session received",
// "250 task sessions received (page 3 of 12)".
func (p *progress) line() string {
	what := p.what[1]
	if p.n == 1 {
		what = p.what[0]
	}
	s := fmt.Sprintf("%d %s received", p.n, what)
	if p.pages > 0 && p.page > 0 {
		s += fmt.Sprintf(" (page %d of %d)", p.page, p.pages)
	}
	return s + "..."
}

// done erases the progress line. It may be called more than once.
func (p *progress) done() {
	if p.w == nil || !p.printed {
		return
	}
	fmt.Fprint(p.w, "\r\033[K")
	p.printed = false
}
