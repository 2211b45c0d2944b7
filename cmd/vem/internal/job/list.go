package job

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/vemkit/vem"
	"github.com/vemkit/vem/cmd/vem/internal/cmdutil"
	"github.com/vemkit/vem/cmd/vem/internal/output"
	"github.com/vemkit/vem/internal/em"
)

// ListOptions is what "job list" was asked to do.
type ListOptions struct {
	f   *cmdutil.Factory
	cmd *cobra.Command

	Name, BackupServer string
	Types              []string
	Query              vem.Query
}

// NewCmdList builds "job list". runF, when not nil, replaces the run
// function.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	o := &ListOptions{f: f}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List jobs through the query service",
		Long: `List the jobs of every backup server through EM's query service, sorted by
name. --name and --backup-server match exactly (case as EM compares it);
--type takes one job type or a comma-separated list (Backup, Replica,
BackupCopy, ...). -o json, jsonl, table, or xml (EM's own QueryResult).`,
		Example: `  vem job list -o table
  vem job list --type Backup -o json | jq -r '.[].name'`,
		Args:              cmdutil.ExactArgs(),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.cmd = cmd
			if err := o.Complete(); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return o.Run()
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Name, "name", "", "job name (exact)")
	fl.StringVar(&o.BackupServer, "backup-server", "", "backup server name (exact)")
	fl.StringSliceVar(&o.Types, "type", nil, "job type(s), e.g. Backup,Replica")
	cmdutil.NoFileCompletions(cmd, "name", "backup-server", "type")
	cmdutil.SetFormats(cmd, output.JSON, output.JSON, output.JSONL, output.Table, output.XML)
	return cmd
}

// Complete turns the flags into the query.
func (o *ListOptions) Complete() error {
	var parts []vem.Filter
	if o.cmd.Flags().Changed("name") {
		parts = append(parts, vem.Eq(vem.JobFieldName, o.Name))
	}
	if o.cmd.Flags().Changed("backup-server") {
		parts = append(parts, vem.Eq(vem.JobFieldBackupServerName, o.BackupServer))
	}
	var tf []vem.Filter
	for _, t := range o.Types {
		if t = strings.TrimSpace(t); t == "" {
			return cmdutil.Usagef(o.cmd, "--type: empty job type")
		}
		tf = append(tf, vem.Eq(vem.JobFieldJobType, t))
	}
	if len(tf) > 0 {
		parts = append(parts, vem.Or(tf...))
	}
	o.Query = vem.Query{Filter: vem.And(parts...), SortAsc: vem.JobFieldName}
	if err := o.Query.Filter.Err(); err != nil {
		return cmdutil.Usagef(o.cmd, "%s", cmdutil.Text(err))
	}
	return nil
}

// Run streams the jobs.
func (o *ListOptions) Run() error {
	f := o.f
	c, err := f.NewClient(o.cmd, cmdutil.AuthAny)
	if err != nil {
		return err
	}
	defer f.CloseClient(c)
	ctx, cancel := f.CommandContext(o.cmd)
	defer cancel()
	if f.Global.Output == output.XML {
		qt := em.JobQuery()
		x := &output.QueryXMLWriter{W: f.IO.Out, Item: qt.Name, Collection: qt.Collection}
		for page, err := range c.QueryRawPages(ctx, vem.KindJob, vem.RepresentationEntities, o.Query, vem.FormatXML) {
			if err != nil {
				return err
			}
			if _, err := x.Page(page.Page, page.Body); err != nil {
				return err
			}
		}
		return x.Close()
	}
	w := output.NewRecordWriter(f.IO.Out, f.Global.Output, func(j *vem.Job) any { return NewJSON(j) }, columns, row, 0)
	for j, err := range c.QueryJobs(ctx, o.Query) {
		if err != nil {
			return err
		}
		if err := w.Write(j); err != nil {
			return err
		}
	}
	return w.Close()
}
