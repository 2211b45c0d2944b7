package iostreams

import (
	"fmt"
	"io"
	"time"
)

// Progress shows how many results a long list has received, on stderr. It
// is enabled only when stderr is a terminal and stdout is not that same
// terminal (IOStreams.ProgressEnabled): pipes and log files get nothing,
// and the line never lands between the records on the screen.
type Progress struct {
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

// NewProgress returns a progress line on w, or a silent one when enabled
// is false.
func NewProgress(w io.Writer, enabled bool, singular, plural string) *Progress {
	p := &Progress{what: [2]string{singular, plural}}
	if enabled {
		p.w = w
	}
	return p
}

// Progress returns the progress line of a list on these streams.
func (s *IOStreams) Progress(singular, plural string) *Progress {
	return NewProgress(s.ErrOut, s.ProgressEnabled(), singular, plural)
}

// SetPage reports that page of pages (0: unknown) has been received.
func (p *Progress) SetPage(page, pages int) { p.page, p.pages = page, pages }

// Set reports that n results have been received so far.
func (p *Progress) Set(n int) {
	p.n = n
	if p.w == nil {
		return
	}
	if now := time.Now(); now.Sub(p.last) >= progressInterval {
		p.last = now
		fmt.Fprintf(p.w, "\r\033[Kvem: %s", p.Line())
		p.printed = true
	}
}

// Line is the progress text: "1 task session received",
// "250 task sessions received (page 3 of 12)".
func (p *Progress) Line() string {
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

// Done erases the progress line. It may be called more than once.
func (p *Progress) Done() {
	if p.w == nil || !p.printed {
		return
	}
	fmt.Fprint(p.w, "\r\033[K")
	p.printed = false
}
