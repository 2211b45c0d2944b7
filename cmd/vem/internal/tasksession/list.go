package tasksession

import (
	"context"

	"github.com/spf13/cobra"
	"github.com/vemkit/vem"
	"github.com/vemkit/vem/cmd/vem/internal/cmdutil"
	"github.com/vemkit/vem/cmd/vem/internal/iostreams"
	"github.com/vemkit/vem/cmd/vem/internal/output"
	"github.com/vemkit/vem/internal/em"
)

// ListOptions is what "task-session list" was asked to do.
type ListOptions struct {
	f     *cmdutil.Factory
	cmd   *cobra.Command
	flags listFlags

	Query vem.Query
	Limit int
}

// listFlags are the flags of "task-session list", as typed.
type listFlags struct {
	states, results []string
	since, until    string
	vm, job         string
	filter          string
	sort            string
	limit           int
	pageSize        int
}

// NewCmdList builds "task-session list". runF, when not nil, replaces the
// run function (tests check what the command line parsed into).
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	o := &ListOptions{f: f}
	lf := &o.flags
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List task sessions through the query service, every page",
		Long: `List backup task sessions through EM's query service, reading every page.

Filters combine with AND. --state and --result take one value or a
comma-separated list (matched with OR), case-insensitively:
  --state  InProgress, Pending, Completed
  --result Success, Warning, Failed, None
--since and --until take a duration before now (90m, 24h, 7d, 1d12h) or a
time (RFC 3339, e.g. 2025-10-11T20:00:00Z, or a date 2025-10-11, in UTC):
--since keeps sessions created at or after it, --until those created before it.
--filter adds a raw EM filter expression, e.g. 'TotalSize>1000000000'.
--sort names a field, '-' in front for descending (default -CreationTime).`,
		Example: `  vem task-session list --result failed,warning --since 24h -o table
  vem task-session list --vm AnT_VM2 --limit 1 -o json | jq -r '.[0].endTime'
  vem task-session list --job "Backup Job 1" -o jsonl | jq -c 'select(.totalSize > 1e9)'`,
		Args:              cmdutil.ExactArgs(),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.cmd = cmd
			// Check the command line before building a client, so that a
			// bad flag is a usage error even when the connection settings
			// are missing.
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
	fl.StringSliceVar(&lf.states, "state", nil, "state(s): InProgress, Pending, Completed")
	fl.StringSliceVar(&lf.results, "result", nil, "result(s): Success, Warning, Failed, None")
	fl.StringVar(&lf.since, "since", "", "created at or after: a duration ago (24h, 7d) or a time (RFC 3339)")
	fl.StringVar(&lf.until, "until", "", "created before: a duration ago (24h, 7d) or a time (RFC 3339)")
	fl.StringVar(&lf.vm, "vm", "", "VM display name (exact)")
	fl.StringVar(&lf.job, "job", "", "job name (exact)")
	fl.StringVar(&lf.filter, "filter", "", "raw EM filter expression, ANDed with the other filters")
	fl.StringVar(&lf.sort, "sort", "-CreationTime", "sort field, '-' prefix for descending")
	fl.IntVar(&lf.limit, "limit", 0, "stop after N task sessions (0: all)")
	fl.IntVar(&lf.pageSize, "page-size", 0, "task sessions per query page (0: EM's default, 100)")
	_ = cmd.RegisterFlagCompletionFunc("state", cmdutil.ListCompletion(StateValues))
	_ = cmd.RegisterFlagCompletionFunc("result", cmdutil.ListCompletion(ResultValues))
	_ = cmd.RegisterFlagCompletionFunc("sort", cmdutil.ValueCompletion(sortCompletions()))
	cmdutil.NoFileCompletions(cmd, "since", "until", "vm", "job", "filter", "limit", "page-size")
	cmdutil.SetFormats(cmd, output.JSON, formats...)
	return cmd
}

// Complete turns the flags into the query.
func (o *ListOptions) Complete() error {
	q, err := buildQuery(o.cmd, &o.flags, o.f.Now())
	if err != nil {
		return err
	}
	o.Query, o.Limit = q, o.flags.limit
	return nil
}

// Run streams the results in every output format, so memory stays bounded
// whatever their number.
func (o *ListOptions) Run() error {
	f := o.f
	c, err := f.NewClient(o.cmd, cmdutil.AuthAny)
	if err != nil {
		return err
	}
	defer f.CloseClient(c)
	ctx, cancel := f.CommandContext(o.cmd)
	defer cancel()

	prog := f.IO.Progress("task session", "task sessions")
	defer prog.Done()
	if f.Global.Output == output.XML {
		return listXML(ctx, c, f, o.Query, o.Limit, prog)
	}
	w := output.NewRecordWriter(f.IO.Out, f.Global.Output,
		func(ts *vem.BackupTaskSession) any { return output.NewTaskSessionJSON(ts) },
		output.TaskSessionColumns, output.TaskSessionRow, o.Query.PageSize)
	n := 0
	for ts, err := range c.QueryBackupTaskSessions(ctx, o.Query) {
		if err != nil {
			return err
		}
		n++
		prog.Set(n)
		if err := w.Write(ts); err != nil {
			return err // stdout is gone: stop reading
		}
		if o.Limit > 0 && n >= o.Limit {
			break // stops the iterator: no further page is requested
		}
	}
	prog.Done()
	return w.Close()
}

// listXML prints EM's own XML of every query page as one document, page by
// page as they arrive (the SDK's raw pager reads them).
func listXML(ctx context.Context, c *vem.Client, f *cmdutil.Factory, q vem.Query, limit int, prog *iostreams.Progress) error {
	qt := em.BackupTaskSessionQuery()
	x := &output.QueryXMLWriter{W: f.IO.Out, Item: qt.Name, Collection: qt.Collection, Limit: limit}
	for page, err := range c.QueryRawPages(ctx, vem.KindBackupTaskSession, vem.RepresentationEntities, q, vem.FormatXML) {
		if err != nil {
			return err
		}
		prog.SetPage(page.Page, page.PagesCount)
		done, err := x.Page(page.Page, page.Body)
		if err != nil {
			return err
		}
		prog.Set(x.Count())
		if done {
			break // stops the pager: no further page is requested
		}
	}
	prog.Done()
	return x.Close()
}
