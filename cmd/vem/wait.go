package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/vemkit/vem"
)

// waitFlags are the flags of the commands that wait for a session to end:
// "task-session wait", "job-session wait" and "job start|retry|stop --wait".
type waitFlags struct {
	timeout        time.Duration
	interval       time.Duration
	warningIsError bool
}

// add registers the flags. --timeout shadows the global flag of the same
// name: here it bounds the wait (exit 8 when it passes), while VEM_TIMEOUT
// still bounds each request.
func (wf *waitFlags) add(cmd *cobra.Command) {
	f := cmd.Flags()
	f.DurationVar(&wf.timeout, "timeout", 0, "give up waiting after this long, e.g. 2h (exit 8; the session goes on); 0: wait as long as it runs")
	f.DurationVar(&wf.interval, "interval", vem.DefaultWaitInterval, "first pause between two polls; pauses grow gently up to 1m")
	f.BoolVar(&wf.warningIsError, "warning-is-error", false, "exit 7 when the session ends with Warning")
	for _, name := range []string{"timeout", "interval"} {
		_ = cmd.RegisterFlagCompletionFunc(name, cobra.NoFileCompletions)
	}
}

// check checks the flags. As --timeout is the wait's own here, the
// request timeout still comes from VEM_TIMEOUT when it is set (resolve
// reads it only when no --timeout was given).
func (wf *waitFlags) check(cmd *cobra.Command, a *app) error {
	switch {
	case wf.timeout < 0:
		return usagef(cmd, "--timeout must not be negative")
	case wf.interval <= 0:
		return usagef(cmd, "--interval must be positive, e.g. 5s")
	}
	if s := strings.TrimSpace(a.getenv(envTimeout)); s != "" && cmd.Flags().Changed("timeout") {
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			return usagef(cmd, "%s: invalid duration %q (want e.g. 30s or 5m)", envTimeout, s)
		}
		a.g.timeout = d
	}
	return nil
}

func (wf *waitFlags) options() vem.WaitOptions {
	return vem.WaitOptions{Interval: wf.interval, Timeout: wf.timeout}
}

// exitCodeError ends a command with a given exit code and message: how an
// awaited session ended (6, 7) or that it still runs (8).
type exitCodeError struct {
	code int
	msg  string
}

func (e *exitCodeError) Error() string { return e.msg }

// resultExit is the outcome of a session that has ended: nil for Success
// (and for Warning without --warning-is-error), exit 6 for Failed, exit 7
// for Warning with --warning-is-error; exit 1 for a result vem does not
// know.
func resultExit(what string, result vem.Result, reason string, warningIsError bool) error {
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
		return &exitCodeError{code: exitWarning, msg: fmt.Sprintf("%s ended with Warning%s", what, reason)}
	case vem.ResultFailed:
		return &exitCodeError{code: exitFailed, msg: fmt.Sprintf("%s ended Failed%s", what, reason)}
	}
	return &exitCodeError{code: exitError, msg: fmt.Sprintf("%s ended with result %q%s", what, result, reason)}
}

// stillRunning is the error of a wait whose --timeout passed.
func stillRunning(what, id, waitCmd string, timeout time.Duration) error {
	msg := fmt.Sprintf("%s is still running after --timeout %s (not stopped)", what, timeout)
	if id != "" {
		msg += fmt.Sprintf("\n  wait for it again with: vem %s wait %s", waitCmd, id)
	}
	return &exitCodeError{code: exitStillRunning, msg: msg}
}

// waitPolling is how the wait commands poll, for their help.
const waitPolling = `Polls start every --interval and slow down gently up to once a minute. An
expired EM session is renewed, and a poll that fails with no answer, a 5xx or a
429 is tried again at the next tick; a 404 or 403 ends the wait at once.`

// startWait checks a wait command's ID (of the given kind) and flags, and
// returns the GUID and a client; the caller closes the client.
func (a *app) startWait(cmd *cobra.Command, kind, id string, wf *waitFlags) (string, *vem.Client, error) {
	guid, err := vem.ParseID(kind, id)
	if err != nil {
		return "", nil, usagef(cmd, "%v", err)
	}
	if err := wf.check(cmd, a); err != nil {
		return "", nil, err
	}
	c, err := a.newClient(cmd, authAny)
	if err != nil {
		return "", nil, err
	}
	return guid, c, nil
}

func (a *app) newTaskSessionWaitCmd() *cobra.Command {
	var wf waitFlags
	cmd := &cobra.Command{
		Use:   "wait ID",
		Short: "Wait until a task session has ended; exit by its result",
		Long: `Poll one backup task session until it has ended (State Completed), print it as
'task-session get' does and exit by its Result: 0 Success (or Warning), 6 Failed,
7 Warning with --warning-is-error, 8 when --timeout passed while it still runs.

` + waitPolling,
		Example: `  vem task-session wait 88322206-a645-4aa3-9228-028ce51e7c0f --timeout 1h -o table`,
		Args:    exactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.taskSessionWait(cmd, args[0], &wf)
		},
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	wf.add(cmd)
	return cmd
}

func (a *app) taskSessionWait(cmd *cobra.Command, id string, wf *waitFlags) error {
	guid, c, err := a.startWait(cmd, vem.KindBackupTaskSession, id, wf)
	if err != nil {
		return err
	}
	defer a.closeClient(c)
	ctx := cmd.Context()
	ts, err := c.WaitBackupTaskSession(ctx, guid, wf.options())
	what := "task session " + guid
	if errors.Is(err, vem.ErrWaitTimeout) {
		if ts != nil {
			if err := a.printTaskSession(ctx, c, ts); err != nil {
				return err
			}
		}
		return stillRunning(what, "", "", wf.timeout)
	}
	if err != nil {
		return err
	}
	if err := a.printTaskSession(ctx, c, ts); err != nil {
		return err
	}
	return resultExit(what, ts.Result, ts.Reason, wf.warningIsError)
}

// printTaskSession prints a task session as "task-session get" does.
func (a *app) printTaskSession(ctx context.Context, c *vem.Client, ts *vem.BackupTaskSession) error {
	switch a.g.output {
	case outputXML:
		return a.printRawXML(ctx, c, "/api/backupTaskSessions/"+ts.UID.ID()+"?format=Entity")
	case outputJSONL:
		return writeJSONLine(a.stdout, newTaskSessionJSON(ts))
	case outputTable:
		return writeFields(a.stdout, taskSessionFields(ts, false, related{}))
	}
	return writeJSON(a.stdout, newTaskSessionJSON(ts))
}

// printRawXML prints the server's own XML of one entity.
func (a *app) printRawXML(ctx context.Context, c *vem.Client, path string) error {
	raw, err := c.GetRaw(ctx, path, vem.FormatXML)
	if err != nil {
		return err
	}
	root, err := rootElement(raw.Body)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(a.stdout, "%s%s\n", xmlDeclaration, root)
	return err
}

func (a *app) newJobSessionCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "job-session",
		Aliases: []string{"job-sessions", "js"},
		Short:   "Backup job sessions (one run of a job)",
		Args:    cobra.ArbitraryArgs,
		RunE:    groupRunE,
	}
	cmd.AddCommand(a.newJobSessionWaitCmd())
	return cmd
}

func (a *app) newJobSessionWaitCmd() *cobra.Command {
	var wf waitFlags
	cmd := &cobra.Command{
		Use:   "wait ID",
		Short: "Wait until a job session has ended; exit by its result",
		Long: `Poll one backup job session until it has ended (State Stopped), print it and
exit by its Result: 0 Success (or Warning), 6 Failed, 7 Warning with
--warning-is-error, 8 when --timeout passed while it still runs. The ID is the
one 'vem job start --wait' prints on stderr.

` + waitPolling,
		Example: `  vem job-session wait 0d3a8230-3db1-4cc1-a7b2-3b0b5c8f784c --timeout 2h -o json`,
		Args:    exactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.jobSessionWait(cmd, args[0], &wf)
		},
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	wf.add(cmd)
	return cmd
}

func (a *app) jobSessionWait(cmd *cobra.Command, id string, wf *waitFlags) error {
	guid, c, err := a.startWait(cmd, vem.KindBackupJobSession, id, wf)
	if err != nil {
		return err
	}
	defer a.closeClient(c)
	js, err := c.WaitBackupJobSession(cmd.Context(), guid, wf.options())
	return a.endJobSession(cmd.Context(), c, js, err, wf)
}

// endJobSession prints the job session an awaited run or wait ended with
// (or the last state read, on timeout) and returns the command's outcome.
func (a *app) endJobSession(ctx context.Context, c *vem.Client, js *vem.BackupJobSession, err error, wf *waitFlags) error {
	if err != nil && !errors.Is(err, vem.ErrWaitTimeout) {
		return err
	}
	if js != nil {
		if perr := a.printJobSession(ctx, c, js); perr != nil {
			return perr
		}
	}
	if err != nil {
		if js == nil {
			return stillRunning("the job's new session (not found yet)", "", "", wf.timeout)
		}
		return stillRunning(fmt.Sprintf("job session %s (%s)", js.UID.ID(), js.Name), js.UID.ID(), "job-session", wf.timeout)
	}
	return resultExit(fmt.Sprintf("job session %s (%s)", js.UID.ID(), js.Name), js.Result, js.FailureMessage, wf.warningIsError)
}

// printJobSession prints a job session as JSON, one JSON line, a table or
// EM's XML.
func (a *app) printJobSession(ctx context.Context, c *vem.Client, js *vem.BackupJobSession) error {
	switch a.g.output {
	case outputXML:
		return a.printRawXML(ctx, c, "/api/backupSessions/"+js.UID.ID()+"?format=Entity")
	case outputJSONL:
		return writeJSONLine(a.stdout, newJobSessionJSON(js))
	case outputTable:
		return writeFields(a.stdout, jobSessionFields(js))
	}
	return writeJSON(a.stdout, newJobSessionJSON(js))
}

// jobSessionFields is the table view of one job session.
func jobSessionFields(js *vem.BackupJobSession) [][2]string {
	end := "-"
	if !js.EndTime.IsZero() {
		end = tableTime(js.EndTime)
	}
	return [][2]string{
		{"ID", js.UID.ID()},
		{"UID", js.UID.String()},
		{"Name", dash(js.Name)},
		{"Job", dash(js.JobName)},
		{"Job type", dash(string(js.JobType))},
		{"State", dash(string(js.State))},
		{"Result", dash(string(js.Result))},
		{"Progress", fmt.Sprintf("%d%%", js.Progress)},
		{"Retry", fmt.Sprint(js.IsRetry)},
		{"Failure message", dash(js.FailureMessage)},
		{"Created (UTC)", tableTime(js.CreationTime)},
		{"Ended (UTC)", end},
		{"Duration", tableDuration(js.CreationTime, js.EndTime)},
	}
}
