// Command vem reads backup sessions and jobs from a Veeam Backup Enterprise
// Manager (the REST API on port 9398), and starts jobs and waits for them,
// for scripts, cron jobs and people.
//
// Install it with
//
//	go install github.com/vemkit/vem/cmd/vem@latest
//
// and run "vem --help", or read docs/cli.md in the repository: it lists the
// commands, flags, environment variables, output formats, JSON fields and
// exit codes. The commands live in internal/<noun>, over internal/cmdutil,
// internal/iostreams and internal/output; internal/root assembles them.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/vemkit/vem/cmd/vem/internal/cmdutil"
	"github.com/vemkit/vem/cmd/vem/internal/root"
)

func main() {
	ignoreSIGPIPE()

	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-sigs
		// A second signal kills the process the default way, in case the
		// logout after the first one hangs.
		signal.Stop(sigs)
		cancel(&cmdutil.InterruptedError{Sig: sig})
	}()
	code := root.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	cancel(nil)
	os.Exit(code)
}
