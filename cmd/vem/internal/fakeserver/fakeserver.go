// Package fakeserver is "vem fake-server": vemtest, the SDK's fake
// Enterprise Manager, in the foreground, for scripts' own tests.
package fakeserver

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/vemkit/vem/cmd/vem/internal/cmdutil"
	"github.com/vemkit/vem/vemtest"
)

// defaultFakeAddr is where "vem fake-server" listens unless --addr says
// otherwise: EM's own port, on loopback only.
const defaultFakeAddr = "127.0.0.1:9398"

// Options is what "vem fake-server" was asked to run.
type Options struct {
	f   *cmdutil.Factory
	cmd *cobra.Command

	Addr          string
	Dataset       int
	Fleet         int    // VMs of a generated fleet; 0: none
	ForbiddenUser string // "user:password"
	IdleTimeout   time.Duration
	Latency       time.Duration
	FailRate      float64
	FailStatus    int
	JSONStyle     string // em12 or em13
	RunTime       time.Duration
	CollectionLag time.Duration
}

// NewCmdFakeServer builds "vem fake-server". runF, when not nil, replaces
// the run function.
func NewCmdFakeServer(f *cmdutil.Factory, runF func(*Options, []vemtest.Option) error) *cobra.Command {
	o := &Options{f: f}
	cmd := &cobra.Command{
		Use:   "fake-server",
		Short: "Run a fake Enterprise Manager for scripts' own tests",
		Long: `Run vemtest, the SDK's fake Enterprise Manager, in the foreground: HTTPS with
a fresh self-signed certificate, the documented seed task session
88322206-a645-4aa3-9228-028ce51e7c0f and --dataset generated ones.

--fleet N serves instead a generated estate of N VMs backed up daily for the
last days, relative to the current time: failures, automatic retries that
recover or fail again, warnings, runs in progress, a job that stopped running
and VMs in two jobs, so that "vem health" shows every status on any day.

It prints its address, credentials and CA certificate file as shell exports on
stdout, then serves until SIGINT or SIGTERM, and exits 0. The certificate file
is removed on exit. Listening on all interfaces (0.0.0.0 or ::) prints a
loopback URL, which the certificate covers.

Flags simulate what a script must handle:
  --forbidden-user user:password  an account that logs on but gets 403 (exit 4)
  --idle-timeout 30s              sessions end after this idle time (EM: 15m)
  --latency 500ms                 every request waits this long
  --fail-rate 0.2 --fail-status 503  a share of requests fail with the status
  --json-style em13               JSON keys as EM 13 writes them (camelCase)
  --run-time 5s                   how long a started job runs
  --collection-lag 20m            finished sessions reach the query service late

Its backup jobs can be started ('vem job start NAME --wait'): a run lasts
--run-time and ends with a random result (Success 70%, Warning 15%, Failed
15%); --collection-lag delays when finished sessions reach the query service,
as EM's collection from backup servers does.`,
		Example: `  env_file=$(mktemp)
  vem fake-server --addr 127.0.0.1:0 > "$env_file" & server=$!
  until grep -q VEM_CA_FILE "$env_file"; do
    kill -0 "$server" 2>/dev/null || { echo "fake-server failed" >&2; exit 1; }
    sleep 0.1
  done
  . "$env_file"
  vem task-session get 88322206-a645-4aa3-9228-028ce51e7c0f -o json | jq .
  kill "$server"; wait "$server"; rm -f "$env_file"`,
		Args:              cmdutil.ExactArgs(),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.cmd = cmd
			opts, err := o.serverOptions(cmd)
			if err != nil {
				return err
			}
			if runF != nil {
				return runF(o, opts)
			}
			return o.Run(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Addr, "addr", defaultFakeAddr, "listen address (host:port; port 0 picks a free one)")
	fl.IntVar(&o.Dataset, "dataset", vemtest.DefaultDatasetSize, "number of generated task sessions besides the seed one")
	fl.IntVar(&o.Fleet, "fleet", 0, "serve a generated estate of this many VMs backed up daily (0: none)")
	fl.StringVar(&o.ForbiddenUser, "forbidden-user", "", "user:password of an account that logs on but lacks an EM role (403)")
	fl.DurationVar(&o.IdleTimeout, "idle-timeout", vemtest.DefaultIdleTimeout, "idle time after which a session ends (0: never)")
	fl.DurationVar(&o.Latency, "latency", 0, "delay added to every request")
	fl.Float64Var(&o.FailRate, "fail-rate", 0, "share of resource requests that fail with --fail-status (0 to 1)")
	fl.IntVar(&o.FailStatus, "fail-status", 503, "HTTP status of the failures of --fail-rate")
	fl.StringVar(&o.JSONStyle, "json-style", "em12", "key casing of JSON answers: em12 (PascalCase) or em13 (camelCase)")
	fl.DurationVar(&o.RunTime, "run-time", vemtest.DefaultRunTime, "how long a started job runs")
	fl.DurationVar(&o.CollectionLag, "collection-lag", 0, "how long after they end the sessions of started jobs reach the query service")
	_ = cmd.RegisterFlagCompletionFunc("json-style", cmdutil.FixedCompletion("em12", "em13"))
	cmdutil.NoFileCompletions(cmd, "addr", "dataset", "fleet", "forbidden-user", "idle-timeout", "latency", "fail-rate", "fail-status", "run-time", "collection-lag")
	cmdutil.NotApplicable(cmd, connectionFlags...)
	return cmd
}

// connectionFlags are the global flags that do not apply to a fake server.
var connectionFlags = []string{"url", "username", "password-stdin", "session-id-stdin", "insecure", "ca-file", "timeout", "format", "output", "verbose"}

// serverOptions checks the flags and maps them to vemtest options.
func (o *Options) serverOptions(cmd *cobra.Command) ([]vemtest.Option, error) {
	if o.Dataset < 0 {
		return nil, cmdutil.Usagef(cmd, "--dataset must not be negative")
	}
	if o.Fleet < 0 {
		return nil, cmdutil.Usagef(cmd, "--fleet must not be negative")
	}
	if _, _, err := net.SplitHostPort(o.Addr); err != nil {
		return nil, cmdutil.Usagef(cmd, "--addr: %v", err)
	}
	var opts []vemtest.Option
	if o.Fleet > 0 {
		// the fleet replaces the generated data set unless --dataset asks for it
		opts = append(opts, vemtest.WithFleet(vemtest.DefaultFleet(o.Fleet)))
		if !cmd.Flags().Changed("dataset") {
			o.Dataset = 0
		}
	}
	opts = append(opts, vemtest.WithAddr(o.Addr), vemtest.WithDataset(o.Dataset), vemtest.WithIdleTimeout(o.IdleTimeout))
	if o.ForbiddenUser != "" {
		user, password, ok := strings.Cut(o.ForbiddenUser, ":")
		if !ok || user == "" || password == "" {
			return nil, cmdutil.Usagef(cmd, "--forbidden-user: want user:password")
		}
		opts = append(opts, vemtest.WithForbiddenUser(user, password))
	}
	switch strings.ToLower(o.JSONStyle) {
	case "em12":
		opts = append(opts, vemtest.WithJSONStyle(vemtest.JSONStyleEM12PascalCase))
	case "em13":
		opts = append(opts, vemtest.WithJSONStyle(vemtest.JSONStyleEM13CamelCase))
	default:
		return nil, cmdutil.Usagef(cmd, "--json-style: invalid value %q (want em12 or em13)", o.JSONStyle)
	}
	switch {
	case o.Latency < 0:
		return nil, cmdutil.Usagef(cmd, "--latency must not be negative")
	case o.FailRate < 0 || o.FailRate > 1:
		return nil, cmdutil.Usagef(cmd, "--fail-rate: %v is not between 0 and 1", o.FailRate)
	case o.FailStatus < 400 || o.FailStatus > 599:
		return nil, cmdutil.Usagef(cmd, "--fail-status: %d is not an HTTP error status (400 to 599)", o.FailStatus)
	case cmd.Flags().Changed("fail-status") && o.FailRate == 0:
		return nil, cmdutil.Usagef(cmd, "--fail-status needs --fail-rate")
	case o.RunTime < 0 || o.CollectionLag < 0:
		return nil, cmdutil.Usagef(cmd, "--run-time and --collection-lag must not be negative")
	}
	opts = append(opts, vemtest.WithRunTime(o.RunTime), vemtest.WithCollectionLag(o.CollectionLag))
	return opts, nil
}

// Run serves until the command's context ends (SIGINT, SIGTERM).
func (o *Options) Run(opts []vemtest.Option) (err error) {
	io := o.f.IO
	// vemtest panics when it cannot listen; check first for a clear error.
	l, err := net.Listen("tcp", o.Addr)
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
	s := vemtest.NewServer(opts...)
	defer s.Close()
	if o.Latency > 0 {
		s.SetLatency(o.Latency)
	}
	if o.FailRate > 0 {
		s.SetFaults(vemtest.Faults{Seed: time.Now().UnixNano(), ErrorRate: o.FailRate, ErrorStatus: o.FailStatus})
	}

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
	serverURL := ReachableURL(s.URL, o.Addr)
	var b strings.Builder
	for _, kv := range [][2]string{
		{cmdutil.EnvURL, serverURL},
		{cmdutil.EnvUsername, s.Username},
		{cmdutil.EnvPassword, s.Password},
		{cmdutil.EnvCAFile, caFile},
	} {
		fmt.Fprintf(&b, "export %s=%s\n", kv[0], shellQuote(kv[1]))
	}
	if _, err := fmt.Fprint(io.Out, b.String()); err != nil {
		return err
	}
	if err := io.Out.Flush(); err != nil {
		return err
	}
	if o.Fleet > 0 {
		fmt.Fprintf(io.ErrOut, "vem: fake Enterprise Manager serving a fleet of %d VMs at %s; stop it with Ctrl-C or SIGTERM\n", o.Fleet, serverURL)
	} else {
		fmt.Fprintf(io.ErrOut, "vem: fake Enterprise Manager serving %d task sessions at %s; stop it with Ctrl-C or SIGTERM\n", o.Dataset+1, serverURL)
	}

	<-o.cmd.Context().Done()
	fmt.Fprintln(io.ErrOut, "vem: fake Enterprise Manager stopped")
	return nil
}

// ReachableURL replaces an unspecified listen address (0.0.0.0, ::) in u by
// the loopback address of the family asked for in addr (Go may listen on
// [::] for 0.0.0.0): a client cannot connect to "all interfaces", and the
// certificate names the loopback addresses.
func ReachableURL(u, addr string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	ip := net.ParseIP(p.Hostname())
	if ip == nil || !ip.IsUnspecified() {
		return u
	}
	host := "127.0.0.1"
	if h, _, err := net.SplitHostPort(addr); err == nil && strings.Contains(h, ":") {
		host = "::1"
	}
	p.Host = net.JoinHostPort(host, p.Port())
	return p.String()
}

// shellQuote quotes s for POSIX shells: in single quotes, each inner
// single quote closing the quotes, escaped, and reopening them.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
