package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/vemkit/vem"
)

// Environment variables read by vem. A flag given on the command line wins
// over its variable.
// The connection settings are the SDK's (vem.ReadEnv reads them); the
// others are the command's own.
const (
	envURL       = vem.EnvURL
	envUsername  = vem.EnvUsername
	envPassword  = vem.EnvPassword
	envSessionID = vem.EnvSessionID
	envInsecure  = vem.EnvInsecure
	envCAFile    = vem.EnvCAFile
	envTimeout   = "VEM_TIMEOUT"
	envFormat    = "VEM_FORMAT"
	envOutput    = "VEM_OUTPUT"
	envVerbose   = "VEM_VERBOSE"
)

// app is one invocation of vem: its streams, its environment and its global
// options. Nothing in vem is global; tests run many apps in one process.
type app struct {
	stdin  io.Reader
	stdout io.Writer // out, or a test's writer
	stderr io.Writer
	out    *stdoutWriter
	getenv func(string) string
	// envPassword is VEM_PASSWORD as resolve read it.
	envPassword string
	now         func() time.Time

	// isTerminal and sameFile say whether a stream is a terminal and
	// whether two streams are the same file; tests replace them.
	isTerminal func(any) bool
	sameFile   func(a, b any) bool
	// readPassword reads a password from the terminal stdin without echo.
	readPassword func() ([]byte, error)

	// seams replace commands' run functions in tests.
	seams seams

	// cmdCtx is the context of the running command, bounded by --timeout.
	cmdCtx context.Context

	g globalFlags
}

// globalFlags are the persistent flags of the root command, as parsed.
// resolve fills what the command line left unset from the environment.
type globalFlags struct {
	url            string
	username       string
	passwordStdin  bool
	sessionIDStdin bool
	sessionID      string // from --session-id-stdin or VEM_SESSION_ID
	insecure       bool
	caFile         string
	timeout        time.Duration
	format         string
	output         string
	verbose        bool
}

// newApp returns an app on the given streams and environment.
func newApp(stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) *app {
	a := &app{stdin: stdin, stderr: stderr, getenv: getenv, now: time.Now,
		isTerminal: isTerminalFile, sameFile: isSameFile}
	a.out = newStdoutWriter(stdout)
	a.stdout = a.out
	a.readPassword = func() ([]byte, error) { return readPasswordNoEcho(stdin) }
	return a
}

// run executes vem with args (without the program name) and returns the exit
// code. ctx is cancelled, with an *interruptedError cause, on SIGINT or
// SIGTERM.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	return newApp(stdin, stdout, stderr, getenv).run(ctx, args)
}

// run executes one command line.
func (a *app) run(ctx context.Context, args []string) int {
	root := a.newRootCmd()
	root.SetArgs(args)
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)

	var err error
	cmd := root
	if perr := refuseSecretFlags(args); perr != nil {
		err = perr
		if c, _, ferr := root.Find(args); ferr == nil {
			cmd = c
		}
	} else {
		cmd, err = root.ExecuteContextC(ctx)
	}
	if ferr := a.out.Flush(); err == nil {
		err = ferr
	}
	if oe := a.out.Err(); oe != nil {
		// Whatever the command made of it, a failed write to stdout is the
		// outcome: a closed pipe exits quietly.
		err = oe
		if oe.(*outputError).closedPipe() {
			return exitClosedPipe
		}
	}
	if err == nil {
		return exitOK
	}
	if code, ok := a.healthExit(ctx, cmd, args, err); ok {
		return code
	}
	var ie *interruptedError
	if cause := context.Cause(ctx); errors.As(cause, &ie) && ctx.Err() != nil {
		fmt.Fprintf(a.stderr, "vem: %v\n", ie)
		return ie.code()
	}
	if a.timeoutReached() && errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("%w: %v", &timeoutError{d: a.g.timeout}, err)
	}
	var ue *usageError
	if errors.As(err, &ue) || isCobraUsageError(err) {
		if ue != nil && ue.cmd != nil {
			cmd = ue.cmd
		}
		if cmd == nil {
			cmd = root
		}
		fmt.Fprintf(a.stderr, "vem: %s\n", sanitize(strings.TrimPrefix(err.Error(), "vem: "), false))
		printShortUsage(a.stderr, cmd)
		return exitUsage
	}
	fmt.Fprintln(a.stderr, errorMessage(err))
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

// refuseSecretFlags rejects a password or a session token given on the
// command line, where the process list and the shell history would keep
// it.
func refuseSecretFlags(args []string) error {
	for _, arg := range args {
		if arg == "--" {
			break
		}
		switch {
		case arg == "--password" || strings.HasPrefix(arg, "--password="):
			return &usageError{err: errors.New("--password is not accepted: a password on the command line shows in the process list and the shell history; set " + envPassword + " or pipe it to --password-stdin")}
		case arg == "--session-id" || strings.HasPrefix(arg, "--session-id="):
			return &usageError{err: errors.New("--session-id is not accepted: a session token on the command line shows in the process list and the shell history; set " + envSessionID + " or pipe it to --session-id-stdin")}
		}
	}
	return nil
}

// newRootCmd builds the command tree.
func (a *app) newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "vem",
		Short: "Read backup sessions and run jobs on Veeam Backup Enterprise Manager",
		Long: `vem reads backup sessions and jobs from a Veeam Backup Enterprise Manager
(EM), starts jobs and waits for them, through EM's REST API on port 9398 (not
the Veeam Backup & Replication REST API on port 9419).

Results go to stdout (-o json|jsonl|table|xml), messages to stderr. Exit codes:
0 success, 1 other error, 2 usage, 3 not found, 4 authentication or permission,
5 server unreachable or timed out, 130 interrupted (Ctrl-C), 143 terminated,
141 stdout closed by its reader (e.g. "| head -1"); wait and --wait: 6 the
session ended Failed, 7 Warning with --warning-is-error, 8 --timeout passed.

Connection settings come from flags or the environment: VEM_URL, VEM_USERNAME,
VEM_PASSWORD (or --password-stdin; never a flag), VEM_SESSION_ID (or
--session-id-stdin; never a flag), VEM_INSECURE, VEM_CA_FILE, VEM_TIMEOUT,
VEM_FORMAT, VEM_OUTPUT, VEM_VERBOSE.`,
		Version:       vem.Version,
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          cobra.ArbitraryArgs,
		RunE:          groupRunE,
		// Every command refuses an empty flag value: --since "$UNSET" must
		// not silently mean "no filter".
		PersistentPreRunE: refuseEmptyValues,
	}
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetVersionTemplate("vem {{.Version}}\n")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return &usageError{cmd: cmd, err: err}
	})

	pf := root.PersistentFlags()
	pf.StringVar(&a.g.url, "url", "", "Enterprise Manager address, e.g. https://em.example.com:9398 ("+envURL+")")
	pf.StringVar(&a.g.username, "username", "", `user name, e.g. DOMAIN\user (`+envUsername+")")
	pf.BoolVar(&a.g.passwordStdin, "password-stdin", false, "read the password from stdin (otherwise "+envPassword+")")
	pf.BoolVar(&a.g.sessionIDStdin, "session-id-stdin", false, "read a session token from 'vem logon' from stdin (otherwise "+envSessionID+")")
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
		a.newHealthCmd(),
		a.newExporterCmd(),
		a.newLogonCmd(),
		a.newLogoutCmd(),
		a.newFakeServerCmd(),
		a.newVersionCmd(a.seams.version),
		a.newCompletionCmd(),
		a.newDoctorCmd(),
		a.newWatchCmd(),
		a.newJobCmd(),
		a.newJobSessionCmd(),
	)
	root.SetHelpCommand(newHelpCmd())
	return root
}

// refuseEmptyValues fails on a flag given an empty value (or an empty item
// in a list): a usage error, never "no filter".
func refuseEmptyValues(cmd *cobra.Command, _ []string) error {
	var err error
	cmd.Flags().Visit(func(f *pflag.Flag) {
		if err != nil || f.Value.Type() == "bool" {
			return
		}
		empty := strings.TrimSpace(f.Value.String()) == ""
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			items := sv.GetSlice()
			empty = len(items) == 0 || slices.ContainsFunc(items, func(s string) bool { return strings.TrimSpace(s) == "" })
		}
		if empty {
			err = usagef(cmd, "--%s: empty value (leave the flag out instead)", f.Name)
		}
	})
	return err
}

// newHelpCmd is "vem help [COMMAND]": an unknown topic is a usage error,
// not the root's help with success.
func newHelpCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "help [COMMAND]...",
		Short: "Help about any command",
		ValidArgsFunction: func(c *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			target, _, err := c.Root().Find(args)
			if err != nil || target == nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var names []string
			for _, sub := range target.Commands() {
				if sub.IsAvailableCommand() {
					names = append(names, sub.Name())
				}
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(c *cobra.Command, args []string) error {
			target, rest, err := c.Root().Find(args)
			if err != nil || target == nil || len(rest) > 0 {
				return usagef(c, "unknown help topic %q", strings.Join(args, " "))
			}
			return target.Help()
		},
	}
}

// completionShells are the shells "vem completion" writes scripts for.
var completionShells = []string{"bash", "zsh", "fish", "powershell"}

// newCompletionCmd is "vem completion SHELL": a missing or unknown shell is
// a usage error.
func (a *app) newCompletionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "completion SHELL",
		Short: "Print the shell completion script for bash, zsh, fish or powershell",
		Long: `Print the completion script for SHELL (bash, zsh, fish or powershell) on
stdout. Load it in the current shell with, for bash:

  source <(vem completion bash)`,
		ValidArgs: completionShells,
		Args:      exactArgs("SHELL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			root := cmd.Root()
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(a.stdout, true)
			case "zsh":
				return root.GenZshCompletion(a.stdout)
			case "fish":
				return root.GenFishCompletion(a.stdout, true)
			case "powershell":
				return root.GenPowerShellCompletionWithDesc(a.stdout)
			}
			return usagef(cmd, "unsupported shell %q (want %s)", args[0], strings.Join(completionShells, ", "))
		},
	}
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
	env, err := vem.ReadEnv(a.getenv)
	if err != nil {
		return usagef(cmd, "%s", strings.TrimPrefix(err.Error(), "vem: "))
	}
	a.envPassword = env.Password
	fromEnv := func(name, value string, dst *string) {
		if !flags.Changed(name) {
			*dst = value
		}
	}
	fromEnv("url", env.URL, &a.g.url)
	fromEnv("username", env.Username, &a.g.username)
	if !a.g.sessionIDStdin {
		a.g.sessionID = env.SessionID
	}
	fromEnv("ca-file", env.CAFile, &a.g.caFile)
	fromEnv("format", strings.TrimSpace(a.getenv(envFormat)), &a.g.format)
	fromEnv("output", strings.TrimSpace(a.getenv(envOutput)), &a.g.output)
	if !flags.Changed("insecure") {
		a.g.insecure = env.Insecure
	}
	if !flags.Changed("verbose") {
		v, err := vem.ParseEnvBool(a.getenv(envVerbose))
		if err != nil {
			return usagef(cmd, "%s: %v", envVerbose, err)
		}
		a.g.verbose = v
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

// commandContext returns the command's context bounded by --timeout, whose
// expiry has a *timeoutError cause.
func (a *app) commandContext(cmd *cobra.Command) (context.Context, context.CancelFunc) {
	ctx := cmd.Context()
	var cancel context.CancelFunc
	if a.g.timeout > 0 {
		ctx, cancel = context.WithTimeoutCause(ctx, a.g.timeout, &timeoutError{d: a.g.timeout})
	} else {
		ctx, cancel = context.WithCancel(ctx)
	}
	a.cmdCtx = ctx
	return ctx, cancel
}

// timeoutReached reports whether the running command's --timeout has
// passed. The library's own per-request deadline (set to --timeout too) may
// fire first, so the clock decides, not the context's cause.
func (a *app) timeoutReached() bool {
	if a.cmdCtx == nil || a.g.timeout <= 0 {
		return false
	}
	dl, ok := a.cmdCtx.Deadline()
	return ok && !time.Now().Before(dl)
}

// isTerminalFile reports whether f is a terminal (a character device).
func isTerminalFile(f any) bool {
	file, ok := f.(*os.File)
	if !ok {
		return false
	}
	fi, err := file.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// isSameFile reports whether two streams are the same open file, such as
// one terminal for stdout and stderr.
func isSameFile(a, b any) bool {
	fa, ok1 := a.(*os.File)
	fb, ok2 := b.(*os.File)
	if !ok1 || !ok2 {
		return false
	}
	sa, err1 := fa.Stat()
	sb, err2 := fb.Stat()
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}
