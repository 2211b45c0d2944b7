// Package iostreams holds the streams of one vem invocation: stdin, the
// buffered stdout, stderr, and what is known about them (terminals), the
// password prompt, the progress line, and the one text cleaner of the CLI.
package iostreams

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// IOStreams are the streams of one invocation. Nothing in vem is global:
// tests run many invocations in one process, each on its own IOStreams.
type IOStreams struct {
	In     io.Reader
	Out    *StdoutWriter
	ErrOut io.Writer

	// IsTerminal and SameFile say whether a stream is a terminal and
	// whether two streams are the same file; tests replace them.
	IsTerminal func(any) bool
	SameFile   func(a, b any) bool
	// ReadPassword reads a line from the terminal stdin without echo;
	// tests replace it.
	ReadPassword func() ([]byte, error)
}

// New returns the streams of an invocation.
func New(in io.Reader, out, errOut io.Writer) *IOStreams {
	s := &IOStreams{In: in, Out: NewStdoutWriter(out), ErrOut: errOut,
		IsTerminal: IsTerminalFile, SameFile: IsSameFile}
	s.ReadPassword = func() ([]byte, error) { return readPasswordNoEcho(in) }
	return s
}

// StdoutIsTerminal reports whether stdout is a terminal.
func (s *IOStreams) StdoutIsTerminal() bool { return s.IsTerminal(s.Out.Raw()) }

// ProgressEnabled says whether a progress line may be shown on stderr:
// stderr is a terminal and stdout is not that same terminal.
func (s *IOStreams) ProgressEnabled() bool {
	return s.IsTerminal(s.ErrOut) && !s.SameFile(s.Out.Raw(), s.ErrOut)
}

// MaxSecretBytes bounds what a secret read from a pipe may hold.
const MaxSecretBytes = 64 << 10

// ReadSecret reads a password or token from stdin: piped, up to its end;
// on a terminal, one line typed after the prompt "vem: WHAT: " on stderr,
// without echo. The trailing line break is removed.
func (s *IOStreams) ReadSecret(what string) (string, error) {
	var b []byte
	var err error
	if s.IsTerminal(s.In) {
		fmt.Fprintf(s.ErrOut, "vem: %s: ", what)
		b, err = s.ReadPassword()
		fmt.Fprintln(s.ErrOut)
	} else {
		b, err = io.ReadAll(io.LimitReader(s.In, MaxSecretBytes))
	}
	if err != nil {
		return "", err
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// readPasswordNoEcho reads one line from a terminal stdin with echo off.
func readPasswordNoEcho(stdin io.Reader) ([]byte, error) {
	f, ok := stdin.(*os.File)
	if !ok {
		return nil, errors.New("stdin is not a terminal")
	}
	return term.ReadPassword(int(f.Fd()))
}

// IsTerminalFile reports whether f is a terminal (a character device).
func IsTerminalFile(f any) bool {
	file, ok := f.(*os.File)
	if !ok {
		return false
	}
	fi, err := file.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// IsSameFile reports whether two streams are the same open file, such as
// one terminal for stdout and stderr.
func IsSameFile(a, b any) bool {
	fa, ok1 := a.(*os.File)
	fb, ok2 := b.(*os.File)
	if !ok1 || !ok2 {
		return false
	}
	sa, err1 := fa.Stat()
	sb, err2 := fb.Stat()
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}
