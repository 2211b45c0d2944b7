package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/vemkit/vem"
)

// watchFlags are the flags of "vem watch".
type watchFlags struct {
	since     string
	results   []string
	stateFile string
	interval  time.Duration
	lag       time.Duration
	limit     int
	pageSize  int
}

// Kinds of "vem watch".
const (
	watchTaskSessions = "task-sessions"
	watchJobSessions  = "job-sessions"
)

func (a *app) newWatchCmd() *cobra.Command {
	var wf watchFlags
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
exists) and goes on from where it stopped, and rewrites F atomically after
each printed line. Nothing is lost across restarts; nothing is repeated after
a clean stop (Ctrl-C, SIGTERM, --limit, --timeout); after a hard kill
(SIGKILL, power loss) at most the last line printed before it comes again.

Exit codes: 0 after --limit or --timeout, 130 on SIGINT, 143 on SIGTERM, and
the usual codes for errors. Transient errors (503, resets, timeouts) are
reported on stderr and the watch goes on.`,
		Example: `  vem watch task-sessions --result failed,warning --state-file ~/.vem-watch.state
  vem watch job-sessions --since 2h -o table
  vem watch task-sessions --since 24h --limit 10 -o json`,
		Args:      exactArgs("KIND"),
		ValidArgs: []string{watchTaskSessions, watchJobSessions},
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.watch(cmd, args[0], &wf)
		},
	}
	f := cmd.Flags()
	f.StringVar(&wf.since, "since", "", "start with sessions that ended at or after: a duration ago (1h, 7d) or a time (default: now)")
	f.StringSliceVar(&wf.results, "result", nil, "result(s): Success, Warning, Failed, None")
	f.StringVar(&wf.stateFile, "state-file", "", "file that keeps the position, to resume without loss or repeats")
	f.DurationVar(&wf.interval, "interval", vem.DefaultWatchInterval, "time between polls")
	f.DurationVar(&wf.lag, "lag", vem.DefaultWatchLag, "how late a session may reach EM's query service")
	f.IntVar(&wf.limit, "limit", 0, "stop after this many sessions; 0: no limit")
	f.IntVar(&wf.pageSize, "page-size", 0, "query page size; 0: EM's (100)")
	_ = cmd.RegisterFlagCompletionFunc("result", fixedCompletion(resultValues...))
	for _, name := range []string{"since", "interval", "lag", "limit", "page-size"} {
		_ = cmd.RegisterFlagCompletionFunc(name, cobra.NoFileCompletions)
	}
	return cmd
}

// watchState is the content of a --state-file.
type watchState struct {
	Kind    string `json:"kind"`
	Cursor  string `json:"cursor"`
	Updated string `json:"updated"`
}

func (a *app) watch(cmd *cobra.Command, kind string, wf *watchFlags) error {
	kind = strings.ToLower(kind)
	if kind != watchTaskSessions && kind != watchJobSessions {
		return usagef(cmd, "unknown kind %q (want %s or %s)", kind, watchTaskSessions, watchJobSessions)
	}
	outputSet := cmd.Flags().Changed("output") || strings.TrimSpace(a.getenv(envOutput)) != ""
	if err := a.resolve(cmd); err != nil {
		return err
	}
	output := a.g.output
	if !outputSet {
		output = outputJSONL
	}
	if output == outputXML {
		return usagef(cmd, "-o xml is not available for watch (want jsonl, json or table)")
	}
	if wf.limit < 0 {
		return usagef(cmd, "--limit must not be negative")
	}
	opts := vem.WatchOptions{Interval: wf.interval, Lag: wf.lag, PageSize: wf.pageSize}
	if wf.interval <= 0 {
		return usagef(cmd, "--interval must be positive")
	}
	if wf.lag <= 0 {
		return usagef(cmd, "--lag must be positive")
	}
	if len(wf.results) > 0 {
		f, err := enumFilter(cmd, "result", "Result", resultValues, wf.results)
		if err != nil {
			return err
		}
		opts.Filter = f
	}
	if wf.since != "" {
		t, err := parseTimeArg(wf.since, a.now())
		if err != nil {
			return usagef(cmd, "--since: %v", err)
		}
		opts.Since = t
	}
	if wf.stateFile != "" {
		st, err := readWatchState(wf.stateFile)
		switch {
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			return usagef(cmd, "--state-file: %v", err)
		case st.Kind != kind:
			return usagef(cmd, "--state-file %s is the state of a watch of %s, not %s", wf.stateFile, st.Kind, kind)
		default:
			opts.Resume = st.Cursor
		}
	}

	c, err := a.newClient(cmd, authAny)
	if err != nil {
		return err
	}
	defer a.closeClient(c)
	ctx, cancel := a.commandContext(cmd)
	defer cancel()
	opts.OnError = func(err error) error {
		fmt.Fprintf(a.stderr, "%s (will retry)\n", errorMessage(err))
		return nil
	}
	w := c.NewWatcher(opts)
	if err := w.Err(); err != nil {
		if errors.Is(err, vem.ErrInvalidCursor) {
			return usagef(cmd, "--state-file %s: %v", wf.stateFile, err)
		}
		return usagef(cmd, "%v", err)
	}
	save := func() error {
		if wf.stateFile == "" {
			return nil
		}
		return writeWatchState(wf.stateFile, watchState{Kind: kind, Cursor: w.Cursor(), Updated: a.now().UTC().Format(time.RFC3339)})
	}
	// The starting point is saved at once, so that a restart before the
	// first session does not move --since.
	if err := save(); err != nil {
		return err
	}
	out := newWatchPrinter(a.stdout, output, kind)
	if err := out.begin(); err != nil {
		return err
	}
	n := 0
	emit := func(v any, row []string) (bool, error) {
		if err := out.item(v, row); err != nil {
			return false, err
		}
		if err := save(); err != nil {
			return false, err
		}
		n++
		return wf.limit > 0 && n >= wf.limit, nil
	}
	var werr error
	if kind == watchTaskSessions {
		for ts, err := range w.BackupTaskSessions(ctx) {
			if err != nil {
				werr = err
				break
			}
			done, err := emit(newTaskSessionJSON(ts), taskSessionRow(ts))
			if err != nil || done {
				werr = err
				break
			}
		}
	} else {
		for js, err := range w.BackupJobSessions(ctx) {
			if err != nil {
				werr = err
				break
			}
			done, err := emit(newJobSessionJSON(js), watchJobSessionRow(js))
			if err != nil || done {
				werr = err
				break
			}
		}
	}
	if err := out.end(); err != nil && werr == nil {
		werr = err
	}
	if werr != nil {
		return werr
	}
	if err := ctx.Err(); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err // interrupted: 130 or 143
	}
	return nil
}

// readWatchState reads a --state-file.
func readWatchState(name string) (watchState, error) {
	var st watchState
	b, err := os.ReadFile(name)
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(b, &st); err != nil || st.Cursor == "" {
		return st, fmt.Errorf("%s is not a vem watch state file", name)
	}
	return st, nil
}

// writeWatchState replaces a --state-file atomically: a temporary file in
// the same directory, written and synced, then renamed over it.
func writeWatchState(name string, st watchState) (err error) {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	dir := filepath.Dir(name)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(name)+".tmp-*")
	if err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(append(b, '\n')); err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), name)
	}
	if err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	if d, derr := os.Open(dir); derr == nil { // make the rename itself durable
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

// watchJobSessionColumns are the columns of the job session table.
var watchJobSessionColumns = []string{"ID", "ENDED (UTC)", "JOB", "STATE", "RESULT", "DURATION", "RETRY"}

func watchJobSessionRow(js *vem.BackupJobSession) []string {
	retry := "no"
	if js.IsRetry {
		retry = "yes"
	}
	return []string{
		js.UID.ID(),
		tableTime(js.EndTime),
		dash(js.JobName),
		dash(string(js.State)),
		dash(string(js.Result)),
		tableDuration(js.CreationTime, js.EndTime),
		retry,
	}
}

// watchPrinter prints sessions one at a time, each written out at once.
type watchPrinter struct {
	w      io.Writer
	output string
	header []string
	widths []int
	count  int
}

func newWatchPrinter(w io.Writer, output, kind string) *watchPrinter {
	p := &watchPrinter{w: w, output: output, header: taskSessionColumns,
		widths: []int{36, 19, 20, 20, 9, 7, 8, 9}}
	if kind == watchJobSessions {
		p.header, p.widths = watchJobSessionColumns, []int{36, 19, 24, 7, 7, 8, 5}
	}
	return p
}

// begin writes what comes before the first session.
func (p *watchPrinter) begin() error {
	switch p.output {
	case outputJSON:
		_, err := io.WriteString(p.w, "[\n")
		return err
	case outputTable:
		return p.line(p.header)
	}
	return nil
}

// item writes one session.
func (p *watchPrinter) item(v any, row []string) error {
	defer func() { p.count++ }()
	switch p.output {
	case outputJSON:
		b, err := json.MarshalIndent(v, "  ", "  ")
		if err != nil {
			return err
		}
		sep := "  "
		if p.count > 0 {
			sep = ",\n  "
		}
		// The separator goes with the next item, so the array closes
		// cleanly whenever the watch stops.
		_, err = fmt.Fprintf(p.w, "%s%s", sep, b)
		return err
	case outputTable:
		return p.line(row)
	}
	return writeJSONLine(p.w, v)
}

// end writes what comes after the last session.
func (p *watchPrinter) end() error {
	if p.output != outputJSON {
		return nil
	}
	s := "]\n"
	if p.count > 0 {
		s = "\n]\n"
	}
	_, err := io.WriteString(p.w, s)
	return err
}

// line writes one table line in fixed columns: a watch cannot align on
// lines it has not seen.
func (p *watchPrinter) line(cells []string) error {
	cells = cleanCells(cells)
	var b strings.Builder
	for i, c := range cells {
		if i == len(cells)-1 {
			b.WriteString(c)
			break
		}
		w := p.widths[i]
		if r := []rune(c); len(r) > w {
			c = string(r[:w-1]) + "…"
		}
		b.WriteString(c)
		b.WriteString(strings.Repeat(" ", max(w-len([]rune(c)), 0)+2))
	}
	b.WriteByte('\n')
	_, err := io.WriteString(p.w, b.String())
	return err
}
