// Command quickstart logs on to Enterprise Manager, reads one backup task
// session with its job session, backup server and restore point, prints a
// short summary and logs out.
//
// With VEM_URL (and VEM_USERNAME, VEM_PASSWORD, optionally VEM_INSECURE=1 or
// VEM_CA_FILE) it talks to that Enterprise Manager and reads the task session
// named by its first argument, or the newest one. Without VEM_URL it starts
// vemtest, the in-process fake Enterprise Manager, and reads its seed task
// session.
//
//	go run ./examples/quickstart
package main

import (
	"context"
	"errors"
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
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()

	c, fake, err := connect(stderr)
	if err != nil {
		return err
	}
	if fake != nil {
		defer fake.Close()
	}
	defer c.Close() // logs out if still logged on
	id := ""
	if len(args) > 0 {
		id = args[0]
	} else if fake != nil {
		id = vemtest.SeedBackupTaskSessionID
	}

	if err := c.Logon(ctx); err != nil {
		return fmt.Errorf("logon: %w", err)
	}
	if id == "" {
		if id, err = newestTaskSession(ctx, c); err != nil {
			return err
		}
	}
	ts, err := c.GetBackupTaskSession(ctx, id)
	if err != nil {
		return err
	}
	if err := summarize(ctx, c, ts, stdout); err != nil {
		return err
	}
	return c.Logout(ctx)
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

// newestTaskSession finds the most recent task session with the query
// service.
func newestTaskSession(ctx context.Context, c *vem.Client) (string, error) {
	for ts, err := range c.QueryBackupTaskSessions(ctx, vem.Query{SortDesc: "CreationTime", PageSize: 1, Concurrency: 1}) {
		if err != nil {
			return "", err
		}
		return ts.UID.ID(), nil
	}
	return "", errors.New("the server has no backup task sessions")
}

func summarize(ctx context.Context, c *vem.Client, ts *vem.BackupTaskSession, w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "%s\t%s\n", k, v) }
	row("VM", ts.VMDisplayName)
	row("Task session", ts.Name)
	if l, ok := ts.BackupJobSessionLink(); ok {
		js, err := c.GetBackupJobSession(ctx, l.ID())
		if err != nil {
			return fmt.Errorf("job session: %w", err)
		}
		row("Job session", fmt.Sprintf("%s (%s, %s)", js.Name, js.State, js.Result))
	}
	row("State", string(ts.State))
	row("Result", string(ts.Result))
	if ts.Reason != "" {
		row("Reason", ts.Reason)
	}
	row("Size", humanBytes(ts.TotalSize))
	if ts.State.Ended() {
		row("Duration", ts.Duration().Round(time.Millisecond).String())
	} else {
		row("Duration", "running since "+ts.CreationTime.Format(time.RFC3339))
	}
	if l, ok := ts.BackupServerLink(); ok {
		s, err := c.GetBackupServer(ctx, l.ID())
		if err != nil {
			return fmt.Errorf("backup server: %w", err)
		}
		row("Backup server", fmt.Sprintf("%s (port %d, version %s)", s.Name, s.Port, s.Version))
	}
	if l, ok := ts.VMRestorePointLink(); ok {
		var rp vem.VMRestorePoint
		if err := c.FollowLink(ctx, l, &rp); err != nil {
			return fmt.Errorf("restore point: %w", err)
		}
		row("Restore point", fmt.Sprintf("%s (%s, %s)", rp.Name, rp.PointType, rp.CreationTime.Format(time.RFC3339)))
	} else {
		row("Restore point", "none yet")
	}
	return tw.Flush()
}

// humanBytes formats a size in binary units: 12884901888 -> "12.0 GiB".
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
