package main

import (
	"context"
	"io"

	"github.com/vemkit/vem/cmd/vem/internal/cmdutil"
	"github.com/vemkit/vem/cmd/vem/internal/iostreams"
	"github.com/vemkit/vem/cmd/vem/internal/job"
	"github.com/vemkit/vem/cmd/vem/internal/output"
	"github.com/vemkit/vem/cmd/vem/internal/root"
	"github.com/vemkit/vem/cmd/vem/internal/tasksession"
	"github.com/vemkit/vem/cmd/vem/internal/version"
)

// The end-to-end tests of this package run vem in the test process through
// run, or the binary; these are the names they share with the command's
// packages.

// run executes vem in the test process, as the binary would.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	return root.Run(ctx, args, stdin, stdout, stderr, getenv)
}

// newFactory returns a factory on the given streams, for a test to adjust
// (terminals, clock) before execute.
func newFactory(stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) *cmdutil.Factory {
	return cmdutil.New(iostreams.New(stdin, stdout, stderr), getenv)
}

// execute runs one command line with f.
func execute(ctx context.Context, f *cmdutil.Factory, args []string) int {
	return root.Execute(ctx, f, args)
}

const (
	exitOK           = cmdutil.ExitOK
	exitError        = cmdutil.ExitOther
	exitUsage        = cmdutil.ExitUsage
	exitNotFound     = cmdutil.ExitNotFound
	exitAuth         = cmdutil.ExitAuth
	exitUnreachable  = cmdutil.ExitUnreachable
	exitFailed       = cmdutil.ExitFailed
	exitWarning      = cmdutil.ExitWarning
	exitStillRunning = cmdutil.ExitStillRunning
	exitNotEM        = cmdutil.ExitNotEM
	exitClosedPipe   = cmdutil.ExitClosedPipe
	envPassword      = cmdutil.EnvPassword
	envSessionID     = cmdutil.EnvSessionID
	vbrRESTPort      = cmdutil.VBRRESTPort
	pluginUnknown    = 3
	followWrapper    = output.FollowWrapper
	doctorOK         = "ok"
	doctorWarn       = "warn"
	doctorFail       = "FAIL"
)

type (
	linkJSON         = output.LinkJSON
	jobSessionJSON   = output.JobSessionJSON
	backupServerJSON = output.BackupServerJSON
	restorePointJSON = output.RestorePointJSON
	versionJSON      = version.JSON
	jobJSON          = job.JSON
	emTaskJSON       = job.TaskJSON
	interruptedError = cmdutil.InterruptedError
	timeoutError     = cmdutil.TimeoutError
	outputError      = iostreams.OutputError
)

var (
	stateValues   = tasksession.StateValues
	resultValues  = tasksession.ResultValues
	errorMessage  = cmdutil.ErrorMessage
	exitCode      = cmdutil.ExitCode
	tableDuration = output.Duration
)
