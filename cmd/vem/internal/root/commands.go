package root

import (
	"github.com/spf13/cobra"
	"github.com/vemkit/vem/cmd/vem/internal/cmdutil"
	"github.com/vemkit/vem/cmd/vem/internal/doctor"
	"github.com/vemkit/vem/cmd/vem/internal/exporter"
	"github.com/vemkit/vem/cmd/vem/internal/fakeserver"
	"github.com/vemkit/vem/cmd/vem/internal/health"
	"github.com/vemkit/vem/cmd/vem/internal/job"
	"github.com/vemkit/vem/cmd/vem/internal/jobsession"
	"github.com/vemkit/vem/cmd/vem/internal/session"
	"github.com/vemkit/vem/cmd/vem/internal/tasksession"
	"github.com/vemkit/vem/cmd/vem/internal/watch"
)

// addCommands adds the nouns' commands to root: the file list of
// cmd/vem/internal shows them, one package a noun.
func addCommands(f *cmdutil.Factory, root *cobra.Command) {
	root.AddCommand(
		tasksession.NewCmdTaskSession(f),
		jobsession.NewCmdJobSession(f),
		job.NewCmdJob(f),
		health.NewCmdHealth(f, nil),
		exporter.NewCmdExporter(f, nil),
		session.NewCmdLogon(f, nil),
		session.NewCmdLogout(f, nil),
		fakeserver.NewCmdFakeServer(f, nil),
		doctor.NewCmdDoctor(f, nil),
		watch.NewCmdWatch(f, nil),
	)
}
