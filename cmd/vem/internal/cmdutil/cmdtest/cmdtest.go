// Package cmdtest runs one vem command in a test, under a root command
// with vem's global flags, on buffers and a fixed clock: what a command
// package's unit tests need to call its runF.
package cmdtest

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/vemkit/vem/cmd/vem/internal/cmdutil"
	"github.com/vemkit/vem/cmd/vem/internal/iostreams"
)

// Now is the fixed clock of the factories of this package.
var Now = time.Date(2025, 10, 12, 12, 0, 0, 0, time.UTC)

// Result is what one run printed and its exit code.
type Result struct {
	Code           int
	Stdout, Stderr string
}

func (r Result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.Code, r.Stdout, r.Stderr)
}

// Env is an environment of KEY=value pairs.
func Env(kv ...string) func(string) string {
	m := map[string]string{}
	for _, s := range kv {
		k, v, _ := strings.Cut(s, "=")
		m[k] = v
	}
	return func(k string) string { return m[k] }
}

// Run builds the command with newCmd on a factory with env and the fixed
// clock, puts it under a root that has vem's global flags and checks, and
// runs args (which start with the command's name) as vem would.
func Run(newCmd func(*cmdutil.Factory) *cobra.Command, env []string, args ...string) Result {
	var stdout, stderr bytes.Buffer
	f := cmdutil.New(iostreams.New(strings.NewReader(""), &stdout, &stderr), Env(env...))
	f.Now = func() time.Time { return Now }
	root := &cobra.Command{Use: "vem", SilenceErrors: true, SilenceUsage: true, PersistentPreRunE: cmdutil.CheckFlags}
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error { return &cmdutil.UsageError{Cmd: cmd, Err: err} })
	f.AddGlobalFlags(root)
	root.AddCommand(newCmd(f))
	code := f.Execute(context.Background(), root, args)
	return Result{Code: code, Stdout: stdout.String(), Stderr: stderr.String()}
}
