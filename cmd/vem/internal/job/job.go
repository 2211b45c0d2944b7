// Package job is "vem job": list, get, start, retry and stop jobs, named
// by their name, GUID or UID.
package job

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/vemkit/vem"
	"github.com/vemkit/vem/cmd/vem/internal/cmdutil"
	"github.com/vemkit/vem/cmd/vem/internal/iostreams"
	"github.com/vemkit/vem/cmd/vem/internal/output"
)

// NewCmdJob builds "vem job" and its subcommands.
func NewCmdJob(f *cmdutil.Factory) *cobra.Command {
	return cmdutil.NewGroup("job", "List, start, retry and stop jobs", []string{"jobs"},
		NewCmdList(f, nil), NewCmdGet(f, nil),
		NewCmdAction(f, "start", nil), NewCmdAction(f, "retry", nil), NewCmdAction(f, "stop", nil))
}

// JSON is a job, as "job list" and "job get" print it.
type JSON struct {
	UID                string            `json:"uid"`
	ID                 string            `json:"id"`
	Name               *string           `json:"name"`
	JobType            *string           `json:"jobType"`
	Platform           *string           `json:"platform"`
	Description        *string           `json:"description"`
	ScheduleConfigured bool              `json:"scheduleConfigured"`
	ScheduleEnabled    bool              `json:"scheduleEnabled"`
	NextRun            *string           `json:"nextRun"`
	BackupServerID     *string           `json:"backupServerId"`
	BackupServerName   *string           `json:"backupServerName"`
	Links              []output.LinkJSON `json:"links"`
}

// NewJSON is the JSON of a job.
func NewJSON(j *vem.Job) JSON {
	id, name := server(j)
	return JSON{
		UID: j.UID.String(), ID: j.UID.ID(), Name: output.Str(j.Name),
		JobType: output.Str(j.JobType), Platform: output.Str(j.Platform), Description: output.Str(j.Description),
		ScheduleConfigured: j.ScheduleConfigured, ScheduleEnabled: j.ScheduleEnabled,
		NextRun: output.JSONTime(j.NextRun), BackupServerID: output.Str(id), BackupServerName: output.Str(name),
		Links: output.LinksJSON(j.Links),
	}
}

// server returns the ID and name of the job's backup server, from its
// link.
func server(j *vem.Job) (id, name string) {
	if l, ok := j.BackupServerLink(); ok {
		return l.ID(), l.Name
	}
	return "", ""
}

var columns = []string{"NAME", "TYPE", "PLATFORM", "BACKUP SERVER", "SCHEDULE", "NEXT RUN (UTC)", "ID"}

func row(j *vem.Job) []string {
	_, srv := server(j)
	schedule := "-"
	if j.ScheduleConfigured {
		schedule = "disabled"
		if j.ScheduleEnabled {
			schedule = "enabled"
		}
	}
	return []string{output.Dash(j.Name), output.Dash(string(j.JobType)), output.Dash(string(j.Platform)), output.Dash(srv), schedule, output.Time(j.NextRun), j.UID.ID()}
}

func fields(j *vem.Job) [][2]string {
	id, srv := server(j)
	r := row(j)
	return [][2]string{
		{"ID", j.UID.ID()}, {"UID", j.UID.String()}, {"Name", output.Dash(j.Name)},
		{"Type", output.Dash(string(j.JobType))}, {"Platform", output.Dash(string(j.Platform))},
		{"Description", output.Dash(j.Description)}, {"Schedule", r[4]}, {"Next run (UTC)", r[5]},
		{"Backup server", output.Dash(srv)}, {"Backup server ID", output.Dash(id)},
	}
}

// find reads the job arg names: a GUID or Job UID is read directly; any
// other text is a job name, looked up with the query service (on server
// only, when given). No job of that name is ErrNotFound (exit 3); several
// are a usage error that lists them (exit 2).
func find(ctx context.Context, cmd *cobra.Command, c *vem.Client, arg, srv string) (*vem.Job, error) {
	if _, err := vem.ParseID(vem.KindJob, arg); err == nil {
		return c.GetJob(ctx, arg)
	}
	if strings.HasPrefix(strings.ToLower(arg), "urn:veeam:") {
		return nil, cmdutil.Usagef(cmd, "%q is not a job UID (want urn:veeam:Job:<GUID>, a GUID or a job name)", arg)
	}
	if strings.TrimSpace(arg) == "" {
		return nil, cmdutil.Usagef(cmd, "empty job name")
	}
	f := vem.Eq(vem.JobFieldName, arg)
	if srv != "" {
		f = vem.And(f, vem.Eq(vem.JobFieldBackupServerName, srv))
	}
	var found []*vem.Job
	for j, err := range c.QueryJobs(ctx, vem.Query{Filter: f, SortAsc: vem.JobFieldBackupServerName, PageSize: 20, Concurrency: 1}) {
		if err != nil {
			return nil, err
		}
		found = append(found, j)
		if len(found) == 20 {
			break
		}
	}
	switch len(found) {
	case 0:
		where := ""
		if srv != "" {
			where = " on backup server " + fmt.Sprintf("%q", srv)
		}
		return nil, fmt.Errorf("no job named %q%s: %w", arg, where, vem.ErrNotFound)
	case 1:
		return found[0], nil
	}
	// vem's own lines; the names and UIDs from EM are cleaned one by one.
	var b strings.Builder
	fmt.Fprintf(&b, "job name %s is ambiguous: %d jobs have it:\n", iostreams.Clean(fmt.Sprintf("%q", arg)), len(found))
	for _, j := range found {
		_, s := server(j)
		fmt.Fprintf(&b, "  %s  on backup server %s  %s\n", iostreams.Clean(j.Name), iostreams.Clean(output.Dash(s)), iostreams.Clean(string(j.UID)))
	}
	b.WriteString("name the job by its UID, or add --backup-server NAME")
	return nil, &cmdutil.UsageError{Cmd: cmd, Err: fmt.Errorf("%s", b.String()), Lines: true}
}

// nameCompletion completes a job name from EM, with the connection
// settings of the environment and flags: every job's name that starts with
// what was typed, ignoring case. Nothing is completed when EM cannot be
// reached within a few seconds.
func nameCompletion(f *cmdutil.Factory) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		c, err := f.NewClient(cmd, cmdutil.AuthAny)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		defer func() { _ = c.Close() }()
		ctx, cancel := context.WithTimeout(cmd.Context(), 5*time.Second)
		defer cancel()
		var names []string
		for j, err := range c.QueryJobs(ctx, vem.Query{SortAsc: vem.JobFieldName}) {
			if err != nil {
				break
			}
			if strings.HasPrefix(strings.ToLower(j.Name), strings.ToLower(toComplete)) {
				names = append(names, iostreams.Clean(j.Name))
			}
			if len(names) >= 1000 {
				break
			}
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	}
}
