package job

import (
	"github.com/spf13/cobra"
	"github.com/vemkit/vem"
	"github.com/vemkit/vem/cmd/vem/internal/cmdutil"
	"github.com/vemkit/vem/cmd/vem/internal/output"
)

// GetOptions is what "job get" was asked to do.
type GetOptions struct {
	f   *cmdutil.Factory
	cmd *cobra.Command

	Job          string // name, GUID or UID
	BackupServer string
}

// NewCmdGet builds "job get". runF, when not nil, replaces the run
// function.
func NewCmdGet(f *cmdutil.Factory, runF func(*GetOptions) error) *cobra.Command {
	o := &GetOptions{f: f}
	cmd := &cobra.Command{
		Use:   "get NAME-or-ID",
		Short: "Print one job, named by its name, GUID or UID",
		Example: `  vem job get "vCD Job Template" -o table
  vem job get 05376e9a-a862-50ce-9c05-ee54d1866b94 -o json`,
		Args:              cmdutil.ExactArgs("NAME-or-ID"),
		ValidArgsFunction: nameCompletion(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.cmd, o.Job = cmd, args[0]
			if runF != nil {
				return runF(o)
			}
			return o.Run()
		},
	}
	cmd.Flags().StringVar(&o.BackupServer, "backup-server", "", "the job's backup server, when several servers have a job of that name")
	cmdutil.NoFileCompletions(cmd, "backup-server")
	cmdutil.SetFormats(cmd, output.JSON, output.JSON, output.JSONL, output.Table, output.XML)
	return cmd
}

// Run prints the job.
func (o *GetOptions) Run() error {
	f := o.f
	c, err := f.NewClient(o.cmd, cmdutil.AuthAny)
	if err != nil {
		return err
	}
	defer f.CloseClient(c)
	ctx, cancel := f.CommandContext(o.cmd)
	defer cancel()
	j, err := find(ctx, o.cmd, c, o.Job, o.BackupServer)
	if err != nil {
		return err
	}
	if f.Global.Output == output.XML {
		raw, err := c.GetRaw(ctx, "/api/jobs/"+j.UID.ID()+"?format=Entity", vem.FormatXML)
		if err != nil {
			return err
		}
		return output.WriteEntityXML(f.IO.Out, raw.Body)
	}
	return output.Print(f.IO.Out, f.Global.Output, NewJSON(j), func() [][2]string { return fields(j) })
}
