package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/vemkit/vem"
	"github.com/vemkit/vem/internal/em"
)

func (a *app) newTaskSessionCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "task-session",
		Aliases: []string{"task-sessions", "ts"},
		Short:   "Read backup task sessions (one VM's part of a backup job run)",
		Args:    cobra.ArbitraryArgs,
		RunE:    groupRunE,
	}
	cmd.AddCommand(a.newTaskSessionGetCmd(a.seams.get), a.newTaskSessionListCmd(a.seams.list), a.newTaskSessionWaitCmd())
	return cmd
}

// getOptions is what "task-session get" was asked to do, as parsed.
type getOptions struct {
	ID     string // the GUID, from a GUID or UID argument
	Follow bool
}

// newTaskSessionGetCmd builds "task-session get". runF, when not nil,
// replaces the run function (a test seam, as gh's runF).
func (a *app) newTaskSessionGetCmd(runF func(*cobra.Command, *getOptions) error) *cobra.Command {
	var follow bool
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
		Args: exactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			guid, err := vem.ParseID(vem.KindBackupTaskSession, args[0])
			if err != nil {
				return usagef(cmd, "%v", err)
			}
			o := &getOptions{ID: guid, Follow: follow}
			if runF != nil {
				return runF(cmd, o)
			}
			return a.taskSessionGet(cmd, o)
		},
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	cmd.Flags().BoolVar(&follow, "follow", false, "add the job session, backup server and restore point")
	return cmd
}

// related is what --follow adds to a task session.
type related struct {
	jobSession   *vem.BackupJobSession
	backupServer *vem.BackupServer
	restorePoint *vem.VMRestorePoint
}

// taskSessionGet runs "task-session get".
func (a *app) taskSessionGet(cmd *cobra.Command, o *getOptions) error {
	guid, follow := o.ID, o.Follow
	c, err := a.newClient(cmd, authAny)
	if err != nil {
		return err
	}
	defer a.closeClient(c)
	ctx, cancel := a.commandContext(cmd)
	defer cancel()

	if a.g.output == outputXML {
		return a.taskSessionGetXML(ctx, c, guid, follow)
	}
	ts, err := c.GetBackupTaskSession(ctx, guid)
	if err != nil {
		return err
	}
	var rel related
	if follow {
		if rel, err = fetchRelated(ctx, c, ts); err != nil {
			return err
		}
	}
	switch a.g.output {
	case outputJSON, outputJSONL:
		var v any = newTaskSessionJSON(ts)
		if follow {
			v = followedTaskSessionJSON{
				taskSessionJSON: newTaskSessionJSON(ts),
				JobSession:      newJobSessionJSON(rel.jobSession),
				BackupServer:    newBackupServerJSON(rel.backupServer),
				RestorePoint:    newRestorePointJSON(rel.restorePoint),
			}
		}
		if a.g.output == outputJSONL {
			return writeJSONLine(a.stdout, v)
		}
		return writeJSON(a.stdout, v)
	default: // table
		return writeFields(a.stdout, taskSessionFields(ts, follow, rel))
	}
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

// taskSessionGetXML prints the server's own XML of the task session and,
// with follow, of its related objects inside one wrapper element.
func (a *app) taskSessionGetXML(ctx context.Context, c *vem.Client, guid string, follow bool) error {
	raw, err := c.GetRaw(ctx, "/api/backupTaskSessions/"+guid+"?format=Entity", vem.FormatXML)
	if err != nil {
		return err
	}
	root, err := rootElement(raw.Body)
	if err != nil {
		return err
	}
	if !follow {
		_, err := fmt.Fprintf(a.stdout, "%s%s\n", xmlDeclaration, root)
		return err
	}
	// The links, typed: the library reads them from EM's XML or JSON alike.
	ts, err := c.GetBackupTaskSession(ctx, guid)
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
		el, err := rootElement(raw.Body)
		if err != nil {
			return fmt.Errorf("%s: %w", r.what, err)
		}
		parts = append(parts, el)
	}
	var b strings.Builder
	b.WriteString(xmlDeclaration)
	b.WriteString("<" + followWrapper + ">\n")
	for _, p := range parts {
		b.Write(p)
		b.WriteString("\n")
	}
	b.WriteString("</" + followWrapper + ">\n")
	_, err = io.WriteString(a.stdout, b.String())
	return err
}

// taskSessionFields is the table view of one task session.
func taskSessionFields(ts *vem.BackupTaskSession, follow bool, rel related) [][2]string {
	end := "-"
	if !ts.EndTime.IsZero() {
		end = tableTime(ts.EndTime)
	}
	fields := [][2]string{
		{"ID", ts.UID.ID()},
		{"UID", ts.UID.String()},
		{"Name", dash(ts.Name)},
		{"VM", dash(ts.VMDisplayName)},
		{"VM UID", dash(ts.VMUID)},
		{"Job", dash(jobNameOf(ts))},
		{"Backup server", dash(backupServerNameOf(ts))},
		{"State", dash(string(ts.State))},
		{"Result", dash(string(ts.Result))},
		{"Reason", dash(ts.Reason)},
		{"Created (UTC)", tableTime(ts.CreationTime)},
		{"Ended (UTC)", end},
		{"Duration", tableDuration(ts.CreationTime, ts.EndTime)},
		{"Total size", fmt.Sprintf("%s (%d bytes)", humanBytes(ts.TotalSize), ts.TotalSize)},
		{"Job session UID", dash(string(ts.JobSessionUID))},
	}
	if !follow {
		return fields
	}
	if js := rel.jobSession; js != nil {
		fields = append(fields,
			[2]string{"Job session", dash(js.Name)},
			[2]string{"Job session state", fmt.Sprintf("%s, %s, %d%%", dash(string(js.State)), dash(string(js.Result)), js.Progress)})
	} else {
		fields = append(fields, [2]string{"Job session", "-"})
	}
	if s := rel.backupServer; s != nil {
		fields = append(fields, [2]string{"Backup server version", dash(s.Version)})
	}
	if p := rel.restorePoint; p != nil {
		fields = append(fields, [2]string{"Restore point", fmt.Sprintf("%s (%s)", dash(p.Name), dash(string(p.PointType)))})
	} else {
		fields = append(fields, [2]string{"Restore point", "-"})
	}
	return fields
}

// listFlags are the flags of "task-session list".
type listFlags struct {
	states, results []string
	since, until    string
	vm, job         string
	filter          string
	sort            string
	limit           int
	pageSize        int
}

// listOptions is what "task-session list" was asked to do, as parsed and
// checked.
type listOptions struct {
	Query vem.Query
	Limit int
}

// newTaskSessionListCmd builds "task-session list". runF, when not nil,
// replaces the run function (a test seam, as gh's runF).
func (a *app) newTaskSessionListCmd(runF func(*cobra.Command, *listOptions) error) *cobra.Command {
	var lf listFlags
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
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			// Check the command line before building a client, so that a
			// bad flag is a usage error even when the connection settings
			// are missing.
			q, err := a.buildQuery(cmd, &lf)
			if err != nil {
				return err
			}
			o := &listOptions{Query: q, Limit: lf.limit}
			if runF != nil {
				return runF(cmd, o)
			}
			return a.taskSessionList(cmd, o)
		},
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	f := cmd.Flags()
	f.StringSliceVar(&lf.states, "state", nil, "state(s): InProgress, Pending, Completed")
	f.StringSliceVar(&lf.results, "result", nil, "result(s): Success, Warning, Failed, None")
	f.StringVar(&lf.since, "since", "", "created at or after: a duration ago (24h, 7d) or a time (RFC 3339)")
	f.StringVar(&lf.until, "until", "", "created before: a duration ago (24h, 7d) or a time (RFC 3339)")
	f.StringVar(&lf.vm, "vm", "", "VM display name (exact)")
	f.StringVar(&lf.job, "job", "", "job name (exact)")
	f.StringVar(&lf.filter, "filter", "", "raw EM filter expression, ANDed with the other filters")
	f.StringVar(&lf.sort, "sort", "-CreationTime", "sort field, '-' prefix for descending")
	f.IntVar(&lf.limit, "limit", 0, "stop after N task sessions (0: all)")
	f.IntVar(&lf.pageSize, "page-size", 0, "task sessions per query page (0: EM's default, 100)")
	_ = cmd.RegisterFlagCompletionFunc("state", listCompletion(stateValues))
	_ = cmd.RegisterFlagCompletionFunc("result", listCompletion(resultValues))
	_ = cmd.RegisterFlagCompletionFunc("sort", valueCompletion(sortCompletions()))
	for _, name := range []string{"since", "until", "vm", "job", "filter", "limit", "page-size"} {
		_ = cmd.RegisterFlagCompletionFunc(name, cobra.NoFileCompletions)
	}
	return cmd
}

// taskSessionList runs "task-session list": it streams the results in
// every output format, so memory stays bounded whatever their number.
func (a *app) taskSessionList(cmd *cobra.Command, o *listOptions) error {
	c, err := a.newClient(cmd, authAny)
	if err != nil {
		return err
	}
	defer a.closeClient(c)
	ctx, cancel := a.commandContext(cmd)
	defer cancel()

	prog := newProgress(a.stderr, a.progressEnabled(), "task session", "task sessions")
	defer prog.done()
	if a.g.output == outputXML {
		return a.listXML(ctx, c, o.Query, o.Limit, prog)
	}

	var w recordWriter[*vem.BackupTaskSession]
	conv := func(ts *vem.BackupTaskSession) any { return newTaskSessionJSON(ts) }
	switch a.g.output {
	case outputJSON:
		w = &jsonArrayWriter[*vem.BackupTaskSession]{w: a.stdout, conv: conv}
	case outputJSONL:
		w = &jsonLinesWriter[*vem.BackupTaskSession]{w: a.stdout, conv: conv}
	default: // table
		w = newTableWriter(a.stdout, taskSessionColumns, taskSessionRow, o.Query.PageSize)
	}
	n := 0
	for ts, err := range c.QueryBackupTaskSessions(ctx, o.Query) {
		if err != nil {
			return err
		}
		n++
		prog.set(n)
		if err := w.write(ts); err != nil {
			return err // stdout is gone: stop reading
		}
		if o.Limit > 0 && n >= o.Limit {
			break // stops the iterator: no further page is requested
		}
	}
	prog.done()
	return w.close()
}

// listXML prints the server's own XML of every query page as one
// well-formed document, page by page as they arrive (the SDK's raw pager
// reads them): the first page's <QueryResult> start tag (with EM's
// namespace), then <Entities><BackupTaskSessions> holding every
// <BackupTaskSession> element of every page as EM sent it. PagingInfo is
// left out, as the document spans all pages.
func (a *app) listXML(ctx context.Context, c *vem.Client, q vem.Query, limit int, prog *progress) error {
	rootName := ""
	n := 0
	for page, err := range c.QueryRawPages(ctx, vem.KindBackupTaskSession, vem.RepresentationEntities, q, vem.FormatXML) {
		if err != nil {
			return err
		}
		p, err := parseQueryPageXML(page.Body, vem.KindBackupTaskSession)
		if err != nil {
			return fmt.Errorf("query page %d: %w", page.Page, err)
		}
		if rootName == "" {
			rootName = p.rootName
			var b bytes.Buffer
			b.WriteString(xmlDeclaration)
			b.Write(p.rootStart)
			b.WriteString("\n<Entities>\n<BackupTaskSessions>\n")
			if _, err := a.stdout.Write(b.Bytes()); err != nil {
				return err
			}
		}
		prog.setPage(page.Page, page.PagesCount)
		for _, it := range p.items {
			if limit > 0 && n >= limit {
				break
			}
			n++
			if _, err := a.stdout.Write(it); err != nil {
				return err
			}
			if _, err := io.WriteString(a.stdout, "\n"); err != nil {
				return err
			}
		}
		prog.set(n)
		if limit > 0 && n >= limit {
			break // stops the pager: no further page is requested
		}
	}
	prog.done()
	if rootName == "" {
		// The pager yields no empty page: an empty result is EM's empty
		// QueryResult document.
		rootName = "QueryResult"
		if _, err := io.WriteString(a.stdout, xmlDeclaration+emptyQueryResultStart+"\n<Entities>\n<BackupTaskSessions>\n"); err != nil {
			return err
		}
	}
	_, err := io.WriteString(a.stdout, "</BackupTaskSessions>\n</Entities>\n</"+rootName+">\n")
	return err
}

// Known values of the enumerations the query service filters on.
var (
	stateValues  = em.TaskStates()
	resultValues = em.Results()
	// queryFields are the query service's fields for task sessions.
	queryFields = em.BackupTaskSessionQuery().FieldNames()
)

// valueCompletion completes one value from known, ignoring case: "-end"
// completes to "-EndTime".
func valueCompletion(known []string) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		var out []string
		for _, k := range known {
			if strings.HasPrefix(strings.ToLower(k), strings.ToLower(toComplete)) {
				out = append(out, k)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// listCompletion completes the last item of a comma-separated list of
// known values, ignoring case and leaving out the values already given:
// "failed,wa" completes to "failed,Warning".
func listCompletion(known []string) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		done, last := "", toComplete
		if i := strings.LastIndexByte(toComplete, ','); i >= 0 {
			done, last = toComplete[:i+1], toComplete[i+1:]
		}
		given := strings.Split(strings.ToLower(done), ",")
		var out []string
		for _, k := range known {
			if slices.Contains(given, strings.ToLower(k)) {
				continue
			}
			if strings.HasPrefix(strings.ToLower(k), strings.ToLower(last)) {
				out = append(out, done+k)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	}
}

func sortCompletions() []string {
	out := make([]string, 0, 2*len(queryFields))
	for _, f := range queryFields {
		out = append(out, f, "-"+f)
	}
	return out
}

// canonical returns the known value equal to v ignoring case.
func canonical(known []string, v string) (string, bool) {
	for _, k := range known {
		if strings.EqualFold(k, strings.TrimSpace(v)) {
			return k, true
		}
	}
	return "", false
}

// enumFilter is field==v1 OR field==v2 ... for values checked against known.
func enumFilter(cmd *cobra.Command, flag, field string, known, values []string) (vem.Filter, error) {
	var fs []vem.Filter
	for _, v := range values {
		c, ok := canonical(known, v)
		if !ok {
			return vem.Filter{}, usagef(cmd, "--%s: invalid value %q (want %s)", flag, v, strings.Join(known, ", "))
		}
		fs = append(fs, vem.Eq(vem.Field(field), c))
	}
	return vem.Or(fs...), nil
}

// buildQuery turns the list flags into a query.
func (a *app) buildQuery(cmd *cobra.Command, lf *listFlags) (vem.Query, error) {
	var q vem.Query
	var parts []vem.Filter
	if len(lf.states) > 0 {
		f, err := enumFilter(cmd, "state", "State", stateValues, lf.states)
		if err != nil {
			return q, err
		}
		parts = append(parts, f)
	}
	if len(lf.results) > 0 {
		f, err := enumFilter(cmd, "result", "Result", resultValues, lf.results)
		if err != nil {
			return q, err
		}
		parts = append(parts, f)
	}
	now := a.now()
	var since, until time.Time
	if cmd.Flags().Changed("since") {
		t, err := parseTimeArg(lf.since, now)
		if err != nil {
			return q, usagef(cmd, "--since: %v", err)
		}
		since = t
		parts = append(parts, vem.Ge("CreationTime", t))
	}
	if cmd.Flags().Changed("until") {
		t, err := parseTimeArg(lf.until, now)
		if err != nil {
			return q, usagef(cmd, "--until: %v", err)
		}
		until = t
		parts = append(parts, vem.Lt("CreationTime", t))
	}
	if !since.IsZero() && !until.IsZero() && !since.Before(until) {
		return q, usagef(cmd, "--since (%s) is not before --until (%s): no task session can match", since.Format(time.RFC3339Nano), until.Format(time.RFC3339Nano))
	}
	if cmd.Flags().Changed("vm") {
		parts = append(parts, vem.Eq("VmDisplayName", lf.vm))
	}
	if cmd.Flags().Changed("job") {
		parts = append(parts, vem.Eq("JobName", lf.job))
	}
	if strings.TrimSpace(lf.filter) != "" {
		parts = append(parts, vem.RawFilter(strings.TrimSpace(lf.filter)))
	}
	q.Filter = vem.And(parts...)
	if err := q.Filter.Err(); err != nil {
		return q, usagef(cmd, "%v", err)
	}

	field, desc := strings.CutPrefix(strings.TrimSpace(lf.sort), "-")
	if !desc {
		field = strings.TrimPrefix(field, "+")
	}
	if field != "" {
		c, ok := canonical(queryFields, field)
		if !ok {
			return q, usagef(cmd, "--sort: unknown field %q (want one of %s, '-' in front for descending)", field, strings.Join(queryFields, ", "))
		}
		if desc {
			q.SortDesc = vem.Field(c)
		} else {
			q.SortAsc = vem.Field(c)
		}
	}
	switch {
	case lf.limit < 0:
		return q, usagef(cmd, "--limit must not be negative")
	case lf.pageSize < 0:
		return q, usagef(cmd, "--page-size must not be negative")
	}
	q.PageSize = lf.pageSize
	if lf.limit > 0 {
		// Read no more than needed: small pages for a small limit, and one
		// page at a time, so that no page beyond the limit is requested.
		if q.PageSize == 0 && lf.limit < emDefaultPageSize {
			q.PageSize = lf.limit
		}
		q.Concurrency = 1
	}
	return q, nil
}

// emDefaultPageSize is the page size EM uses when the request names none.
const emDefaultPageSize = 100
