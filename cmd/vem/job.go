package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/vemkit/vem"
)

func (a *app) newJobCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "job",
		Aliases: []string{"jobs"},
		Short:   "List, start, retry and stop jobs",
		Args:    cobra.ArbitraryArgs,
		RunE:    groupRunE,
	}
	cmd.AddCommand(a.newJobListCmd(), a.newJobGetCmd(),
		a.newJobActionCmd("start"), a.newJobActionCmd("retry"), a.newJobActionCmd("stop"))
	return cmd
}

// jobJSON is a job, as "job list" and "job get" print it.
type jobJSON struct {
	UID                string     `json:"uid"`
	ID                 string     `json:"id"`
	Name               *string    `json:"name"`
	JobType            *string    `json:"jobType"`
	Platform           *string    `json:"platform"`
	Description        *string    `json:"description"`
	ScheduleConfigured bool       `json:"scheduleConfigured"`
	ScheduleEnabled    bool       `json:"scheduleEnabled"`
	NextRun            *string    `json:"nextRun"`
	BackupServerID     *string    `json:"backupServerId"`
	BackupServerName   *string    `json:"backupServerName"`
	Links              []linkJSON `json:"links"`
}

func newJobJSON(j *vem.Job) jobJSON {
	id, name := jobServer(j)
	return jobJSON{
		UID: j.UID.String(), ID: j.UID.ID(), Name: str(j.Name),
		JobType: str(j.JobType), Platform: str(j.Platform), Description: str(j.Description),
		ScheduleConfigured: j.ScheduleConfigured, ScheduleEnabled: j.ScheduleEnabled,
		NextRun: jsonTime(j.NextRun), BackupServerID: str(id), BackupServerName: str(name),
		Links: linksJSON(j.Links),
	}
}

// jobServer returns the ID and name of the job's backup server, from its
// link.
func jobServer(j *vem.Job) (id, name string) {
	if l, ok := j.BackupServerLink(); ok {
		return l.ID(), l.Name
	}
	return "", ""
}

// emTaskJSON is an EM task, the answer to a job action.
type emTaskJSON struct {
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

func newEMTaskJSON(t *vem.Task, j *vem.Job) emTaskJSON {
	out := emTaskJSON{ID: t.ID, State: str(t.State), Finished: t.State.Collected(), Operation: str(t.Operation),
		JobUID: j.UID.String(), JobName: str(j.Name), Href: str(t.Href)}
	if t.Result != nil {
		out.Success, out.Message = &t.Result.Success, str(t.Result.Message)
	}
	return out
}

var jobColumns = []string{"NAME", "TYPE", "PLATFORM", "BACKUP SERVER", "SCHEDULE", "NEXT RUN (UTC)", "ID"}

func jobRow(j *vem.Job) []string {
	_, server := jobServer(j)
	schedule := "-"
	if j.ScheduleConfigured {
		schedule = "disabled"
		if j.ScheduleEnabled {
			schedule = "enabled"
		}
	}
	return []string{dash(j.Name), dash(string(j.JobType)), dash(string(j.Platform)), dash(server), schedule, tableTime(j.NextRun), j.UID.ID()}
}

func jobFields(j *vem.Job) [][2]string {
	id, server := jobServer(j)
	row := jobRow(j)
	return [][2]string{
		{"ID", j.UID.ID()}, {"UID", j.UID.String()}, {"Name", dash(j.Name)},
		{"Type", dash(string(j.JobType))}, {"Platform", dash(string(j.Platform))},
		{"Description", dash(j.Description)}, {"Schedule", row[4]}, {"Next run (UTC)", row[5]},
		{"Backup server", dash(server)}, {"Backup server ID", dash(id)},
	}
}

func (a *app) newJobListCmd() *cobra.Command {
	var name, server string
	var types []string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List jobs through the query service",
		Long: `List the jobs of every backup server through EM's query service, sorted by
name. --name and --backup-server match exactly (case as EM compares it);
--type takes one job type or a comma-separated list (Backup, Replica,
BackupCopy, ...). -o json, jsonl or table.`,
		Example: `  vem job list -o table
  vem job list --type Backup -o json | jq -r '.[].name'`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.jobList(cmd, name, server, types)
		},
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	f := cmd.Flags()
	f.StringVar(&name, "name", "", "job name (exact)")
	f.StringVar(&server, "backup-server", "", "backup server name (exact)")
	f.StringSliceVar(&types, "type", nil, "job type(s), e.g. Backup,Replica")
	return cmd
}

func (a *app) jobList(cmd *cobra.Command, name, server string, types []string) error {
	var parts []vem.Filter
	if cmd.Flags().Changed("name") {
		parts = append(parts, vem.Eq(vem.JobFieldName, name))
	}
	if cmd.Flags().Changed("backup-server") {
		parts = append(parts, vem.Eq(vem.JobFieldBackupServerName, server))
	}
	var tf []vem.Filter
	for _, t := range types {
		if t = strings.TrimSpace(t); t == "" {
			return usagef(cmd, "--type: empty job type")
		}
		tf = append(tf, vem.Eq(vem.JobFieldJobType, t))
	}
	if len(tf) > 0 {
		parts = append(parts, vem.Or(tf...))
	}
	q := vem.Query{Filter: vem.And(parts...), SortAsc: vem.JobFieldName}
	if err := q.Filter.Err(); err != nil {
		return usagef(cmd, "%v", err)
	}
	c, err := a.newClient(cmd, authAny)
	if err != nil {
		return err
	}
	defer a.closeClient(c)
	if a.g.output == outputXML {
		return usagef(cmd, "-o xml is not available for job list (want json, jsonl or table)")
	}
	ctx, cancel := a.commandContext(cmd)
	defer cancel()
	var w recordWriter[*vem.Job]
	conv := func(j *vem.Job) any { return newJobJSON(j) }
	switch a.g.output {
	case outputJSON:
		w = &jsonArrayWriter[*vem.Job]{w: a.stdout, conv: conv}
	case outputJSONL:
		w = &jsonLinesWriter[*vem.Job]{w: a.stdout, conv: conv}
	default: // table
		w = newTableWriter(a.stdout, jobColumns, jobRow, 0)
	}
	for j, err := range c.QueryJobs(ctx, q) {
		if err != nil {
			return err
		}
		if err := w.write(j); err != nil {
			return err
		}
	}
	return w.close()
}

func (a *app) newJobGetCmd() *cobra.Command {
	var server string
	cmd := &cobra.Command{
		Use:   "get NAME-or-ID",
		Short: "Print one job, named by its name, GUID or UID",
		Example: `  vem job get "vCD Job Template" -o table
  vem job get 05376e9a-a862-50ce-9c05-ee54d1866b94 -o json`,
		Args: exactArgs("NAME-or-ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.newClient(cmd, authAny)
			if err != nil {
				return err
			}
			defer a.closeClient(c)
			ctx, cancel := a.commandContext(cmd)
			defer cancel()
			j, err := findJob(ctx, cmd, c, args[0], server)
			if err != nil {
				return err
			}
			switch a.g.output {
			case outputXML:
				return a.printRawXML(ctx, c, "/api/jobs/"+j.UID.ID()+"?format=Entity")
			case outputJSONL:
				return writeJSONLine(a.stdout, newJobJSON(j))
			case outputTable:
				return writeFields(a.stdout, jobFields(j))
			}
			return writeJSON(a.stdout, newJobJSON(j))
		},
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	cmd.Flags().StringVar(&server, "backup-server", "", "the job's backup server, when several servers have a job of that name")
	return cmd
}

// findJob reads the job arg names: a GUID or Job UID is read directly; any
// other text is a job name, looked up with the query service (on server
// only, when given). No job of that name is ErrNotFound (exit 3); several
// are a usage error that lists them (exit 2).
func findJob(ctx context.Context, cmd *cobra.Command, c *vem.Client, arg, server string) (*vem.Job, error) {
	if _, err := vem.ParseID(vem.KindJob, arg); err == nil {
		return c.GetJob(ctx, arg)
	}
	if strings.HasPrefix(strings.ToLower(arg), "urn:veeam:") {
		return nil, usagef(cmd, "%q is not a job UID (want urn:veeam:Job:<GUID>, a GUID or a job name)", arg)
	}
	if strings.TrimSpace(arg) == "" {
		return nil, usagef(cmd, "empty job name")
	}
	f := vem.Eq(vem.JobFieldName, arg)
	if server != "" {
		f = vem.And(f, vem.Eq(vem.JobFieldBackupServerName, server))
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
		if server != "" {
			where = " on backup server " + fmt.Sprintf("%q", server)
		}
		return nil, fmt.Errorf("no job named %q%s: %w", arg, where, vem.ErrNotFound)
	case 1:
		return found[0], nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "job name %q is ambiguous: %d jobs have it:\n", arg, len(found))
	for _, j := range found {
		_, s := jobServer(j)
		fmt.Fprintf(&b, "  %s  on backup server %s  %s\n", j.Name, dash(s), j.UID)
	}
	b.WriteString("name the job by its UID, or add --backup-server NAME")
	return nil, usagef(cmd, "%s", b.String())
}

func (a *app) newJobActionCmd(action string) *cobra.Command {
	var (
		wait   bool
		server string
		wf     waitFlags
	)
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
--warning-is-error, 8 when --timeout passed while it still runs (the job is not
stopped; 'vem job-session wait ID' picks it up again).`
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
  vem job %s "vCD Job Template" --wait --timeout 2h -o table`, action, action),
		Args: exactArgs("NAME-or-ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := wf.check(cmd, a); err != nil {
				return err
			}
			if !wait && (cmd.Flags().Changed("interval") || cmd.Flags().Changed("warning-is-error")) {
				return usagef(cmd, "--interval and --warning-is-error need --wait")
			}
			return a.jobAction(cmd, action, args[0], server, wait, &wf)
		},
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	cmd.Flags().BoolVar(&wait, "wait", false, "wait for the outcome and exit by it")
	cmd.Flags().StringVar(&server, "backup-server", "", "the job's backup server, when several servers have a job of that name")
	wf.add(cmd)
	cmd.Flags().Lookup("timeout").Usage = "with --wait: give up waiting after this long, e.g. 2h (exit 8; the job goes on); without: deadline of the command"
	return cmd
}

func (a *app) jobAction(cmd *cobra.Command, action, arg, server string, wait bool, wf *waitFlags) error {
	c, err := a.newClient(cmd, authAny)
	if err != nil {
		return err
	}
	defer a.closeClient(c)
	if a.g.output == outputXML && (!wait || action == "stop") {
		return usagef(cmd, "-o xml is available only for the job session of --wait (want json, jsonl or table)")
	}
	ctx := cmd.Context()
	if !wait && wf.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, wf.timeout)
		defer cancel()
	}
	job, err := findJob(ctx, cmd, c, arg, server)
	if errors.Is(err, vem.ErrForbidden) {
		return fmt.Errorf("%s job: job actions need EM's Portal Administrator role: %w", action, err)
	}
	if err != nil {
		return err
	}
	what := fmt.Sprintf("job %q", job.Name)

	if wait && action != "stop" {
		js, err := c.RunJob(ctx, job.UID.ID(), vem.RunOptions{
			WaitOptions: wf.options(),
			Retry:       action == "retry",
			OnSession: func(s *vem.BackupJobSession) {
				fmt.Fprintf(a.stderr, "vem: %s: job session %s (%s) is %s\n", what, s.UID.ID(), s.Name, dash(string(s.State)))
			},
		})
		return a.endJobSession(ctx, c, js, err, wf)
	}

	call := map[string]func(context.Context, string) (*vem.Task, error){"start": c.StartJob, "retry": c.RetryJob, "stop": c.StopJob}[action]
	task, err := call(ctx, job.UID.ID())
	if err != nil {
		return err
	}
	if wait { // stop --wait
		done, err := c.WaitTask(ctx, task.ID, wf.options())
		switch {
		case errors.Is(err, vem.ErrWaitTimeout):
			if done != nil {
				task = done
			}
			if perr := a.printTask(task, job); perr != nil {
				return perr
			}
			return stillRunning("the stop of "+what, "", "", wf.timeout)
		case err != nil:
			return err
		}
		task = done
	}
	if err := a.printTask(task, job); err != nil {
		return err
	}
	if task.State.Ended() && task.Result != nil && !task.Result.Success {
		return fmt.Errorf("%s %s: %s", action, what, task.Result.Message)
	}
	return nil
}

func (a *app) printTask(t *vem.Task, j *vem.Job) error {
	v := newEMTaskJSON(t, j)
	switch a.g.output {
	case outputJSONL:
		return writeJSONLine(a.stdout, v)
	case outputTable:
		success, message := "-", "-"
		if v.Success != nil {
			success, message = fmt.Sprint(*v.Success), dash(*v.Message)
		}
		return writeFields(a.stdout, [][2]string{
			{"Task", t.ID}, {"Operation", dash(t.Operation)}, {"State", dash(string(t.State))},
			{"Success", success}, {"Message", message}, {"Job", dash(j.Name)}, {"Job UID", j.UID.String()},
		})
	}
	return writeJSON(a.stdout, v)
}
