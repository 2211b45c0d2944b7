package cmdutil

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"github.com/vemkit/vem"
	"github.com/vemkit/vem/cmd/vem/internal/iostreams"
)

// WaitFlags are the flags of the commands that wait for a session to end:
// "task-session wait", "job-session wait" and "job start|retry|stop --wait".
type WaitFlags struct {
	Timeout        time.Duration // --wait-timeout (or the deprecated --timeout)
	Interval       time.Duration
	WarningIsError bool
	oldTimeout     time.Duration
}

// WaitPolling is how the wait commands poll, for their help.
const WaitPolling = `Polls start every --interval and slow down gently up to once a minute. An
expired EM session is renewed, and a poll that fails with no answer, a 5xx or a
429 is tried again at the next tick; a 404 or 403 ends the wait at once.`

// Add registers the flags. --wait-timeout bounds the wait (exit 8 when it
// passes). --timeout is kept one release as its deprecated alias (with a
// warning); it shadows the global flag, so VEM_TIMEOUT still bounds each
// request.
func (wf *WaitFlags) Add(cmd *cobra.Command) {
	f := cmd.Flags()
	f.DurationVar(&wf.Timeout, "wait-timeout", 0, "give up waiting after this long, e.g. 2h (exit 8; the session goes on); 0: wait as long as it runs")
	f.DurationVar(&wf.oldTimeout, "timeout", 0, "deprecated: use --wait-timeout (VEM_TIMEOUT still bounds each request)")
	f.DurationVar(&wf.Interval, "interval", vem.DefaultWaitInterval, "first pause between two polls; pauses grow gently up to 1m")
	f.BoolVar(&wf.WarningIsError, "warning-is-error", false, "exit 7 when the session ends with Warning")
	NoFileCompletions(cmd, "wait-timeout", "timeout", "interval")
}

// Check checks the flags. waiting says whether the command waits (job
// actions wait only with --wait): there --timeout is the deprecated alias
// of --wait-timeout and gets a warning on stderr; elsewhere it is the
// command's deadline, returned as deadline.
func (wf *WaitFlags) Check(cmd *cobra.Command, f *Factory, waiting bool) (deadline time.Duration, err error) {
	old := cmd.Flags().Changed("timeout")
	switch {
	case wf.Timeout < 0:
		return 0, Usagef(cmd, "--wait-timeout must not be negative")
	case wf.oldTimeout < 0:
		return 0, Usagef(cmd, "--timeout must not be negative")
	case wf.Interval <= 0:
		return 0, Usagef(cmd, "--interval must be positive, e.g. 5s")
	case old && cmd.Flags().Changed("wait-timeout"):
		return 0, Usagef(cmd, "--timeout is the deprecated name of --wait-timeout: give only --wait-timeout")
	case old && waiting:
		f.Warnf("--timeout of %s is deprecated and will bound each request in a later release: use --wait-timeout %s", cmd.CommandPath(), wf.oldTimeout)
		wf.Timeout = wf.oldTimeout
	case old:
		return wf.oldTimeout, nil
	}
	return 0, nil
}

// Options are the SDK's wait options of the flags.
func (wf *WaitFlags) Options() vem.WaitOptions {
	return vem.WaitOptions{Interval: wf.Interval, Timeout: wf.Timeout}
}

// ResultExit is the outcome of a session that has ended: nil for Success
// (and for Warning without --warning-is-error), exit 6 for Failed, exit 7
// for Warning with --warning-is-error; exit 1 for a result vem does not
// know. what and reason may hold text from EM: they are cleaned here.
func ResultExit(what string, result vem.Result, reason string, warningIsError bool) error {
	if reason != "" {
		reason = ": " + reason
	}
	switch result {
	case vem.ResultSuccess:
		return nil
	case vem.ResultWarning:
		if !warningIsError {
			return nil
		}
		return &ExitError{Code: ExitWarning, Msg: fmt.Sprintf("%s ended with Warning%s", what, reason)}
	case vem.ResultFailed:
		return &ExitError{Code: ExitFailed, Msg: fmt.Sprintf("%s ended Failed%s", what, reason)}
	}
	return &ExitError{Code: ExitOther, Msg: fmt.Sprintf("%s ended with result %q%s", what, result, reason)}
}

// StillRunning is the error of a wait whose --wait-timeout passed (exit 8).
// With resume (e.g. "vem task-session wait ID"), its second line is the
// command that waits for it again. what may hold text from EM: it is
// cleaned here, and the message keeps its own line break.
func StillRunning(what, resume string, timeout time.Duration) error {
	msg := fmt.Sprintf("%s is still running after --wait-timeout %s (not stopped)", iostreams.Clean(what), timeout)
	if resume != "" {
		msg += "\n  wait for it again with: " + iostreams.Clean(resume)
	}
	return &ExitError{Code: ExitStillRunning, Msg: msg, Lines: true}
}
