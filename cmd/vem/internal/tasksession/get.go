package tasksession

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/vemkit/vem"
	"github.com/vemkit/vem/cmd/vem/internal/cmdutil"
	"github.com/vemkit/vem/cmd/vem/internal/output"
)

// GetOptions is what "task-session get" was asked to do.
type GetOptions struct {
	f   *cmdutil.Factory
	cmd *cobra.Command

	ID     string // the GUID, from a GUID or UID argument
	Follow bool
}

// NewCmdGet builds "task-session get". runF, when not nil, replaces the
// run function (tests check what the command line parsed into).
func NewCmdGet(f *cmdutil.Factory, runF func(*GetOptions) error) *cobra.Command {
	o := &GetOptions{f: f}
	cmd := &cobra.Command{
		Use:   "get ID",
		Short: "Print one task session",
		Long: `Print one backup task session, given its GUID or its UID
(urn:veeam:BackupTaskSession:<GUID>).

--follow adds its job session, its backup server and its restore point (null
when EM has none). With -o xml, --follow prints the four EM documents inside
one <TaskSessionWithRelated> element.`,
		Example: `  vem task-session get 88322206-a645-4aa3-9228-028ce51e7c0f -o json
  vem task-session get urn:veeam:BackupTaskSession:88322206-a645-4aa3-9228-028ce51e7c0f --follow -o table`,
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
	cmd.Flags().BoolVar(&o.Follow, "follow", false, "add the job session, backup server and restore point")
	cmdutil.SetFormats(cmd, output.JSON, formats...)
	return cmd
}

// Complete reads the ID argument.
func (o *GetOptions) Complete(args []string) error {
	guid, err := vem.ParseID(vem.KindBackupTaskSession, args[0])
	if err != nil {
		return cmdutil.Usagef(o.cmd, "%s", cmdutil.Text(err))
	}
	o.ID = guid
	return nil
}

// related is what --follow adds to a task session.
type related struct {
	jobSession   *vem.BackupJobSession
	backupServer *vem.BackupServer
	restorePoint *vem.VMRestorePoint
}

// Run prints the task session.
func (o *GetOptions) Run() error {
	f := o.f
	c, err := f.NewClient(o.cmd, cmdutil.AuthAny)
	if err != nil {
		return err
	}
	defer f.CloseClient(c)
	ctx, cancel := f.CommandContext(o.cmd)
	defer cancel()
	format := f.Global.Output

	if format == output.XML {
		if o.Follow {
			return o.followXML(ctx, c)
		}
		return writeXML(ctx, c, f, o.ID)
	}
	ts, err := c.GetBackupTaskSession(ctx, o.ID)
	if err != nil {
		return err
	}
	if !o.Follow {
		return print(ctx, c, format, f, ts)
	}
	rel, err := fetchRelated(ctx, c, ts)
	if err != nil {
		return err
	}
	v := output.FollowedTaskSessionJSON{
		TaskSessionJSON: output.NewTaskSessionJSON(ts),
		JobSession:      output.NewJobSessionJSON(rel.jobSession),
		BackupServer:    output.NewBackupServerJSON(rel.backupServer),
		RestorePoint:    output.NewRestorePointJSON(rel.restorePoint),
	}
	return output.Print(f.IO.Out, format, v, func() [][2]string { return followedFields(ts, rel) })
}

// relatedIDs returns the GUIDs of a task session's job session, backup
// server and restore point, from its links ("" when it has none). The job
// session falls back on JobSessionUid when the link is missing.
func relatedIDs(ts *vem.BackupTaskSession) (jobSession, backupServer, restorePoint string) {
	if l, ok := ts.BackupJobSessionLink(); ok {
		jobSession = l.ID()
	}
	if jobSession == "" {
		jobSession = ts.JobSessionUID.ID()
	}
	if l, ok := ts.BackupServerLink(); ok {
		backupServer = l.ID()
	}
	if l, ok := ts.VMRestorePointLink(); ok {
		restorePoint = l.ID()
	}
	return jobSession, backupServer, restorePoint
}

// fetchRelated reads a task session's job session, backup server and
// restore point. A missing link leaves the field nil; a link whose target
// is gone (404) is an error.
func fetchRelated(ctx context.Context, c *vem.Client, ts *vem.BackupTaskSession) (related, error) {
	var rel related
	var err error
	jsID, serverID, rpID := relatedIDs(ts)
	if jsID != "" {
		if rel.jobSession, err = c.GetBackupJobSession(ctx, jsID); err != nil {
			return rel, fmt.Errorf("job session: %w", err)
		}
	}
	if serverID != "" {
		if rel.backupServer, err = c.GetBackupServer(ctx, serverID); err != nil {
			return rel, fmt.Errorf("backup server: %w", err)
		}
	}
	if rpID != "" {
		if rel.restorePoint, err = c.GetVMRestorePoint(ctx, rpID); err != nil {
			return rel, fmt.Errorf("restore point: %w", err)
		}
	}
	return rel, nil
}

// followXML prints the server's own XML of the task session and of its
// related objects inside one wrapper element.
func (o *GetOptions) followXML(ctx context.Context, c *vem.Client) error {
	raw, err := c.GetRaw(ctx, "/api/backupTaskSessions/"+o.ID+"?format=Entity", vem.FormatXML)
	if err != nil {
		return err
	}
	root, err := output.RootElement(raw.Body)
	if err != nil {
		return err
	}
	// The links, typed: the library reads them from EM's XML or JSON alike.
	ts, err := c.GetBackupTaskSession(ctx, o.ID)
	if err != nil {
		return err
	}
	parts := [][]byte{root}
	jsID, serverID, rpID := relatedIDs(ts)
	for _, r := range []struct{ what, collection, id string }{
		{"job session", "backupSessions", jsID},
		{"backup server", "backupServers", serverID},
		{"restore point", "vmRestorePoints", rpID},
	} {
		if r.id == "" {
			continue
		}
		raw, err := c.GetRaw(ctx, "/api/"+r.collection+"/"+r.id+"?format=Entity", vem.FormatXML)
		if err != nil {
			return fmt.Errorf("%s: %w", r.what, err)
		}
		el, err := output.RootElement(raw.Body)
		if err != nil {
			return fmt.Errorf("%s: %w", r.what, err)
		}
		parts = append(parts, el)
	}
	var b strings.Builder
	b.WriteString(output.XMLDeclaration)
	b.WriteString("<" + output.FollowWrapper + ">\n")
	for _, p := range parts {
		b.Write(p)
		b.WriteString("\n")
	}
	b.WriteString("</" + output.FollowWrapper + ">\n")
	_, err = o.f.IO.Out.Write([]byte(b.String()))
	return err
}

// followedFields is the table view of a task session with --follow.
func followedFields(ts *vem.BackupTaskSession, rel related) [][2]string {
	fields := output.TaskSessionFields(ts)
	if js := rel.jobSession; js != nil {
		fields = append(fields,
			[2]string{"Job session", output.Dash(js.Name)},
			[2]string{"Job session state", fmt.Sprintf("%s, %s, %d%%", output.Dash(string(js.State)), output.Dash(string(js.Result)), js.Progress)})
	} else {
		fields = append(fields, [2]string{"Job session", "-"})
	}
	if s := rel.backupServer; s != nil {
		fields = append(fields, [2]string{"Backup server version", output.Dash(s.Version)})
	}
	if p := rel.restorePoint; p != nil {
		fields = append(fields, [2]string{"Restore point", fmt.Sprintf("%s (%s)", output.Dash(p.Name), output.Dash(string(p.PointType)))})
	} else {
		fields = append(fields, [2]string{"Restore point", "-"})
	}
	return fields
}
