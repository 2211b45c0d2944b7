// Package tasksession is "vem task-session": get, list and wait for
// backup task sessions (one VM's part of a backup job run).
package tasksession

import (
	"context"

	"github.com/spf13/cobra"
	"github.com/vemkit/vem"
	"github.com/vemkit/vem/cmd/vem/internal/cmdutil"
	"github.com/vemkit/vem/cmd/vem/internal/output"
)

// NewCmdTaskSession builds "vem task-session" and its subcommands.
func NewCmdTaskSession(f *cmdutil.Factory) *cobra.Command {
	return cmdutil.NewGroup("task-session", "Read backup task sessions (one VM's part of a backup job run)",
		[]string{"task-sessions", "ts"},
		NewCmdGet(f, nil), NewCmdList(f, nil), NewCmdWait(f, nil))
}

// formats are the output formats of every task-session command.
var formats = []string{output.JSON, output.JSONL, output.Table, output.XML}

// print prints a task session as "task-session get" does without --follow.
func print(ctx context.Context, c *vem.Client, format string, f *cmdutil.Factory, ts *vem.BackupTaskSession) error {
	if format == output.XML {
		return writeXML(ctx, c, f, ts.UID.ID())
	}
	return output.Print(f.IO.Out, format, output.NewTaskSessionJSON(ts), func() [][2]string { return output.TaskSessionFields(ts) })
}

// writeXML prints EM's own XML of the task session id.
func writeXML(ctx context.Context, c *vem.Client, f *cmdutil.Factory, id string) error {
	raw, err := c.GetRaw(ctx, "/api/backupTaskSessions/"+id+"?format=Entity", vem.FormatXML)
	if err != nil {
		return err
	}
	return output.WriteEntityXML(f.IO.Out, raw.Body)
}
