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
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/vemkit/vem"
	"github.com/vemkit/vem/vemtest"
)

// seedID is the task session of EM's documentation, served by vemtest.
const seedID = "88322206-a645-4aa3-9228-028ce51e7c0f"

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

	c, id, cleanup, err := connect(args, stderr)
	if err != nil {
		return err
	}
	defer cleanup()
	defer c.Close() // logs out if still logged on

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

// connect builds a client for VEM_URL, or for an in-process vemtest server.
func connect(args []string, stderr io.Writer) (c *vem.Client, id string, cleanup func(), err error) {
	if len(args) > 0 {
		id = args[0]
	}
	url := os.Getenv("VEM_URL")
	if url == "" {
		srv := vemtest.NewServer()
		fmt.Fprintf(stderr, "VEM_URL is not set: using vemtest, an in-process fake Enterprise Manager at %s\n", srv.URL)
		c, err = vem.New(srv.URL, vem.WithHTTPClient(srv.Client()), vem.WithCredentials(srv.Username, srv.Password))
		if id == "" {
			id = seedID
		}
		return c, id, srv.Close, err
	}
	opts := []vem.Option{vem.WithCredentials(os.Getenv("VEM_USERNAME"), os.Getenv("VEM_PASSWORD"))}
	switch {
	case os.Getenv("VEM_CA_FILE") != "":
		pem, err := os.ReadFile(os.Getenv("VEM_CA_FILE"))
		if err != nil {
			return nil, "", nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, "", nil, errors.New("VEM_CA_FILE holds no PEM certificate")
		}
		opts = append(opts, vem.WithRootCAs(pool))
	case isTrue(os.Getenv("VEM_INSECURE")):
		opts = append(opts, vem.WithInsecureSkipVerify())
	}
	c, err = vem.New(url, opts...)
	return c, id, func() {}, err
}

func isTrue(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
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
	row("VM", ts.VmDisplayName)
	row("Task session", ts.Name)
	if l, ok := ts.JobSessionLink(); ok {
		js, err := c.GetBackupSession(ctx, l.ID())
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
	if ts.State.Finished() {
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
	if l, ok := ts.RestorePointLink(); ok {
		var rp vem.VmRestorePoint
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
