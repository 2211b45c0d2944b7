// Package session is "vem logon" and "vem logout": a session token for
// VEM_SESSION_ID, shared by many commands.
package session

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/vemkit/vem/cmd/vem/internal/cmdutil"
)

// Options is what "vem logon" or "vem logout" was asked to do.
type Options struct {
	f   *cmdutil.Factory
	cmd *cobra.Command
}

// NewCmdLogon builds "vem logon". runF, when not nil, replaces the run
// function.
func NewCmdLogon(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	o := &Options{f: f}
	return &cobra.Command{
		Use:   "logon",
		Short: "Log on and print a session token for VEM_SESSION_ID",
		Long: `Log on with the credentials (--username or VEM_USERNAME, and VEM_PASSWORD or
--password-stdin) and print the session token, alone, on stdout. The session
stays open: later commands given the token in VEM_SESSION_ID reuse it instead
of logging on each time, and "vem logout" ends it. EM ends a session after 15
idle minutes.

The token grants the rights of the account: keep it out of logs.`,
		Example: `  export VEM_SESSION_ID="$(vem logon)"
  vem task-session list --since 24h -o jsonl
  vem logout`,
		Args:              cmdutil.ExactArgs(),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.cmd = cmd
			if runF != nil {
				return runF(o)
			}
			return o.RunLogon()
		},
	}
}

// RunLogon logs on and prints the token.
func (o *Options) RunLogon() error {
	f := o.f
	c, err := f.NewClient(o.cmd, cmdutil.AuthCredentials)
	if err != nil {
		return err
	}
	// No Close: it would log out the session handed to the caller.
	ctx, cancel := f.CommandContext(o.cmd)
	defer cancel()
	if err := c.Logon(ctx); err != nil {
		return err
	}
	if ctx.Err() != nil {
		// Interrupted right after logging on: do not leave an orphan
		// session behind.
		f.CloseClient(c)
		return ctx.Err()
	}
	if _, err := fmt.Fprintln(f.IO.Out, c.SessionID()); err != nil {
		f.CloseClient(c) // nobody got the token: end the session
		return err
	}
	if err := f.IO.Out.Flush(); err != nil {
		f.CloseClient(c)
		return err
	}
	return nil
}

// NewCmdLogout builds "vem logout". runF, when not nil, replaces the run
// function.
func NewCmdLogout(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	o := &Options{f: f}
	return &cobra.Command{
		Use:   "logout",
		Short: "End the session named by VEM_SESSION_ID",
		Long: `End the session whose token is in VEM_SESSION_ID or --session-id-stdin (from
"vem logon"). A session that EM has already ended exits with code 4.`,
		Example:           `  vem logout && unset VEM_SESSION_ID`,
		Args:              cmdutil.ExactArgs(),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.cmd = cmd
			if runF != nil {
				return runF(o)
			}
			return o.RunLogout()
		},
	}
}

// RunLogout ends the borrowed session.
func (o *Options) RunLogout() error {
	f := o.f
	c, err := f.NewClient(o.cmd, cmdutil.AuthSession)
	if err != nil {
		return err
	}
	defer f.CloseClient(c)
	ctx, cancel := f.CommandContext(o.cmd)
	defer cancel()
	return c.Logout(ctx)
}
