// Package watch is "vem watch": print each task or job session once, as it
// finishes, resumable through a state file.
package watch

import (
	"context"
	"errors"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/vemkit/vem"
	"github.com/vemkit/vem/cmd/vem/internal/cmdutil"
	"github.com/vemkit/vem/cmd/vem/internal/output"
	"github.com/vemkit/vem/internal/em"
)

// Kinds of "vem watch".
const (
	TaskSessions = "task-sessions"
	JobSessions  = "job-sessions"
)

// Options is what "vem watch" was asked to do.
type Options struct {
	f   *cmdutil.Factory
	cmd *cobra.Command

	Kind      string
	Since     string
	Results   []string
	StateFile string
	Interval  time.Duration
	Lag       time.Duration
	Limit     int
	PageSize  int

	watch vem.WatchOptions // as Complete built them
}

// NewCmdWatch builds "vem watch". runF, when not nil, replaces the run
// function.
func NewCmdWatch(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	o := &Options{f: f}
	cmd := &cobra.Command{
		Use:   "watch task-sessions|job-sessions",
		Short: "Print each task or job session once, as it finishes",
		Long: `Print each backup task session (or job session) once, when it has finished,
until Ctrl-C, SIGTERM, --limit or --timeout. Each session is printed as soon
as EM's query service shows it, one line at a time (-o jsonl, the default;
-o json streams one array; -o table prints aligned lines). The JSON is that of
"vem task-session list -o jsonl", with the session's "uid".

vem polls EM every --interval (one query when nothing happens) for the
sessions that ended since the latest one it printed minus --lag: EM collects
sessions from its backup servers every 15 minutes, so a session may show up
that late, after sessions that ended later. Sessions already printed are
recognized by their UID.

--since (a duration ago or a time; default: now) is where a new watch starts.
--state-file F makes the watch resumable: vem reads F at start (when it
exists) and goes on from where it stopped (then --since does not apply, and
stderr says so), and rewrites F atomically after each printed line. Nothing is
lost across restarts; nothing is repeated after a clean stop (Ctrl-C, SIGTERM,
--limit, --timeout); after a hard kill (SIGKILL, power loss) at most the last
line printed before it comes again.

Exit codes: 0 after --limit or --timeout, 130 on SIGINT, 143 on SIGTERM, and
the usual codes for errors. Transient errors (503, resets, timeouts) are
reported on stderr and the watch goes on.`,
		Example: `  vem watch task-sessions --result failed,warning --state-file ~/.vem-watch.state
  vem watch job-sessions --since 2h -o table
  vem watch task-sessions --since 24h --limit 10 -o json`,
		Args:      cmdutil.ExactArgs("KIND"),
		ValidArgs: []string{TaskSessions, JobSessions},
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
	fl := cmd.Flags()
	fl.StringVar(&o.Since, "since", "", "start with sessions that ended at or after: a duration ago (1h, 7d) or a time (default: now)")
	fl.StringSliceVar(&o.Results, "result", nil, "result(s): Success, Warning, Failed, None")
	fl.StringVar(&o.StateFile, "state-file", "", "file that keeps the position, to resume without loss or repeats")
	fl.DurationVar(&o.Interval, "interval", vem.DefaultWatchInterval, "time between polls")
	fl.DurationVar(&o.Lag, "lag", vem.DefaultWatchLag, "how late a session may reach EM's query service")
	fl.IntVar(&o.Limit, "limit", 0, "stop after this many sessions; 0: no limit")
	fl.IntVar(&o.PageSize, "page-size", 0, "query page size; 0: EM's (100)")
	_ = cmd.RegisterFlagCompletionFunc("result", cmdutil.ListCompletion(em.Results()))
	cmdutil.NoFileCompletions(cmd, "since", "interval", "lag", "limit", "page-size")
	cmdutil.SetFormats(cmd, output.JSONL, output.JSONL, output.JSON, output.Table)
	return cmd
}

// Complete checks the kind and the flags, and reads the state file.
func (o *Options) Complete(args []string) error {
	cmd := o.cmd
	o.Kind = strings.ToLower(args[0])
	if o.Kind != TaskSessions && o.Kind != JobSessions {
		return cmdutil.Usagef(cmd, "unknown kind %q (want %s or %s)", o.Kind, TaskSessions, JobSessions)
	}
	if err := o.f.Resolve(cmd); err != nil {
		return err
	}
	switch {
	case o.Limit < 0:
		return cmdutil.Usagef(cmd, "--limit must not be negative")
	case o.Interval <= 0:
		return cmdutil.Usagef(cmd, "--interval must be positive")
	case o.Lag <= 0:
		return cmdutil.Usagef(cmd, "--lag must be positive")
	}
	o.watch = vem.WatchOptions{Interval: o.Interval, Lag: o.Lag, PageSize: o.PageSize}
	if len(o.Results) > 0 {
		f, err := cmdutil.EnumFilter(cmd, "result", "Result", em.Results(), o.Results)
		if err != nil {
			return err
		}
		o.watch.Filter = f
	}
	if o.Since != "" {
		t, err := cmdutil.ParseTimeArg(o.Since, o.f.Now())
		if err != nil {
			return cmdutil.Usagef(cmd, "--since: %v", err)
		}
		o.watch.Since = t
	}
	if o.StateFile == "" {
		return nil
	}
	st, err := readState(o.StateFile)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return checkStateDir(cmd, o.StateFile)
	case err != nil:
		return cmdutil.Usagef(cmd, "--state-file: %v", err)
	case st.Kind != o.Kind:
		return cmdutil.Usagef(cmd, "--state-file %s is the state of a watch of %s, not %s", o.StateFile, st.Kind, o.Kind)
	}
	o.watch.Resume = st.Cursor
	if o.Since != "" {
		o.f.Warnf("--since %s does not apply: the watch resumes from --state-file %s (remove the file to start at --since)", o.Since, o.StateFile)
	}
	return nil
}

// Run watches until --limit, --timeout or a signal.
func (o *Options) Run() error {
	f := o.f
	c, err := f.NewClient(o.cmd, cmdutil.AuthAny)
	if err != nil {
		return err
	}
	defer f.CloseClient(c)
	ctx, cancel := f.CommandContext(o.cmd)
	defer cancel()
	o.watch.OnError = func(err error) error {
		_, _ = f.IO.ErrOut.Write([]byte(cmdutil.ErrorMessage(err) + " (will retry)\n"))
		return nil
	}
	w := c.NewWatcher(o.watch)
	if err := w.Err(); err != nil {
		if errors.Is(err, vem.ErrInvalidCursor) {
			return cmdutil.Usagef(o.cmd, "--state-file %s: %s", o.StateFile, cmdutil.Text(err))
		}
		return cmdutil.Usagef(o.cmd, "%s", cmdutil.Text(err))
	}
	save := func() error {
		if o.StateFile == "" {
			return nil
		}
		return writeState(o.StateFile, state{Kind: o.Kind, Cursor: w.Cursor(), Updated: f.Now().UTC().Format(time.RFC3339)})
	}
	// The starting point is saved at once, so that a restart before the
	// first session does not move --since.
	if err := save(); err != nil {
		return err
	}
	var werr error
	if o.Kind == TaskSessions {
		werr = stream(ctx, o, w.BackupTaskSessions(ctx), save, output.NewTaskSessionJSON,
			output.TaskSessionColumns, []int{36, 19, 20, 20, 9, 7, 10, 9}, output.TaskSessionRow)
	} else {
		werr = stream(ctx, o, w.BackupJobSessions(ctx), save, func(js *vem.BackupJobSession) *output.JobSessionJSON { return output.NewJobSessionJSON(js) },
			output.JobSessionColumns, []int{36, 19, 24, 7, 7, 10, 5}, output.JobSessionRow)
	}
	if werr != nil {
		return werr
	}
	if err := ctx.Err(); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err // interrupted: 130 or 143
	}
	return nil
}
