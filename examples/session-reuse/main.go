// Command session-reuse logs on once and hands the session token to a
// second client, as a script does with `export VEM_SESSION_ID=$(vem logon)`:
// the borrowed session is used without a new logon, is left open by Close,
// and is ended by Logout.
//
//	go run ./examples/session-reuse
package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/vemkit/vem"
	"github.com/vemkit/vem/vemtest"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "session-reuse:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, w io.Writer) error {
	srv := vemtest.NewServer()
	defer srv.Close()

	owner, err := vem.New(srv.URL, vem.WithHTTPClient(srv.Client()), vem.WithCredentials(srv.Username, srv.Password))
	if err != nil {
		return err
	}
	if err := owner.Logon(ctx); err != nil {
		return err
	}
	token := owner.SessionID() // a secret: never print it in real code

	// A second client borrows the session: no credentials, no new logon.
	borrower, err := vem.New(srv.URL, vem.WithHTTPClient(srv.Client()), vem.WithSessionID(token))
	if err != nil {
		return err
	}
	ts, err := borrower.GetBackupTaskSession(ctx, vemtest.SeedBackupTaskSessionID)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "borrowed session read %s (%s)\n", ts.Name, ts.Result)
	_ = borrower.Close() // leaves the borrowed session open
	fmt.Fprintf(w, "after the borrower's Close: logons=%d logouts=%d\n", srv.Stats().Logons, srv.Stats().Logouts)

	// The owner can still use it, and ends it.
	if _, err := owner.GetBackupTaskSession(ctx, vemtest.SeedBackupTaskSessionID); err != nil {
		return err
	}
	if err := owner.Logout(ctx); err != nil {
		return err
	}
	fmt.Fprintf(w, "after the owner's Logout: logons=%d logouts=%d\n", srv.Stats().Logons, srv.Stats().Logouts)
	return owner.Close()
}
