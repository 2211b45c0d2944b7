// Command failed-tasks lists the backup task sessions that failed in the
// last 24 hours, newest first, with the names of their job sessions.
//
// It queries Enterprise Manager's query service with a filter
// (Result==Failed;CreationTime>=...) across every page, and resolves each
// distinct job session once with a vem.Resolver. Without VEM_URL it runs
// against vemtest.
//
//	go run ./examples/failed-tasks
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"text/tabwriter"
	"time"

	"github.com/vemkit/vem"
	"github.com/vemkit/vem/vemtest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, time.Now(), os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "failed-tasks:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, now time.Time, stdout, stderr io.Writer) error {
	// A larger fake data set, so that the last day holds some failures.
	c, fake, err := connect(stderr, vemtest.WithDataset(2000), vemtest.WithNow(now))
	if err != nil {
		return err
	}
	if fake != nil {
		defer fake.Close()
	}
	defer c.Close() // logs out

	since := now.Add(-24 * time.Hour)
	q := vem.Query{
		Filter:   vem.And(vem.Eq("Result", vem.ResultFailed), vem.Ge("CreationTime", since)),
		SortDesc: "CreationTime",
	}
	resolver := c.NewResolver(0) // reads each job session once, for this run
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CREATED (UTC)\tVM\tJOB SESSION\tREASON")
	n := 0
	for ts, err := range c.QueryBackupTaskSessions(ctx, q) {
		if err != nil {
			return err
		}
		job := "?"
		if js, err := resolver.BackupJobSessionOf(ctx, ts); err == nil {
			job = js.Name
		} else {
			fmt.Fprintf(stderr, "job session of %s: %v\n", ts.Name, err)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", ts.CreationTime.Format("2006-01-02 15:04"), ts.VMDisplayName, job, oneLine(ts.Reason, 60))
		n++
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "%d failed task sessions since %s\n", n, since.UTC().Format(time.RFC3339))
	return nil
}

// connect returns a client for the Enterprise Manager that VEM_URL names,
// configured from the environment by vem.ReadEnv (VEM_USERNAME,
// VEM_PASSWORD, VEM_SESSION_ID, VEM_CA_FILE, VEM_INSECURE). When VEM_URL is
// not set it starts vemtest, an in-process fake Enterprise Manager, so that
// the example runs on a machine with only Go; fake is then that server, to
// be closed after the client.
func connect(stderr io.Writer, serverOpts ...vemtest.Option) (c *vem.Client, fake *vemtest.Server, err error) {
	if os.Getenv(vem.EnvURL) != "" {
		env, err := vem.ReadEnv(nil)
		if err != nil {
			return nil, nil, err
		}
		c, err = env.NewClient()
		return c, nil, err
	}
	fake = vemtest.NewServer(serverOpts...)
	fmt.Fprintf(stderr, "VEM_URL is not set: using vemtest, an in-process fake Enterprise Manager at %s\n", fake.URL)
	c, err = vem.New(fake.URL, vem.WithHTTPClient(fake.Client()), vem.WithCredentials(fake.Username, fake.Password))
	if err != nil {
		fake.Close()
		return nil, nil, err
	}
	return c, fake, nil
}

// oneLine shortens a reason to one line of at most n runes.
func oneLine(s string, n int) string {
	r := []rune(s)
	for i, c := range r {
		if c == '\n' || c == '\r' {
			r = r[:i]
			break
		}
	}
	if len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return string(r)
}
