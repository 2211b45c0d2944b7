// Command errors shows how vem reports failures and how to tell them apart
// with errors.Is and errors.As: a malformed ID (nothing is sent), an
// unknown ID (404), a wrong password (401), a server error with EM's own
// message (500) and a deadline.
//
//	go run ./examples/errors
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/vemkit/vem"
	"github.com/vemkit/vem/vemtest"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "errors:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, w io.Writer) error {
	srv := vemtest.NewServer()
	defer srv.Close()
	c, err := vem.New(srv.URL, vem.WithHTTPClient(srv.Client()),
		vem.WithCredentials(srv.Username, srv.Password), vem.WithRetry(vem.NoRetries()))
	if err != nil {
		return err
	}
	defer c.Close()

	report := func(what string, err error) {
		var apiErr *vem.APIError
		switch {
		case err == nil:
			fmt.Fprintf(w, "%-16s ok\n", what)
		case errors.Is(err, vem.ErrInvalidID):
			fmt.Fprintf(w, "%-16s invalid ID, nothing sent\n", what)
		case errors.Is(err, vem.ErrNotFound):
			fmt.Fprintf(w, "%-16s not found\n", what)
		case errors.Is(err, vem.ErrUnauthorized):
			fmt.Fprintf(w, "%-16s unauthorized\n", what)
		case errors.Is(err, context.DeadlineExceeded):
			fmt.Fprintf(w, "%-16s timed out\n", what)
		case errors.As(err, &apiErr):
			fmt.Fprintf(w, "%-16s HTTP %d: %s\n", what, apiErr.StatusCode, apiErr.Message)
		default:
			fmt.Fprintf(w, "%-16s %v\n", what, err)
		}
	}

	_, err = c.GetBackupTaskSession(ctx, "../logonSessions")
	report("malformed ID", err)

	_, err = c.GetBackupTaskSession(ctx, "00000000-0000-4000-8000-000000000000")
	report("unknown ID", err)

	bad, err := vem.New(srv.URL, vem.WithHTTPClient(srv.Client()), vem.WithCredentials(srv.Username, "wrong"))
	if err != nil {
		return err
	}
	_, err = bad.GetBackupTaskSession(ctx, vemtest.SeedBackupTaskSessionID)
	_ = bad.Close()
	report("wrong password", err)

	srv.FailNext(1, 500)
	_, err = c.GetBackupTaskSession(ctx, vemtest.SeedBackupTaskSessionID)
	report("server error", err)

	srv.SetLatency(time.Second)
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	_, err = c.GetBackupTaskSession(short, vemtest.SeedBackupTaskSessionID)
	cancel()
	srv.SetLatency(0)
	report("deadline", err)

	_, err = c.GetBackupTaskSession(ctx, vemtest.SeedBackupTaskSessionID)
	report("seed", err)
	return nil
}
