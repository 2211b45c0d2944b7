package tasksession

import (
	"errors"

	"github.com/spf13/cobra"
	"github.com/vemkit/vem"
	"github.com/vemkit/vem/cmd/vem/internal/cmdutil"
	"github.com/vemkit/vem/cmd/vem/internal/output"
)

// WaitOptions is what "task-session wait" was asked to do.
type WaitOptions struct {
	f   *cmdutil.Factory
	cmd *cobra.Command

	ID   string // the GUID
	Wait cmdutil.WaitFlags
}

// NewCmdWait builds "task-session wait". runF, when not nil, replaces the
// run function.
func NewCmdWait(f *cmdutil.Factory, runF func(*WaitOptions) error) *cobra.Command {
	o := &WaitOptions{f: f}
	cmd := &cobra.Command{
		Use:   "wait ID",
		Short: "Wait until a task session has ended; exit by its result",
		Long: `Poll one backup task session until it has ended (State Completed), print it as
'task-session get' does and exit by its Result: 0 Success (or Warning), 6 Failed,
7 Warning with --warning-is-error, 8 when --wait-timeout passed while it still
runs (stderr then says how to wait for it again).

` + cmdutil.WaitPolling,
		Example:           `  vem task-session wait 88322206-a645-4aa3-9228-028ce51e7c0f --wait-timeout 1h -o table`,
		Args:              cmdutil.ExactArgs("ID"),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.cmd = cmd
			if err := o.Complete(args); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return o.Run()
		},
	}
	o.Wait.Add(cmd)
	cmdutil.SetFormats(cmd, output.JSON, formats...)
	return cmd
}

// Complete reads the ID and checks the wait flags.
func (o *WaitOptions) Complete(args []string) error {
	guid, err := vem.ParseID(vem.KindBackupTaskSession, args[0])
	if err != nil {
		return cmdutil.Usagef(o.cmd, "%s", cmdutil.Text(err))
	}
	o.ID = guid
	_, err = o.Wait.Check(o.cmd, o.f, true)
	return err
}

// Run waits and prints the task session as it ended (or as it was when
// --wait-timeout passed).
func (o *WaitOptions) Run() error {
	f := o.f
	c, err := f.NewClient(o.cmd, cmdutil.AuthAny)
	if err != nil {
		return err
	}
	defer f.CloseClient(c)
	ctx := o.cmd.Context()
	format := f.Global.Output
	ts, err := c.WaitBackupTaskSession(ctx, o.ID, o.Wait.Options())
	what := "task session " + o.ID
	if errors.Is(err, vem.ErrWaitTimeout) {
		if ts != nil {
			if err := print(ctx, c, format, f, ts); err != nil {
				return err
			}
		}
		return cmdutil.StillRunning(what, "vem task-session wait "+o.ID, o.Wait.Timeout)
	}
	if err != nil {
		return err
	}
	if err := print(ctx, c, format, f, ts); err != nil {
		return err
	}
	return cmdutil.ResultExit(what, ts.Result, ts.Reason, o.Wait.WarningIsError)
}
