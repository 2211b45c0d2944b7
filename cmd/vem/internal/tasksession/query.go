package tasksession

import (
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/vemkit/vem"
	"github.com/vemkit/vem/cmd/vem/internal/cmdutil"
	"github.com/vemkit/vem/cmd/vem/internal/output"
	"github.com/vemkit/vem/internal/em"
)

// Known values of the enumerations the query service filters on.
var (
	// StateValues are the states of a task session; ResultValues its results.
	StateValues  = em.TaskStates()
	ResultValues = em.Results()
	// queryFields are the query service's fields for task sessions.
	queryFields = em.BackupTaskSessionQuery().FieldNames()
)

func sortCompletions() []string {
	out := make([]string, 0, 2*len(queryFields))
	for _, f := range queryFields {
		out = append(out, f, "-"+f)
	}
	return out
}

// buildQuery turns the list flags into a query.
func buildQuery(cmd *cobra.Command, lf *listFlags, now time.Time) (vem.Query, error) {
	var q vem.Query
	var parts []vem.Filter
	if len(lf.states) > 0 {
		f, err := cmdutil.EnumFilter(cmd, "state", "State", StateValues, lf.states)
		if err != nil {
			return q, err
		}
		parts = append(parts, f)
	}
	if len(lf.results) > 0 {
		f, err := cmdutil.EnumFilter(cmd, "result", "Result", ResultValues, lf.results)
		if err != nil {
			return q, err
		}
		parts = append(parts, f)
	}
	var since, until time.Time
	if cmd.Flags().Changed("since") {
		t, err := cmdutil.ParseTimeArg(lf.since, now)
		if err != nil {
			return q, cmdutil.Usagef(cmd, "--since: %v", err)
		}
		since = t
		parts = append(parts, vem.Ge("CreationTime", t))
	}
	if cmd.Flags().Changed("until") {
		t, err := cmdutil.ParseTimeArg(lf.until, now)
		if err != nil {
			return q, cmdutil.Usagef(cmd, "--until: %v", err)
		}
		until = t
		parts = append(parts, vem.Lt("CreationTime", t))
	}
	if !since.IsZero() && !until.IsZero() && !since.Before(until) {
		return q, cmdutil.Usagef(cmd, "--since (%s) is not before --until (%s): no task session can match", since.Format(time.RFC3339Nano), until.Format(time.RFC3339Nano))
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
		return q, cmdutil.Usagef(cmd, "%s", cmdutil.Text(err))
	}

	field, desc := strings.CutPrefix(strings.TrimSpace(lf.sort), "-")
	if !desc {
		field = strings.TrimPrefix(field, "+")
	}
	if field != "" {
		c, ok := cmdutil.Canonical(queryFields, field)
		if !ok {
			return q, cmdutil.Usagef(cmd, "--sort: unknown field %q (want one of %s, '-' in front for descending)", field, strings.Join(queryFields, ", "))
		}
		if desc {
			q.SortDesc = vem.Field(c)
		} else {
			q.SortAsc = vem.Field(c)
		}
	}
	switch {
	case lf.limit < 0:
		return q, cmdutil.Usagef(cmd, "--limit must not be negative")
	case lf.pageSize < 0:
		return q, cmdutil.Usagef(cmd, "--page-size must not be negative")
	}
	q.PageSize = lf.pageSize
	if lf.limit > 0 {
		// Read no more than needed: small pages for a small limit, and one
		// page at a time, so that no page beyond the limit is requested.
		if q.PageSize == 0 && lf.limit < output.DefaultBatch {
			q.PageSize = lf.limit
		}
		q.Concurrency = 1
	}
	return q, nil
}
