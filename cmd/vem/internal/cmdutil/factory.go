// Package cmdutil is what every vem command shares: the Factory (streams,
// environment, clock, the client constructor), the global flags, the exit
// errors and the one mapper from errors to exit codes, the declared output
// formats, completions, and the flags of the wait commands.
package cmdutil

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/vemkit/vem"
	"github.com/vemkit/vem/cmd/vem/internal/iostreams"
)

// Environment variables read by vem. A flag given on the command line wins
// over its variable. The connection settings are the SDK's (vem.ReadEnv
// reads them); the others are the command's own.
const (
	EnvURL       = vem.EnvURL
	EnvUsername  = vem.EnvUsername
	EnvPassword  = vem.EnvPassword
	EnvSessionID = vem.EnvSessionID
	EnvInsecure  = vem.EnvInsecure
	EnvCAFile    = vem.EnvCAFile
	EnvTimeout   = "VEM_TIMEOUT"
	EnvFormat    = "VEM_FORMAT"
	EnvOutput    = "VEM_OUTPUT"
	EnvVerbose   = "VEM_VERBOSE"
)

// Factory is what a command gets from the root: its streams, environment
// and clock, the global flags as parsed, and the constructors of the
// client and of the command's context. One Factory serves one invocation.
type Factory struct {
	IO     *iostreams.IOStreams
	Getenv func(string) string
	// Now is the clock; tests set a fixed one.
	Now func() time.Time
	// Global holds the persistent flags of the root command; Resolve
	// completes them from the environment.
	Global GlobalOptions
	// envPassword is VEM_PASSWORD as Resolve read it.
	envPassword string
	// cmdCtx is the context of the running command, bounded by --timeout.
	cmdCtx context.Context
	// observers get the request events of the clients NewClient builds.
	observers []func(vem.RequestEvent)
	// errMu orders the lines written on stderr by the log and --verbose.
	errMu *sync.Mutex
	// errorHooks may settle the exit of a failed command (vem health -o
	// nagios); see OnError.
	errorHooks []ErrorHook
}

// ErrorHook may settle the exit of a failed command: it returns the exit
// code and true when it has handled err (printing what it wants).
type ErrorHook func(ctx context.Context, cmd *cobra.Command, args []string, err error) (int, bool)

// OnError adds a hook that Execute consults before its own handling.
func (f *Factory) OnError(h ErrorHook) { f.errorHooks = append(f.errorHooks, h) }

// GlobalOptions are the persistent flags of the root command.
type GlobalOptions struct {
	URL            string
	Username       string
	PasswordStdin  bool
	SessionIDStdin bool
	SessionID      string // from --session-id-stdin or VEM_SESSION_ID
	Insecure       bool
	CAFile         string
	Timeout        time.Duration
	Format         string
	Output         string
	Verbose        bool
}

// New returns the Factory of one invocation on the given streams and
// environment.
func New(io *iostreams.IOStreams, getenv func(string) string) *Factory {
	return &Factory{IO: io, Getenv: getenv, Now: time.Now, errMu: new(sync.Mutex)}
}

// AddGlobalFlags registers the persistent flags on the root command.
func (f *Factory) AddGlobalFlags(root *cobra.Command) {
	g := &f.Global
	pf := root.PersistentFlags()
	pf.StringVar(&g.URL, "url", "", "Enterprise Manager address, e.g. https://em.example.com:9398 ("+EnvURL+")")
	pf.StringVar(&g.Username, "username", "", `user name, e.g. DOMAIN\user (`+EnvUsername+")")
	pf.BoolVar(&g.PasswordStdin, "password-stdin", false, "read the password from stdin (otherwise "+EnvPassword+")")
	pf.BoolVar(&g.SessionIDStdin, "session-id-stdin", false, "read a session token from 'vem logon' from stdin (otherwise "+EnvSessionID+")")
	pf.BoolVar(&g.Insecure, "insecure", false, "skip TLS certificate verification, allow http:// ("+EnvInsecure+")")
	pf.StringVar(&g.CAFile, "ca-file", "", "PEM file of CA certificates to trust ("+EnvCAFile+")")
	pf.DurationVar(&g.Timeout, "timeout", 0, "deadline for the whole command, e.g. 30s; 0: none ("+EnvTimeout+")")
	pf.StringVar(&g.Format, "format", "", "wire format asked of EM: xml or json (default xml) ("+EnvFormat+")")
	pf.StringVarP(&g.Output, "output", "o", "", "output format; each command lists its own (default json) ("+EnvOutput+")")
	pf.BoolVar(&g.Verbose, "verbose", false, "log HTTP requests to stderr, without secrets ("+EnvVerbose+")")
	_ = root.RegisterFlagCompletionFunc("format", FixedCompletion("xml", "json"))
	_ = root.RegisterFlagCompletionFunc("output", outputCompletion)
	_ = root.RegisterFlagCompletionFunc("ca-file", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"pem", "crt", "cer"}, cobra.ShellCompDirectiveFilterFileExt
	})
}

// Resolve completes the global flags from the environment and checks them,
// and settles the output format among those cmd declares. It runs in each
// command that needs them, not in a PersistentPreRun, so that help and
// completion work whatever the environment holds.
func (f *Factory) Resolve(cmd *cobra.Command) error {
	g := &f.Global
	flags := cmd.Flags()
	env, err := vem.ReadEnv(f.Getenv)
	if err != nil {
		return Usagef(cmd, "%s", Text(err))
	}
	f.envPassword = env.Password
	fromEnv := func(name, value string, dst *string) {
		if !flags.Changed(name) {
			*dst = value
		}
	}
	fromEnv("url", env.URL, &g.URL)
	fromEnv("username", env.Username, &g.Username)
	if !g.SessionIDStdin {
		g.SessionID = env.SessionID
	}
	fromEnv("ca-file", env.CAFile, &g.CAFile)
	fromEnv("format", strings.TrimSpace(f.Getenv(EnvFormat)), &g.Format)
	if !flags.Changed("insecure") {
		g.Insecure = env.Insecure
	}
	if !flags.Changed("verbose") {
		v, err := vem.ParseEnvBool(f.Getenv(EnvVerbose))
		if err != nil {
			return Usagef(cmd, "%s: %v", EnvVerbose, err)
		}
		g.Verbose = v
	}
	if err := f.resolveTimeout(cmd); err != nil {
		return err
	}
	if g.Format == "" {
		g.Format = string(vem.FormatXML)
	}
	if _, err := vem.ParseFormat(g.Format); err != nil {
		return Usagef(cmd, "--format (%s): invalid value %q (want xml or json)", EnvFormat, g.Format)
	}
	out, err := f.OutputFormat(cmd)
	if err != nil {
		return err
	}
	g.Output = out
	return nil
}

// resolveTimeout reads --timeout, else VEM_TIMEOUT. A wait command's own
// (deprecated) --timeout is its wait deadline: VEM_TIMEOUT still bounds the
// requests there.
func (f *Factory) resolveTimeout(cmd *cobra.Command) error {
	g := &f.Global
	own := cmd.LocalNonPersistentFlags().Lookup("timeout") != nil
	if !cmd.Flags().Changed("timeout") || own {
		g.Timeout = 0
		if s := strings.TrimSpace(f.Getenv(EnvTimeout)); s != "" {
			d, err := time.ParseDuration(s)
			if err != nil {
				return Usagef(cmd, "%s: invalid duration %q (want e.g. 30s or 5m)", EnvTimeout, s)
			}
			g.Timeout = d
		}
	}
	if g.Timeout < 0 {
		return Usagef(cmd, "--timeout must not be negative")
	}
	return nil
}

// CommandContext returns the command's context bounded by --timeout, whose
// expiry has a *TimeoutError cause.
func (f *Factory) CommandContext(cmd *cobra.Command) (context.Context, context.CancelFunc) {
	ctx := cmd.Context()
	var cancel context.CancelFunc
	if f.Global.Timeout > 0 {
		ctx, cancel = context.WithTimeoutCause(ctx, f.Global.Timeout, &TimeoutError{D: f.Global.Timeout})
	} else {
		ctx, cancel = context.WithCancel(ctx)
	}
	f.cmdCtx = ctx
	return ctx, cancel
}

// TimeoutReached reports whether the running command's --timeout has
// passed. The library's own per-request deadline (set to --timeout too) may
// fire first, so the clock decides, not the context's cause.
func (f *Factory) TimeoutReached() bool {
	if f.cmdCtx == nil || f.Global.Timeout <= 0 {
		return false
	}
	dl, ok := f.cmdCtx.Deadline()
	return ok && !time.Now().Before(dl)
}

// Warnf writes a warning on stderr, "vem: warning: ...".
func (f *Factory) Warnf(format string, args ...any) {
	_, _ = f.IO.ErrOut.Write([]byte("vem: warning: " + iostreams.CleanLines(strings.TrimSuffix(fmt.Sprintf(format, args...), "\n")) + "\n"))
}
