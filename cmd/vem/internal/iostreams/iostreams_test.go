package iostreams

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSanitize(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"plain ä €":   "plain ä €",
		"a\x1b[0mb":   `a\x1b[0mb`,
		"a\nb\tc":     `a\x0ab\x09c`,
		"a\u0085b":    `a\x85b`,
		"a\u2066b":    `a\u2066b`,
		"bad\xffutf8": `bad\xffutf8`,
		"\uFFFD":      "\uFFFD",
	} {
		assert.Equal(t, want, Clean(in), "Clean(%q)", in)
	}
	assert.Equal(t, "a\nb\\x07", CleanLines("a\nb\x07"))
}

// TestCleanBidiAndControls: every bidirectional control, C0 and C1
// control (U+009B, a CSI), DEL and ESC is escaped; other text stays.
func TestCleanBidiAndControls(t *testing.T) {
	t.Parallel()
	for _, r := range []rune{0x1b, 0x07, 0x7f, 0x85, 0x9b, 0x061c, 0x200e, 0x200f, 0x2028, 0x2029,
		0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069} {
		assert.True(t, IsUnsafeRune(r), "%U", r)
		got := Clean("a" + string(r) + "b")
		assert.NotContains(t, got, string(r), "%U", r)
		assert.True(t, strings.HasPrefix(got, `a\`) && strings.HasSuffix(got, "b"), "%U: %q", r, got)
	}
	for _, r := range []rune{'a', ' ', 'é', '€', 0x200d, 0xfffd, '<'} {
		assert.False(t, IsUnsafeRune(r), "%U", r)
	}
	assert.Equal(t, `x\u202ey\x9bz`, Clean("x\u202ey\u009bz"))
	assert.Equal(t, "a b c", CleanCell("a\tb\nc"))
}

func TestProgress(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	p := NewProgress(&b, true, "task session", "task sessions")
	p.Set(1)
	p.Done()
	if !strings.Contains(b.String(), "vem: 1 task session received...") || !strings.HasSuffix(b.String(), "\r\033[K") {
		t.Errorf("progress on a terminal: %q", b.String())
	}
	b.Reset()
	p = NewProgress(&b, false, "task session", "task sessions")
	p.Set(1)
	p.Done()
	if b.Len() != 0 {
		t.Errorf("progress when not a terminal: %q", b.String())
	}
	if IsTerminalFile(&b) {
		t.Error("a buffer is a terminal")
	}
}

// TestProgressLine checks the wording: proper plurals, and the page count
// when it is known.
func TestProgressLine(t *testing.T) {
	t.Parallel()
	p := NewProgress(nil, false, "task session", "task sessions")
	p.Set(1)
	assert.Equal(t, "1 task session received...", p.Line())
	p.Set(0)
	assert.Equal(t, "0 task sessions received...", p.Line())
	p.Set(250)
	p.SetPage(3, 12)
	assert.Equal(t, "250 task sessions received (page 3 of 12)...", p.Line())
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestStdoutWriterFlushesByItself checks that buffered output reaches
// stdout without a further write or an explicit flush, so that a line is
// not held back while vem waits for the server (vem doctor, slow pages).
func TestStdoutWriterFlushesByItself(t *testing.T) {
	t.Parallel()
	var raw syncBuffer
	w := NewStdoutWriter(&raw)
	_, err := w.Write([]byte("first line\n"))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return raw.String() == "first line\n" }, 10*time.Second, 10*time.Millisecond)
	require.NoError(t, w.Flush())
	assert.Equal(t, "first line\n", raw.String())
}
