package cmdutil

import (
	"context"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/spf13/cobra"
)

// UsageError is a mistake on the command line or in the environment. It is
// printed with the short usage of Cmd and exits 2.
type UsageError struct {
	Cmd *cobra.Command // may be nil; Execute fills it in from cobra's answer
	Err error
	// Lines marks a message of vem's own that keeps its line breaks; the
	// parts of it that came from the server were cleaned (iostreams.Clean)
	// when it was built.
	Lines bool
}

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Usagef returns a UsageError for cmd.
func Usagef(cmd *cobra.Command, format string, args ...any) error {
	return &UsageError{Cmd: cmd, Err: fmt.Errorf(format, args...)}
}

// ExitError ends a command with a given exit code and message: how an
// awaited session ended (6, 7), that it still runs (8), or a code a
// command settles itself (vem health -o nagios, vem doctor).
type ExitError struct {
	Code int
	Msg  string
	// Lines marks a message of vem's own that keeps its line breaks (the
	// parts from the server were cleaned when it was built).
	Lines bool
	// Silent: the command has printed everything; nothing goes to stderr.
	Silent bool
}

func (e *ExitError) Error() string { return e.Msg }

// InterruptedError is the cancellation cause set by main when a signal
// arrives.
type InterruptedError struct{ Sig os.Signal }

func (e *InterruptedError) Error() string {
	switch e.Sig {
	case os.Interrupt:
		return "interrupted by SIGINT"
	case syscall.SIGTERM:
		return "interrupted by SIGTERM"
	}
	return "interrupted by " + e.Sig.String()
}

// Code returns the conventional exit code for the signal: 128 + its number.
func (e *InterruptedError) Code() int {
	if s, ok := e.Sig.(syscall.Signal); ok {
		return ExitSignalBase + int(s)
	}
	return ExitSignalBase + 2
}

// TimeoutError is the cancellation cause of a command whose --timeout
// (VEM_TIMEOUT) was reached.
type TimeoutError struct{ D time.Duration }

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("--timeout %s reached (%s)", e.D, EnvTimeout)
}

// Is makes a TimeoutError match context.DeadlineExceeded, as the deadline
// it stands for.
func (e *TimeoutError) Is(target error) bool { return target == context.DeadlineExceeded }
