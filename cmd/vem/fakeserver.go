package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/vemkit/vem/vemtest"
)

// defaultFakeAddr is where "vem fake-server" listens unless --addr says
// otherwise: EM's own port, on loopback only.
const defaultFakeAddr = "127.0.0.1:9398"

func (a *app) newFakeServerCmd() *cobra.Command {
	var (
		addr         string
		dataset      int
		runTime, lag time.Duration
	)
	cmd := &cobra.Command{
		Use:   "fake-server",
		Short: "Run a fake Enterprise Manager for scripts' own tests",
		Long: `Run vemtest, the SDK's fake Enterprise Manager, in the foreground: HTTPS with
a fresh self-signed certificate, the documented seed task session
88322206-a645-4aa3-9228-028ce51e7c0f and --dataset generated ones.

It prints its address, credentials and CA certificate file as shell exports on
stdout, then serves until SIGINT or SIGTERM, and exits 0. The certificate file
is removed on exit.

Its backup jobs can be started ('vem job start NAME --wait'): a run lasts
--run-time and ends with a random result (Success 70%, Warning 15%, Failed
15%); --collection-lag delays when finished sessions reach the query service,
as EM's collection from backup servers does.`,
		Example: `  vem fake-server > /tmp/vem-env.sh &
  until grep -q VEM_CA_FILE /tmp/vem-env.sh 2>/dev/null; do sleep 0.1; done
  . /tmp/vem-env.sh
  vem task-session get 88322206-a645-4aa3-9228-028ce51e7c0f -o json | jq .
  kill %1`,
		Args:              exactArgs(),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dataset < 0 {
				return usagef(cmd, "--dataset must not be negative")
			}
			if runTime < 0 || lag < 0 {
				return usagef(cmd, "--run-time and --collection-lag must not be negative")
			}
			return a.runFakeServer(cmd, addr, dataset, vemtest.WithRunTime(runTime), vemtest.WithCollectionLag(lag))
		},
	}
	cmd.Flags().StringVar(&addr, "addr", defaultFakeAddr, "listen address (host:port; port 0 picks a free one)")
	cmd.Flags().IntVar(&dataset, "dataset", vemtest.DefaultDatasetSize, "number of generated task sessions besides the seed one")
	cmd.Flags().DurationVar(&runTime, "run-time", vemtest.DefaultRunTime, "how long a started job runs")
	cmd.Flags().DurationVar(&lag, "collection-lag", 0, "how long after they end job runs' sessions reach the query service")
	return cmd
}

func (a *app) runFakeServer(cmd *cobra.Command, addr string, dataset int, opts ...vemtest.Option) (err error) {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return usagef(cmd, "--addr: %v", err)
	}
	// vemtest panics when it cannot listen; check first for a clear error.
	l, err := net.Listen("tcp", addr)
	if err != nil {
		// %v, not %w: a local listen failure is not an unreachable server.
		return fmt.Errorf("fake-server: %v", err)
	}
	l.Close()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("fake-server: %v", r)
		}
	}()
	s := vemtest.NewServer(append([]vemtest.Option{vemtest.WithAddr(addr), vemtest.WithDataset(dataset)}, opts...)...)
	defer s.Close()

	dir, err := os.MkdirTemp("", "vem-fake-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	caFile := filepath.Join(dir, "vem-fake-ca.pem")
	if err := os.WriteFile(caFile, s.CertificatePEM(), 0o600); err != nil {
		return err
	}

	// One write, so that a script polling the file sees all of it at once.
	var b strings.Builder
	for _, kv := range [][2]string{
		{envURL, s.URL},
		{envUsername, s.Username},
		{envPassword, s.Password},
		{envCAFile, caFile},
	} {
		fmt.Fprintf(&b, "export %s=%s\n", kv[0], shellQuote(kv[1]))
	}
	if _, err := fmt.Fprint(a.stdout, b.String()); err != nil {
		return err
	}
	fmt.Fprintf(a.stderr, "vem: fake Enterprise Manager serving %d task sessions at %s; stop it with Ctrl-C or SIGTERM\n", dataset+1, s.URL)

	<-cmd.Context().Done()
	fmt.Fprintln(a.stderr, "vem: fake Enterprise Manager stopped")
	return nil
}

// shellQuote quotes s for POSIX shells: in single quotes, each inner
// single quote closing the quotes, escaped, and reopening them.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
