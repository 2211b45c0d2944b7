// Package health is "vem health": is every VM backed up? A retry-aware
// verdict per (job, VM), as a table, JSON, a Nagios check or Prometheus
// metrics.
package health

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/vemkit/vem/cmd/vem/internal/cmdutil"
	"github.com/vemkit/vem/cmd/vem/internal/output"
	vemhealth "github.com/vemkit/vem/health"
	"github.com/vemkit/vem/internal/healthmetrics"
)

// Exit codes of "vem health -o nagios", the Monitoring Plugins return codes.
// Every other format exits as the other commands do.
const (
	pluginOK       = 0
	pluginWarning  = 1
	pluginCritical = 2
	pluginUnknown  = 3
)

// Flags are the verdict flags of "vem health" (and "vem exporter"), as
// typed.
type Flags struct {
	// Window, WarnAge and CritAge are durations with days: 7d, 26h.
	Window, WarnAge, CritAge string
	// Job and VM are regular expressions; "" matches all.
	Job, VM string
}

// AddFlags registers the verdict flags; window describes --window.
func (o *Flags) AddFlags(cmd *cobra.Command, window string) {
	fl := cmd.Flags()
	fl.StringVar(&o.Window, "window", "7d", window)
	fl.StringVar(&o.WarnAge, "warn-age", "26h", "a last success older than this is a warning")
	fl.StringVar(&o.CritAge, "crit-age", "48h", "a last success older than this is critical")
	fl.StringVar(&o.Job, "job", "", "only the jobs whose name matches this regular expression (RE2; (?i) for any case)")
	fl.StringVar(&o.VM, "vm", "", "only the VMs whose name matches this regular expression")
	cmdutil.NoFileCompletions(cmd, "window", "warn-age", "crit-age", "job", "vm")
}

// Options is what "vem health" was asked to do.
type Options struct {
	f   *cmdutil.Factory
	cmd *cobra.Command

	Flags  Flags
	Format string            // table, json, jsonl, nagios or prometheus
	Health vemhealth.Options // as Complete built them
}

// NewCmdHealth builds "vem health". runF, when not nil, replaces the run
// function.
func NewCmdHealth(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	o := &Options{f: f}
	cmd := &cobra.Command{
		Use:   "health",
		Short: "Tell whether every VM is backed up: retry-aware backup health and age per (job, VM)",
		Long: `Judge every (job, VM) from the task and job sessions of the last --window, and
print the verdicts: ok, warning or critical (unknown when nothing is in scope).

A VM is critical when no task of it succeeded in the window, when its newest
completed task failed (warning while a newer run of its job, e.g. an automatic
retry, is under way), or when its last success is older than --crit-age; warning
when its last success is older than --warn-age or its newest task ended with a
warning. A failure that an automatic retry recovered from does not count.

Outputs (-o):
  table       one line per (job, VM) that is not ok, then a summary (default at a terminal)
  json        an array of every (job, VM) (default elsewhere)
  jsonl       one JSON object per (job, VM) a line
  nagios      a Monitoring Plugins check for Nagios, Icinga, Checkmk, Centreon:
              exit 0 ok, 1 warning, 2 critical, 3 unknown (also on any error)
  prometheus  the text exposition format, for node_exporter's textfile collector

Durations take d for days: 7d, 1d12h, 36h, 90m.`,
		Example: `  vem health
  vem health --job '^Prod' --warn-age 30h --crit-age 3d -o json | jq '.[] | select(.status != "ok")'
  vem health -o nagios --vm '^(web|db)-'
  vem health -o prometheus > /var/lib/node_exporter/textfile/vem.prom.$$ &&
    mv /var/lib/node_exporter/textfile/vem.prom.$$ /var/lib/node_exporter/textfile/vem.prom`,
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
	o.Flags.AddFlags(cmd, "how far back to read task and job sessions")
	cmdutil.SetFormats(cmd, "", output.Table, output.JSON, output.JSONL, output.Nagios, output.Prometheus)
	f.OnError(o.nagiosExit)
	return cmd
}

// Complete settles the format (-o, else VEM_OUTPUT, else table at a
// terminal and json elsewhere) and checks the flags.
func (o *Options) Complete() error {
	format, err := o.f.OutputFormat(o.cmd)
	if err != nil {
		return err
	}
	if format == "" {
		format = output.JSON
		if o.f.IO.StdoutIsTerminal() {
			format = output.Table
		}
	}
	o.Format = format
	o.Health, err = o.Flags.Options(o.cmd, o.f.Now())
	return err
}

// Run evaluates and prints the verdicts.
func (o *Options) Run() error {
	f := o.f
	c, err := f.NewClient(o.cmd, cmdutil.AuthAny)
	if err != nil {
		return err
	}
	defer f.CloseClient(c)
	ctx, cancel := f.CommandContext(o.cmd)
	defer cancel()

	rep, err := vemhealth.Evaluate(ctx, c, o.Health)
	if err != nil {
		return err
	}
	view := newHealthView(rep, o.Health)
	w := f.IO.Out
	switch o.Format {
	case output.JSON:
		return writeHealthJSON(w, view)
	case output.JSONL:
		return writeHealthJSONL(w, view)
	case output.Nagios:
		if err := writeHealthNagios(w, view); err != nil {
			return err
		}
		if code := pluginCode(view.status); code != pluginOK {
			return &cmdutil.ExitError{Code: code, Msg: fmt.Sprintf("exit status %d", code), Silent: true}
		}
		return nil
	case output.Prometheus:
		return healthmetrics.WriteText(w, rep)
	default:
		return writeHealthTable(w, view)
	}
}

// Options checks the flags and turns them into vemhealth.Options.
func (o Flags) Options(cmd *cobra.Command, now time.Time) (vemhealth.Options, error) {
	opts := vemhealth.Options{Now: now}
	for _, d := range []struct {
		flag, value string
		dst         *time.Duration
	}{
		{"window", o.Window, &opts.Window},
		{"warn-age", o.WarnAge, &opts.WarnAge},
		{"crit-age", o.CritAge, &opts.CritAge},
	} {
		v, err := parseHealthDuration(d.value)
		if err != nil {
			return opts, cmdutil.Usagef(cmd, "--%s: %v", d.flag, err)
		}
		*d.dst = v
	}
	if opts.CritAge < opts.WarnAge {
		return opts, cmdutil.Usagef(cmd, "--crit-age %s is below --warn-age %s", o.CritAge, o.WarnAge)
	}
	var err error
	if opts.Jobs, err = compileFilter(o.Job); err != nil {
		return opts, cmdutil.Usagef(cmd, "--job: %v", err)
	}
	if opts.VMs, err = compileFilter(o.VM); err != nil {
		return opts, cmdutil.Usagef(cmd, "--vm: %v", err)
	}
	return opts, nil
}

// parseHealthDuration reads a positive duration with an optional day count:
// "7d", "1d12h", "26h", "90m".
func parseHealthDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	d, ok, err := cmdutil.ParseDays(s)
	switch {
	case err != nil:
		return 0, err
	case !ok:
		return 0, fmt.Errorf("invalid duration %q (want e.g. 7d, 1d12h, 26h or 90m)", s)
	case d <= 0:
		return 0, fmt.Errorf("duration %q must be above zero", s)
	}
	return d, nil
}

// compileFilter compiles a --job or --vm expression; "" is no filter.
func compileFilter(expr string) (*regexp.Regexp, error) {
	if expr == "" {
		return nil, nil
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		var se *syntax.Error
		if errors.As(err, &se) {
			return nil, fmt.Errorf("invalid regular expression %q: %s", expr, se.Code)
		}
		return nil, fmt.Errorf("invalid regular expression %q", expr)
	}
	return re, nil
}

// pluginCode maps a status to its Monitoring Plugins exit code.
func pluginCode(s vemhealth.Status) int {
	switch s {
	case vemhealth.StatusOK:
		return pluginOK
	case vemhealth.StatusWarning:
		return pluginWarning
	case vemhealth.StatusCritical:
		return pluginCritical
	}
	return pluginUnknown
}

// nagiosExit settles the exit of "vem health -o nagios" whatever went
// wrong: an UNKNOWN status line on stdout and exit 3, for a bad flag as for
// an unreachable EM or a refused logon, with nothing on stderr. It reports
// false for every other command and format, which exit the usual way.
func (o *Options) nagiosExit(ctx context.Context, cmd *cobra.Command, args []string, err error) (int, bool) {
	var ee *cmdutil.ExitError
	if errors.As(err, &ee) && ee.Silent {
		return 0, false
	}
	if cmd == nil || cmd.Name() != "health" || cmd.Parent() == nil || cmd.Parent().Parent() != nil ||
		!nagiosRequested(args, o.f.Getenv) {
		return 0, false
	}
	msg := err.Error()
	var ie *cmdutil.InterruptedError
	if cause := context.Cause(ctx); errors.As(cause, &ie) && ctx.Err() != nil {
		msg = ie.Error()
	} else if !errors.As(err, new(*cmdutil.UsageError)) && !cmdutil.IsCobraUsageError(err) {
		msg = cmdutil.ErrorMessage(err)
	}
	msg = strings.ReplaceAll(msg, "vem: ", "")
	first, rest, _ := strings.Cut(msg, "\n")
	out := "VEM UNKNOWN - " + pluginText(first) + "\n"
	if rest != "" {
		out += pluginText(rest) + "\n"
	}
	_, _ = o.f.IO.Out.Write([]byte(out))
	_ = o.f.IO.Out.Flush() // the command's output was flushed before this line
	return pluginUnknown, true
}

// nagiosRequested reports whether the command line (or VEM_OUTPUT) asks for
// -o nagios. It reads the arguments itself: a bad flag stops cobra's parsing
// before it reaches -o.
func nagiosRequested(args []string, getenv func(string) string) bool {
	format, set := "", false
	for i := 0; i < len(args); i++ {
		arg := args[i]
		switch {
		case arg == "--":
			i = len(args)
		case arg == "-o" || arg == "--output":
			if i+1 < len(args) {
				format, set = args[i+1], true
				i++
			}
		case strings.HasPrefix(arg, "--output="):
			format, set = strings.TrimPrefix(arg, "--output="), true
		case strings.HasPrefix(arg, "-o"):
			format, set = strings.TrimPrefix(strings.TrimPrefix(arg, "-o"), "="), true
		}
	}
	if !set {
		format = getenv(cmdutil.EnvOutput)
	}
	return strings.EqualFold(strings.TrimSpace(format), output.Nagios)
}
