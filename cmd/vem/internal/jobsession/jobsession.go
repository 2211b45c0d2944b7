// Package jobsession is "vem job-session": get and wait for backup job
// sessions (one run of a job). The job command prints the session of
// "job start --wait" through Print and End.
package jobsession

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/vemkit/vem"
	"github.com/vemkit/vem/cmd/vem/internal/cmdutil"
	"github.com/vemkit/vem/cmd/vem/internal/output"
)

// Formats are the output formats of the job-session commands.
var Formats = []string{output.JSON, output.JSONL, output.Table, output.XML}

// NewCmdJobSession builds "vem job-session" and its subcommands.
func NewCmdJobSession(f *cmdutil.Factory) *cobra.Command {
	return cmdutil.NewGroup("job-session", "Backup job sessions (one run of a job)",
		[]string{"job-sessions", "js"}, NewCmdGet(f, nil), NewCmdWait(f, nil))
}

// Options is what "job-session get" or "job-session wait" was asked to do.
type Options struct {
	f   *cmdutil.Factory
	cmd *cobra.Command

	ID   string // the GUID
	Wait cmdutil.WaitFlags
}

// Complete reads the ID argument.
func (o *Options) Complete(args []string) error {
	guid, err := vem.ParseID(vem.KindBackupJobSession, args[0])
	if err != nil {
		return cmdutil.Usagef(o.cmd, "%s", cmdutil.Text(err))
	}
	o.ID = guid
	return nil
}

func newCmd(f *cmdutil.Factory, cmd *cobra.Command, prepare func(*Options, []string) error, run func(*Options) error, runF func(*Options) error) *cobra.Command {
	o := &Options{f: f}
	cmd.Args = cmdutil.ExactArgs("ID")
	cmd.ValidArgsFunction = cobra.NoFileCompletions
	cmd.RunE = func(c *cobra.Command, args []string) error {
		o.cmd = c
		if err := o.Complete(args); err != nil {
			return err
		}
		if err := prepare(o, args); err != nil {
			return err
		}
		if runF != nil {
			return runF(o)
		}
		return run(o)
	}
	if cmd.Name() == "wait" {
		o.Wait.Add(cmd)
	}
	cmdutil.SetFormats(cmd, output.JSON, Formats...)
	return cmd
}

// NewCmdGet builds "job-session get". runF, when not nil, replaces the run
// function.
func NewCmdGet(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	return newCmd(f, &cobra.Command{
		Use:     "get ID",
		Short:   "Print one job session",
		Long:    `Print one backup job session, given its GUID or its UID (urn:veeam:BackupJobSession:<GUID>).`,
		Example: `  vem job-session get 0d3a8230-3db1-4cc1-a7b2-3b0b5c8f784c -o table`,
	}, func(*Options, []string) error { return nil }, (*Options).runGet, runF)
}

// NewCmdWait builds "job-session wait". runF, when not nil, replaces the
// run function.
func NewCmdWait(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	return newCmd(f, &cobra.Command{
		Use:   "wait ID",
		Short: "Wait until a job session has ended; exit by its result",
		Long: `Poll one backup job session until it has ended (State Stopped), print it and
exit by its Result: 0 Success (or Warning), 6 Failed, 7 Warning with
--warning-is-error, 8 when --wait-timeout passed while it still runs. The ID is
the one 'vem job start --wait' prints on stderr.

` + cmdutil.WaitPolling,
		Example: `  vem job-session wait 0d3a8230-3db1-4cc1-a7b2-3b0b5c8f784c --wait-timeout 2h -o json`,
	}, func(o *Options, _ []string) error {
		_, err := o.Wait.Check(o.cmd, o.f, true)
		return err
	}, (*Options).runWait, runF)
}

func (o *Options) runGet() error {
	c, err := o.f.NewClient(o.cmd, cmdutil.AuthAny)
	if err != nil {
		return err
	}
	defer o.f.CloseClient(c)
	ctx, cancel := o.f.CommandContext(o.cmd)
	defer cancel()
	if o.f.Global.Output == output.XML {
		return writeXML(ctx, c, o.f, o.ID)
	}
	js, err := c.GetBackupJobSession(ctx, o.ID)
	if err != nil {
		return err
	}
	return Print(ctx, c, o.f, js)
}

func (o *Options) runWait() error {
	c, err := o.f.NewClient(o.cmd, cmdutil.AuthAny)
	if err != nil {
		return err
	}
	defer o.f.CloseClient(c)
	js, err := c.WaitBackupJobSession(o.cmd.Context(), o.ID, o.Wait.Options())
	return End(o.cmd.Context(), c, o.f, js, err, &o.Wait)
}

// End prints the job session an awaited run or wait ended with (or the
// last state read, on timeout) and returns the command's outcome.
func End(ctx context.Context, c *vem.Client, f *cmdutil.Factory, js *vem.BackupJobSession, err error, wf *cmdutil.WaitFlags) error {
	if err != nil && !errors.Is(err, vem.ErrWaitTimeout) {
		return err
	}
	if js != nil {
		if perr := Print(ctx, c, f, js); perr != nil {
			return perr
		}
	}
	if err != nil {
		if js == nil {
			return cmdutil.StillRunning("the job's new session (not found yet)", "", wf.Timeout)
		}
		return cmdutil.StillRunning(fmt.Sprintf("job session %s (%s)", js.UID.ID(), js.Name), "vem job-session wait "+js.UID.ID(), wf.Timeout)
	}
	return cmdutil.ResultExit(fmt.Sprintf("job session %s (%s)", js.UID.ID(), js.Name), js.Result, js.FailureMessage, wf.WarningIsError)
}

// Print prints a job session in the output format: JSON, one JSON line, a
// table or EM's XML.
func Print(ctx context.Context, c *vem.Client, f *cmdutil.Factory, js *vem.BackupJobSession) error {
	if f.Global.Output == output.XML {
		return writeXML(ctx, c, f, js.UID.ID())
	}
	return output.Print(f.IO.Out, f.Global.Output, output.NewJobSessionJSON(js), func() [][2]string { return output.JobSessionFields(js) })
}

// writeXML prints EM's own XML of the job session id.
func writeXML(ctx context.Context, c *vem.Client, f *cmdutil.Factory, id string) error {
	raw, err := c.GetRaw(ctx, "/api/backupSessions/"+id+"?format=Entity", vem.FormatXML)
	if err != nil {
		return err
	}
	return output.WriteEntityXML(f.IO.Out, raw.Body)
}
