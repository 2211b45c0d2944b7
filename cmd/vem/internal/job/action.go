package job

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"github.com/vemkit/vem"
	"github.com/vemkit/vem/cmd/vem/internal/cmdutil"
	"github.com/vemkit/vem/cmd/vem/internal/iostreams"
	"github.com/vemkit/vem/cmd/vem/internal/jobsession"
	"github.com/vemkit/vem/cmd/vem/internal/output"
)

// ActionOptions is what "job start", "job retry" or "job stop" was asked
// to do.
type ActionOptions struct {
	f   *cmdutil.Factory
	cmd *cobra.Command

	Action       string // start, retry or stop
	Job          string // name, GUID or UID
	BackupServer string
	Wait         bool
	WaitFlags    cmdutil.WaitFlags
	// Deadline bounds the command without --wait (the deprecated
	// --timeout given there).
	Deadline time.Duration
}

// TaskJSON is an EM task, the answer to a job action.
type TaskJSON struct {
	ID        string  `json:"id"`
	State     *string `json:"state"`
	Finished  bool    `json:"finished"`
	Operation *string `json:"operation"`
	Success   *bool   `json:"success"`
	Message   *string `json:"message"`
	JobUID    string  `json:"jobUid"`
	JobName   *string `json:"jobName"`
	Href      *string `json:"href"`
}

// NewTaskJSON is the JSON of the task of an action on job j.
func NewTaskJSON(t *vem.Task, j *vem.Job) TaskJSON {
	out := TaskJSON{ID: t.ID, State: output.Str(t.State), Finished: t.State.Collected(), Operation: output.Str(t.Operation),
		JobUID: j.UID.String(), JobName: output.Str(j.Name), Href: output.Str(t.Href)}
	if t.Result != nil {
		out.Success, out.Message = &t.Result.Success, output.Str(t.Result.Message)
	}
	return out
}

// NewCmdAction builds "job start", "job retry" or "job stop". runF, when
// not nil, replaces the run function.
func NewCmdAction(f *cmdutil.Factory, action string, runF func(*ActionOptions) error) *cobra.Command {
	o := &ActionOptions{f: f, Action: action}
	short := map[string]string{
		"start": "Start a job; with --wait, wait for its session and exit by its result",
		"retry": "Retry a failed job; with --wait, wait for its session and exit by its result",
		"stop":  "Stop a running job; with --wait, wait until EM reports it stopped",
	}[action]
	long := `Send POST /api/jobs/{ID}?action=` + action + ` and print EM's task (the job is named by its
name, GUID or UID; a name is looked up with the query service). The account
needs EM's Portal Administrator role.`
	if action != "stop" {
		long += `

With --wait, vem waits for the job session the ` + action + ` created: it prints the
session's ID on stderr as soon as it is found, then the final session on stdout,
and exits by its Result: 0 Success (or Warning), 6 Failed, 7 Warning with
--warning-is-error, 8 when --wait-timeout passed while it still runs (the job is
not stopped; stderr says how to wait for it again: 'vem job-session wait ID').`
	} else {
		long += `

With --wait, vem waits until EM's task has finished and exits 0 when the stop
succeeded, 1 when EM refused it (the job was not running).`
	}
	cmd := &cobra.Command{
		Use:   action + " NAME-or-ID",
		Short: short,
		Long:  long,
		Example: fmt.Sprintf(`  vem job %s "vCD Job Template"
  vem job %s "vCD Job Template" --wait --wait-timeout 2h -o table`, action, action),
		Args:              cmdutil.ExactArgs("NAME-or-ID"),
		ValidArgsFunction: nameCompletion(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.cmd, o.Job = cmd, args[0]
			if err := o.Validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return o.Run()
		},
	}
	cmd.Flags().BoolVar(&o.Wait, "wait", false, "wait for the outcome and exit by it")
	cmd.Flags().StringVar(&o.BackupServer, "backup-server", "", "the job's backup server, when several servers have a job of that name")
	o.WaitFlags.Add(cmd)
	cmd.Flags().Lookup("timeout").Usage = "with --wait: deprecated, use --wait-timeout; without: deadline of the command"
	cmdutil.NoFileCompletions(cmd, "backup-server")
	if action == "stop" {
		cmdutil.SetFormats(cmd, output.JSON, output.JSON, output.JSONL, output.Table)
	} else {
		cmdutil.SetFormats(cmd, output.JSON, output.JSON, output.JSONL, output.Table, output.XML)
	}
	return cmd
}

// Validate checks the flags.
func (o *ActionOptions) Validate() error {
	d, err := o.WaitFlags.Check(o.cmd, o.f, o.Wait)
	if err != nil {
		return err
	}
	o.Deadline = d
	if !o.Wait && (o.cmd.Flags().Changed("interval") || o.cmd.Flags().Changed("warning-is-error") || o.cmd.Flags().Changed("wait-timeout")) {
		return cmdutil.Usagef(o.cmd, "--wait-timeout, --interval and --warning-is-error need --wait")
	}
	return nil
}

// Run sends the action and, with --wait, waits for its outcome.
func (o *ActionOptions) Run() error {
	f := o.f
	c, err := f.NewClient(o.cmd, cmdutil.AuthAny)
	if err != nil {
		return err
	}
	defer f.CloseClient(c)
	if f.Global.Output == output.XML && !o.Wait {
		return cmdutil.Usagef(o.cmd, "-o xml is available only for the job session of --wait (want json, jsonl or table)")
	}
	ctx := o.cmd.Context()
	if o.Deadline > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Deadline)
		defer cancel()
	}
	job, err := find(ctx, o.cmd, c, o.Job, o.BackupServer)
	if errors.Is(err, vem.ErrForbidden) {
		return fmt.Errorf("%s job: job actions need EM's Portal Administrator role: %w", o.Action, err)
	}
	if err != nil {
		return err
	}
	what := fmt.Sprintf("job %q", job.Name)

	if o.Wait && o.Action != "stop" {
		js, err := c.RunJob(ctx, job.UID.ID(), vem.RunOptions{
			WaitOptions: o.WaitFlags.Options(),
			Retry:       o.Action == "retry",
			OnSession: func(s *vem.BackupJobSession) {
				fmt.Fprintf(f.IO.ErrOut, "vem: %s: job session %s (%s) is %s\n", iostreams.Clean(what), s.UID.ID(), iostreams.Clean(s.Name), iostreams.Clean(output.Dash(string(s.State))))
			},
		})
		return jobsession.End(ctx, c, f, js, err, &o.WaitFlags)
	}

	call := map[string]func(context.Context, string) (*vem.Task, error){"start": c.StartJob, "retry": c.RetryJob, "stop": c.StopJob}[o.Action]
	task, err := call(ctx, job.UID.ID())
	if err != nil {
		return err
	}
	if o.Wait { // stop --wait
		done, err := c.WaitTask(ctx, task.ID, o.WaitFlags.Options())
		switch {
		case errors.Is(err, vem.ErrWaitTimeout):
			if done != nil {
				task = done
			}
			if perr := o.printTask(task, job); perr != nil {
				return perr
			}
			return cmdutil.StillRunning("the stop of "+what, "", o.WaitFlags.Timeout)
		case err != nil:
			return err
		}
		task = done
	}
	if err := o.printTask(task, job); err != nil {
		return err
	}
	if task.State.Ended() && task.Result != nil && !task.Result.Success {
		return fmt.Errorf("%s %s: %s", o.Action, what, task.Result.Message)
	}
	return nil
}

func (o *ActionOptions) printTask(t *vem.Task, j *vem.Job) error {
	v := NewTaskJSON(t, j)
	return output.Print(o.f.IO.Out, o.f.Global.Output, v, func() [][2]string {
		success, message := "-", "-"
		if v.Success != nil {
			success, message = fmt.Sprint(*v.Success), output.Dash(*v.Message)
		}
		return [][2]string{
			{"Task", t.ID}, {"Operation", output.Dash(t.Operation)}, {"State", output.Dash(string(t.State))},
			{"Success", success}, {"Message", message}, {"Job", output.Dash(j.Name)}, {"Job UID", j.UID.String()},
		}
	})
}
