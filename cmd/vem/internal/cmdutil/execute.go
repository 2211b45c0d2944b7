package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/vemkit/vem/cmd/vem/internal/iostreams"
)

// Execute runs one command line on root and returns the exit code: the
// error of the command, mapped by ExitCode, printed on stderr once (a
// usage error with the command's short usage).
func (f *Factory) Execute(ctx context.Context, root *cobra.Command, args []string) int {
	root.SetArgs(args)
	root.SetIn(f.IO.In)
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)

	var err error
	cmd := root
	if perr := RefuseSecretFlags(args); perr != nil {
		err = perr
		if c, _, ferr := root.Find(args); ferr == nil {
			cmd = c
		}
	} else {
		cmd, err = root.ExecuteContextC(ctx)
	}
	if ferr := f.IO.Out.Flush(); err == nil {
		err = ferr
	}
	var oe *iostreams.OutputError
	if errors.As(f.IO.Out.Err(), &oe) {
		// Whatever the command made of it, a failed write to stdout is the
		// outcome: a closed pipe exits quietly.
		err = oe
		if oe.ClosedPipe() {
			return ExitClosedPipe
		}
	}
	if err == nil {
		return ExitOK
	}
	for _, h := range f.errorHooks {
		if code, ok := h(ctx, cmd, args, err); ok {
			return code
		}
	}
	var ie *InterruptedError
	if cause := context.Cause(ctx); errors.As(cause, &ie) && ctx.Err() != nil {
		fmt.Fprintf(f.IO.ErrOut, "vem: %v\n", ie)
		return ie.Code()
	}
	if f.TimeoutReached() && errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("%w: %w", &TimeoutError{D: f.Global.Timeout}, err)
	}
	var ue *UsageError
	if errors.As(err, &ue) || IsCobraUsageError(err) {
		if ue != nil && ue.Cmd != nil {
			cmd = ue.Cmd
		}
		if cmd == nil {
			cmd = root
		}
		fmt.Fprintln(f.IO.ErrOut, ErrorMessage(err))
		PrintShortUsage(f.IO.ErrOut, cmd)
		return ExitUsage
	}
	var ee *ExitError
	if errors.As(err, &ee) && ee.Silent {
		return ee.Code
	}
	fmt.Fprintln(f.IO.ErrOut, ErrorMessage(err))
	return ExitCode(err)
}

// IsCobraUsageError recognises the errors cobra returns for a bad command
// line without giving them a type of their own.
func IsCobraUsageError(err error) bool {
	s := err.Error()
	return strings.HasPrefix(s, "unknown command ") || strings.HasPrefix(s, "unknown flag") ||
		strings.HasPrefix(s, "unknown shorthand flag") || strings.Contains(s, "flag needs an argument") ||
		strings.HasPrefix(s, "invalid argument ") || strings.HasPrefix(s, "required flag")
}

// PrintShortUsage writes the usage line of cmd and where to find more.
func PrintShortUsage(w io.Writer, cmd *cobra.Command) {
	line := cmd.UseLine()
	if cmd.HasAvailableSubCommands() {
		line = cmd.CommandPath() + " COMMAND [flags]"
	}
	fmt.Fprintf(w, "Usage: %s\nRun '%s --help' for more information.\n", line, cmd.CommandPath())
}

// RefuseSecretFlags rejects a password or a session token given on the
// command line, where the process list and the shell history would keep
// it.
func RefuseSecretFlags(args []string) error {
	for _, arg := range args {
		if arg == "--" {
			break
		}
		switch {
		case arg == "--password" || strings.HasPrefix(arg, "--password="):
			return &UsageError{Err: errors.New("--password is not accepted: a password on the command line shows in the process list and the shell history; set " + EnvPassword + " or pipe it to --password-stdin")}
		case arg == "--session-id" || strings.HasPrefix(arg, "--session-id="):
			return &UsageError{Err: errors.New("--session-id is not accepted: a session token on the command line shows in the process list and the shell history; set " + EnvSessionID + " or pipe it to --session-id-stdin")}
		}
	}
	return nil
}
