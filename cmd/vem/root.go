package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/vemkit/vem"
)

// Environment variables read by vem. A flag given on the command line wins
// over its variable.
const (
	envURL       = "VEM_URL"
	envUsername  = "VEM_USERNAME"
	envPassword  = "VEM_PASSWORD"
	envSessionID = "VEM_SESSION_ID"
	envInsecure  = "VEM_INSECURE"
	envCAFile    = "VEM_CA_FILE"
	envTimeout   = "VEM_TIMEOUT"
	envFormat    = "VEM_FORMAT"
	envOutput    = "VEM_OUTPUT"
	envVerbose   = "VEM_VERBOSE"
)

// app is one invocation of vem: its streams, its environment and its global
// options. Nothing in vem is global; tests run many apps in one process.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	now            func() time.Time

	g globalFlags
}

// globalFlags are the persistent flags of the root command, as parsed.
// resolve fills what the command line left unset from the environment.
type globalFlags struct {
	url           string
	username      string
	passwordStdin bool
	sessionID     string
	insecure      bool
	caFile        string
	timeout       time.Duration
	format        string
	output        string
	verbose       bool
}

// run executes vem with args (without the program name) and returns the exit
// code. ctx is cancelled, with an *interruptedError cause, on SIGINT or
// SIGTERM.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv, now: time.Now}
	root := a.newRootCmd()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)

	var err error
	cmd := root
	if perr := refusePasswordFlag(args); perr != nil {
		err = perr
		if c, _, ferr := root.Find(args); ferr == nil {
			cmd = c
		}
	} else {
		cmd, err = root.ExecuteContextC(ctx)
	}
	if err == nil {
		return exitOK
	}
	var ie *interruptedError
	if cause := context.Cause(ctx); errors.As(cause, &ie) && ctx.Err() != nil {
		fmt.Fprintf(stderr, "vem: %v\n", ie)
		return ie.code()
	}
	var ue *usageError
	if errors.As(err, &ue) || isCobraUsageError(err) {
		if ue != nil && ue.cmd != nil {
			cmd = ue.cmd
		}
		if cmd == nil {
			cmd = root
		}
		fmt.Fprintf(stderr, "vem: %s\n", strings.TrimPrefix(err.Error(), "vem: "))
		printShortUsage(stderr, cmd)
		return exitUsage
	}
	fmt.Fprintln(stderr, errorMessage(err))
	return exitCode(err)
}

// isCobraUsageError recognises the errors cobra returns for a bad command
// line without giving them a type of their own.
func isCobraUsageError(err error) bool {
	s := err.Error()
	return strings.HasPrefix(s, "unknown command ") || strings.HasPrefix(s, "unknown flag") ||
		strings.HasPrefix(s, "unknown shorthand flag") || strings.Contains(s, "flag needs an argument") ||
		strings.HasPrefix(s, "invalid argument ") || strings.HasPrefix(s, "required flag")
}

// printShortUsage writes the usage line of cmd and where to find more.
func printShortUsage(w io.Writer, cmd *cobra.Command) {
	line := cmd.UseLine()
	if cmd.HasAvailableSubCommands() {
		line = cmd.CommandPath() + " COMMAND [flags]"
	}
	fmt.Fprintf(w, "Usage: %s\nRun '%s --help' for more information.\n", line, cmd.CommandPath())
}

// refusePasswordFlag rejects a password given on the command line, where the
// process list and the shell history would keep it.
func refusePasswordFlag(args []string) error {
	for _, arg := range args {
		if arg == "--" {
			break
		}
		if arg == "--password" || strings.HasPrefix(arg, "--password=") {
			return &usageError{err: errors.New("--password is not accepted: a password on the command line shows in the process list and the shell history; set " + envPassword + " or pipe it to --password-stdin")}
		}
	}
	return nil
}

// newRootCmd builds the command tree.
func (a *app) newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "vem",
		Short: "Read backup task sessions from Veeam Backup Enterprise Manager",
		Long: `vem reads backup task sessions from a Veeam Backup Enterprise Manager (EM)
through its REST API on port 9398 (not the Veeam Backup & Replication REST API
on port 9419).

Results go to stdout (-o json|jsonl|table|xml), messages to stderr. Exit codes:
0 success, 1 other error, 2 usage, 3 not found, 4 authentication or permission,
5 server unreachable or timed out, 130 interrupted (Ctrl-C).

Connection settings come from flags or the environment: VEM_URL, VEM_USERNAME,
VEM_PASSWORD (or --password-stdin; never a flag), VEM_SESSION_ID, VEM_INSECURE,
VEM_CA_FILE, VEM_TIMEOUT, VEM_FORMAT, VEM_OUTPUT, VEM_VERBOSE.`,
		Version:       vem.Version,
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          cobra.ArbitraryArgs,
		RunE:          groupRunE,
	}
	root.SetVersionTemplate("vem {{.Version}}\n")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return &usageError{cmd: cmd, err: err}
	})

	pf := root.PersistentFlags()
	pf.StringVar(&a.g.url, "url", "", "Enterprise Manager address, e.g. https://em.example.com:9398 ("+envURL+")")
	pf.StringVar(&a.g.username, "username", "", `user name, e.g. DOMAIN\user (`+envUsername+")")
	pf.BoolVar(&a.g.passwordStdin, "password-stdin", false, "read the password from stdin (otherwise "+envPassword+")")
	pf.StringVar(&a.g.sessionID, "session-id", "", "reuse a session token from 'vem logon' ("+envSessionID+")")
	pf.BoolVar(&a.g.insecure, "insecure", false, "skip TLS certificate verification, allow http:// ("+envInsecure+")")
	pf.StringVar(&a.g.caFile, "ca-file", "", "PEM file of CA certificates to trust ("+envCAFile+")")
	pf.DurationVar(&a.g.timeout, "timeout", 0, "deadline for the whole command, e.g. 30s; 0: none ("+envTimeout+")")
	pf.StringVar(&a.g.format, "format", "", "wire format asked of EM: xml or json (default xml) ("+envFormat+")")
	pf.StringVarP(&a.g.output, "output", "o", "", "output: json, jsonl, table or xml (default json) ("+envOutput+")")
	pf.BoolVar(&a.g.verbose, "verbose", false, "log HTTP requests to stderr, without secrets ("+envVerbose+")")

	_ = root.RegisterFlagCompletionFunc("format", fixedCompletion("xml", "json"))
	_ = root.RegisterFlagCompletionFunc("output", fixedCompletion(outputJSON, outputJSONL, outputTable, outputXML))
	_ = root.RegisterFlagCompletionFunc("ca-file", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"pem", "crt", "cer"}, cobra.ShellCompDirectiveFilterFileExt
	})

	root.AddCommand(
		a.newTaskSessionCmd(),
		a.newLogonCmd(),
		a.newLogoutCmd(),
		a.newFakeServerCmd(),
		a.newVersionCmd(),
		a.newDoctorCmd(),
		a.newJobCmd(),
		a.newJobSessionCmd(),
	)
	return root
}

// groupRunE is the RunE of commands that only hold subcommands: cobra would
// print help and succeed for "vem bogus"; vem reports a usage error.
func groupRunE(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return usagef(cmd, "missing command")
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2 // cobra's default, set only on its own error path
	}
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += "; did you mean " + strings.Join(s, " or ") + "?"
	}
	return usagef(cmd, "%s", msg)
}

// fixedCompletion completes a flag value from a fixed list.
func fixedCompletion(values ...string) cobra.CompletionFunc {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	}
}

// exactArgs is cobra.ExactArgs with a usage error that names the arguments.
func exactArgs(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		switch {
		case len(args) < len(names):
			return usagef(cmd, "missing argument %s", names[len(args)])
		case len(args) > len(names):
			return usagef(cmd, "unexpected argument %q", args[len(names)])
		}
		return nil
	}
}

// resolve completes the global flags from the environment and checks them.
// It runs in each command that needs them, not in a PersistentPreRun, so
// that help and completion work whatever the environment holds.
func (a *app) resolve(cmd *cobra.Command) error {
	flags := cmd.Flags()
	fromEnv := func(name, env string, dst *string) {
		if !flags.Changed(name) {
			*dst = strings.TrimSpace(a.getenv(env))
		}
	}
	fromEnv("url", envURL, &a.g.url)
	fromEnv("username", envUsername, &a.g.username)
	fromEnv("session-id", envSessionID, &a.g.sessionID)
	fromEnv("ca-file", envCAFile, &a.g.caFile)
	fromEnv("format", envFormat, &a.g.format)
	fromEnv("output", envOutput, &a.g.output)
	for _, b := range []struct {
		flag, env string
		dst       *bool
	}{{"insecure", envInsecure, &a.g.insecure}, {"verbose", envVerbose, &a.g.verbose}} {
		if flags.Changed(b.flag) {
			continue
		}
		v, err := parseBoolEnv(a.getenv(b.env))
		if err != nil {
			return usagef(cmd, "%s: %v", b.env, err)
		}
		*b.dst = v
	}
	if !flags.Changed("timeout") {
		if s := strings.TrimSpace(a.getenv(envTimeout)); s != "" {
			d, err := time.ParseDuration(s)
			if err != nil {
				return usagef(cmd, "%s: invalid duration %q (want e.g. 30s or 5m)", envTimeout, s)
			}
			a.g.timeout = d
		}
	}
	if a.g.timeout < 0 {
		return usagef(cmd, "--timeout must not be negative")
	}
	if a.g.format == "" {
		a.g.format = string(vem.FormatXML)
	}
	if _, err := vem.ParseFormat(a.g.format); err != nil {
		return usagef(cmd, "--format (%s): invalid value %q (want xml or json)", envFormat, a.g.format)
	}
	if a.g.output == "" {
		a.g.output = outputJSON
	}
	a.g.output = strings.ToLower(a.g.output)
	switch a.g.output {
	case outputJSON, outputJSONL, outputTable, outputXML:
	default:
		return usagef(cmd, "-o/--output (%s): invalid value %q (want json, jsonl, table or xml)", envOutput, a.g.output)
	}
	return nil
}

// parseBoolEnv reads a boolean environment variable: 1, true, yes, on or
// 0, false, no, off, or empty for false.
func parseBoolEnv(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "0", "false", "no", "off":
		return false, nil
	case "1", "true", "yes", "on":
		return true, nil
	}
	if b, err := strconv.ParseBool(s); err == nil {
		return b, nil
	}
	return false, fmt.Errorf("invalid value %q (want 1, true, yes or 0, false, no)", s)
}

// commandContext returns the command's context bounded by --timeout.
func (a *app) commandContext(cmd *cobra.Command) (context.Context, context.CancelFunc) {
	ctx := cmd.Context()
	if a.g.timeout > 0 {
		return context.WithTimeout(ctx, a.g.timeout)
	}
	return context.WithCancel(ctx)
}

// isTerminal reports whether w is a terminal (a character device), where
// progress may be shown.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
