package main

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/vemkit/vem/health"
)

// Output formats of "vem health" only, besides json, jsonl and table.
const (
	outputNagios     = "nagios"     // a Monitoring Plugins check: status line, long output, exit 0..3
	outputPrometheus = "prometheus" // text exposition format for node_exporter's textfile collector
)

// Exit codes of "vem health -o nagios", the Monitoring Plugins return codes.
// Every other format exits as the other commands do.
const (
	pluginOK       = 0
	pluginWarning  = 1
	pluginCritical = 2
	pluginUnknown  = 3
)

// healthOptions are the flags of "vem health", as typed.
type healthOptions struct {
	window, warnAge, critAge string
	job, vm                  string
}

func (a *app) newHealthCmd() *cobra.Command {
	var o healthOptions
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
		Args:              exactArgs(),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.health(cmd, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.window, "window", "7d", "how far back to read task and job sessions")
	f.StringVar(&o.warnAge, "warn-age", "26h", "a last success older than this is a warning")
	f.StringVar(&o.critAge, "crit-age", "48h", "a last success older than this is critical")
	f.StringVar(&o.job, "job", "", "only the jobs whose name matches this regular expression (RE2; (?i) for any case)")
	f.StringVar(&o.vm, "vm", "", "only the VMs whose name matches this regular expression")
	for _, name := range []string{"window", "warn-age", "crit-age", "job", "vm"} {
		_ = cmd.RegisterFlagCompletionFunc(name, cobra.NoFileCompletions)
	}
	return cmd
}

// health runs "vem health".
func (a *app) health(cmd *cobra.Command, o healthOptions) error {
	format, err := a.healthFormat(cmd)
	if err != nil {
		return err
	}
	opts, err := o.options(cmd, a.now())
	if err != nil {
		return err
	}
	// The global -o check knows the formats of the other commands only; the
	// format of this one is settled above.
	if err := cmd.Flags().Set("output", outputJSON); err != nil {
		return err
	}
	c, err := a.newClient(cmd, authAny)
	if err != nil {
		return err
	}
	defer a.closeClient(c)
	ctx, cancel := a.commandContext(cmd)
	defer cancel()

	rep, err := health.Evaluate(ctx, c, opts)
	if err != nil {
		return err
	}
	view := newHealthView(rep, opts)
	switch format {
	case outputJSON:
		return writeHealthJSON(a.stdout, view)
	case outputJSONL:
		return writeHealthJSONL(a.stdout, view)
	case outputNagios:
		if err := writeHealthNagios(a.stdout, view); err != nil {
			return err
		}
		if code := pluginCode(view.status); code != pluginOK {
			return &pluginExitError{code: code}
		}
		return nil
	case outputPrometheus:
		return writeHealthPrometheus(a.stdout, view)
	default:
		return writeHealthTable(a.stdout, view)
	}
}

// healthFormat returns the output format of "vem health": -o, else
// VEM_OUTPUT, else table at a terminal and json elsewhere.
func (a *app) healthFormat(cmd *cobra.Command) (string, error) {
	format := a.g.output
	if !cmd.Flags().Changed("output") {
		format = a.getenv(envOutput)
	}
	format = strings.ToLower(strings.TrimSpace(format))
	switch format {
	case "":
		if a.isTerminal(a.out.raw) {
			return outputTable, nil
		}
		return outputJSON, nil
	case outputTable, outputJSON, outputJSONL, outputNagios, outputPrometheus:
		return format, nil
	}
	return "", usagef(cmd, "-o/--output (%s): invalid value %q for health (want table, json, jsonl, nagios or prometheus)", envOutput, format)
}

// options checks the flags and turns them into health.Options.
func (o healthOptions) options(cmd *cobra.Command, now time.Time) (health.Options, error) {
	opts := health.Options{Now: now}
	for _, d := range []struct {
		flag, value string
		dst         *time.Duration
	}{
		{"window", o.window, &opts.Window},
		{"warn-age", o.warnAge, &opts.WarnAge},
		{"crit-age", o.critAge, &opts.CritAge},
	} {
		v, err := parseHealthDuration(d.value)
		if err != nil {
			return opts, usagef(cmd, "--%s: %v", d.flag, err)
		}
		*d.dst = v
	}
	if opts.CritAge < opts.WarnAge {
		return opts, usagef(cmd, "--crit-age %s is below --warn-age %s", o.critAge, o.warnAge)
	}
	var err error
	if opts.Jobs, err = compileFilter(o.job); err != nil {
		return opts, usagef(cmd, "--job: %v", err)
	}
	if opts.VMs, err = compileFilter(o.vm); err != nil {
		return opts, usagef(cmd, "--vm: %v", err)
	}
	return opts, nil
}

// parseHealthDuration reads a positive duration with an optional day count:
// "7d", "1d12h", "26h", "90m".
func parseHealthDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	d, ok, err := parseDays(s)
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

// pluginExitError ends a command with a Monitoring Plugins exit code after
// it has printed its whole answer on stdout: run prints nothing more.
type pluginExitError struct{ code int }

func (e *pluginExitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// pluginCode maps a status to its Monitoring Plugins exit code.
func pluginCode(s health.Status) int {
	switch s {
	case health.StatusOK:
		return pluginOK
	case health.StatusWarning:
		return pluginWarning
	case health.StatusCritical:
		return pluginCritical
	}
	return pluginUnknown
}

// healthExit settles the exit of "vem health -o nagios" whatever went wrong:
// the verdict's code when the check ran, else an UNKNOWN status line on
// stdout and exit 3, for a bad flag as for an unreachable EM or a refused
// logon, with nothing on stderr. It reports false for every other command
// and format, which exit the usual way.
func (a *app) healthExit(ctx context.Context, cmd *cobra.Command, args []string, err error) (int, bool) {
	var pe *pluginExitError
	if errors.As(err, &pe) {
		return pe.code, true
	}
	if cmd == nil || cmd.Name() != "health" || cmd.Parent() == nil || cmd.Parent().Parent() != nil ||
		!nagiosRequested(args, a.getenv) {
		return 0, false
	}
	msg := err.Error()
	var ie *interruptedError
	if cause := context.Cause(ctx); errors.As(cause, &ie) && ctx.Err() != nil {
		msg = ie.Error()
	} else if !errors.As(err, new(*usageError)) && !isCobraUsageError(err) {
		msg = errorMessage(err)
	}
	msg = strings.ReplaceAll(msg, "vem: ", "")
	first, rest, _ := strings.Cut(msg, "\n")
	out := "VEM UNKNOWN - " + pluginText(first) + "\n"
	if rest != "" {
		out += pluginText(rest) + "\n"
	}
	fmt.Fprint(a.stdout, out)
	_ = a.out.Flush() // the command's output was flushed before this line
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
		format = getenv(envOutput)
	}
	return strings.EqualFold(strings.TrimSpace(format), outputNagios)
}
