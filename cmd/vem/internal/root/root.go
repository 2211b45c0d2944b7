// Package root assembles the vem command: the root command with its
// global flags, every noun's command, help and completion, and Run, the
// whole of one invocation.
package root

import (
	"context"
	"io"

	"github.com/spf13/cobra"
	"github.com/vemkit/vem"
	"github.com/vemkit/vem/cmd/vem/internal/cmdutil"
	"github.com/vemkit/vem/cmd/vem/internal/iostreams"
	"github.com/vemkit/vem/cmd/vem/internal/version"
)

// Run executes vem with args (without the program name) and returns the exit
// code. ctx is cancelled, with a *cmdutil.InterruptedError cause, on SIGINT
// or SIGTERM.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	f := cmdutil.New(iostreams.New(stdin, stdout, stderr), getenv)
	return Execute(ctx, f, args)
}

// Execute runs one command line with the factory f (tests set its clock
// and streams).
func Execute(ctx context.Context, f *cmdutil.Factory, args []string) int {
	return f.Execute(ctx, NewCmdRoot(f), args)
}

// NewCmdRoot builds the command tree.
func NewCmdRoot(f *cmdutil.Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "vem",
		Short: "Read backup sessions and run jobs on Veeam Backup Enterprise Manager",
		Long: `vem reads backup sessions and jobs from a Veeam Backup Enterprise Manager
(EM), starts jobs and waits for them, through EM's REST API on port 9398 (not
the Veeam Backup & Replication REST API on port 9419).

Results go to stdout (-o json|jsonl|table|xml, as each command offers),
messages to stderr.

` + wrap(cmdutil.ExitCodesSummary(), 79) + `

Connection settings come from flags or the environment: VEM_URL, VEM_USERNAME,
VEM_PASSWORD (or --password-stdin; never a flag), VEM_SESSION_ID (or
--session-id-stdin; never a flag), VEM_INSECURE, VEM_CA_FILE, VEM_TIMEOUT,
VEM_FORMAT, VEM_OUTPUT, VEM_VERBOSE.`,
		Version:           vem.Version,
		SilenceErrors:     true,
		SilenceUsage:      true,
		Args:              cobra.ArbitraryArgs,
		RunE:              cmdutil.GroupRunE,
		PersistentPreRunE: cmdutil.CheckFlags,
	}
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetVersionTemplate("vem {{.Version}}\n")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return &cmdutil.UsageError{Cmd: cmd, Err: err}
	})
	f.AddGlobalFlags(root)
	defaultHelp := root.HelpFunc()
	root.SetHelpFunc(func(c *cobra.Command, args []string) {
		cmdutil.HideNotApplicable(c)
		defaultHelp(c, args)
	})

	root.AddCommand(
		version.NewCmdVersion(f, nil),
		newCmdCompletion(f),
		newCmdExitCodes(),
	)
	addCommands(f, root)
	root.SetHelpCommand(newCmdHelp())
	return root
}
