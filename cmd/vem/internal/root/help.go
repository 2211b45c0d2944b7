package root

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/vemkit/vem/cmd/vem/internal/cmdutil"
)

// newCmdHelp is "vem help [COMMAND]": an unknown topic is a usage error,
// not the root's help with success.
func newCmdHelp() *cobra.Command {
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
				if sub.IsAvailableCommand() || sub.IsAdditionalHelpTopicCommand() {
					names = append(names, sub.Name())
				}
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(c *cobra.Command, args []string) error {
			target, rest, err := c.Root().Find(args)
			if err != nil || target == nil || len(rest) > 0 {
				return cmdutil.Usagef(c, "unknown help topic %q", strings.Join(args, " "))
			}
			return target.Help()
		},
	}
}

// newCmdExitCodes is the help topic "vem help exit-codes".
func newCmdExitCodes() *cobra.Command {
	return &cobra.Command{
		Use:   "exit-codes",
		Short: "The exit codes of vem, for scripts",
		Long:  strings.TrimSuffix(cmdutil.ExitCodesText(), "\n"),
	}
}

// completionShells are the shells "vem completion" writes scripts for.
var completionShells = []string{"bash", "zsh", "fish", "powershell"}

// newCmdCompletion is "vem completion SHELL": a missing or unknown shell is
// a usage error.
func newCmdCompletion(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "completion SHELL",
		Short: "Print the shell completion script for bash, zsh, fish or powershell",
		Long: `Print the completion script for SHELL (bash, zsh, fish or powershell) on
stdout. Load it in the current shell with, for bash:

  source <(vem completion bash)`,
		ValidArgs: completionShells,
		Args:      cmdutil.ExactArgs("SHELL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			root := cmd.Root()
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(f.IO.Out, true)
			case "zsh":
				return root.GenZshCompletion(f.IO.Out)
			case "fish":
				return root.GenFishCompletion(f.IO.Out, true)
			case "powershell":
				return root.GenPowerShellCompletionWithDesc(f.IO.Out)
			}
			return cmdutil.Usagef(cmd, "unsupported shell %q (want %s)", args[0], strings.Join(completionShells, ", "))
		},
	}
}

// wrap breaks a paragraph into lines of at most width bytes.
func wrap(s string, width int) string {
	var b strings.Builder
	n := 0
	for i, w := range strings.Fields(s) {
		switch {
		case i == 0:
		case n+1+len(w) > width:
			b.WriteByte('\n')
			n = 0
		default:
			b.WriteByte(' ')
			n++
		}
		b.WriteString(w)
		n += len(w)
	}
	return b.String()
}
