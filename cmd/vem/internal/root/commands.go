package root

import (
	"github.com/spf13/cobra"
	"github.com/vemkit/vem/cmd/vem/internal/cmdutil"
	"github.com/vemkit/vem/cmd/vem/internal/tasksession"
)

// addCommands adds the nouns' commands to root: the file list of
// cmd/vem/internal shows them, one package a noun.
func addCommands(f *cmdutil.Factory, root *cobra.Command) {
	root.AddCommand(
		tasksession.NewCmdTaskSession(f),
	)
}
