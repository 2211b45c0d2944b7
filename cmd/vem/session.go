package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func (a *app) newLogonCmd() *cobra.Command {
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
		Args:              exactArgs(),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.newClient(cmd, authCredentials)
			if err != nil {
				return err
			}
			// No Close: it would log out the session handed to the caller.
			ctx, cancel := a.commandContext(cmd)
			defer cancel()
			if err := c.Logon(ctx); err != nil {
				return err
			}
			if ctx.Err() != nil {
				// Interrupted right after logging on: do not leave an
				// orphan session behind.
				a.closeClient(c)
				return ctx.Err()
			}
			if _, err := fmt.Fprintln(a.stdout, c.SessionID()); err != nil {
				a.closeClient(c) // nobody got the token: end the session
				return err
			}
			if err := a.out.Flush(); err != nil {
				a.closeClient(c)
				return err
			}
			return nil
		},
	}
}

func (a *app) newLogoutCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "logout",
		Short: "End the session named by VEM_SESSION_ID",
		Long: `End the session whose token is in VEM_SESSION_ID or --session-id-stdin (from
"vem logon"). A session that EM has already ended exits with code 4.`,
		Example:           `  vem logout && unset VEM_SESSION_ID`,
		Args:              exactArgs(),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.newClient(cmd, authSession)
			if err != nil {
				return err
			}
			defer a.closeClient(c)
			ctx, cancel := a.commandContext(cmd)
			defer cancel()
			return c.Logout(ctx)
		},
	}
}
