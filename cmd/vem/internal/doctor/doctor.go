// Package doctor is "vem doctor": check the connection to Enterprise
// Manager step by step, and say what to fix.
package doctor

import (
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/spf13/cobra"
	"github.com/vemkit/vem/cmd/vem/internal/cmdutil"
)

// Limits and thresholds of vem doctor.
const (
	// doctorDialTimeout bounds the TCP connect and the TLS handshake, as
	// the SDK's transport does.
	doctorDialTimeout = 15 * time.Second
	// doctorRequestTimeout bounds each raw request of the EM checks.
	doctorRequestTimeout = time.Minute
	// doctorMaxSkew is the clock difference above which doctor warns.
	doctorMaxSkew = 5 * time.Minute
	// doctorCertWarning is how close to its expiry a certificate gets a
	// warning.
	doctorCertWarning = 30 * 24 * time.Hour
	// doctorMaxBody bounds what doctor reads of an answer.
	doctorMaxBody = 1 << 20

	// doctorQueryPath is the query service read of the query check.
	doctorQueryPath = "/api/query?type=BackupTaskSession&pageSize=1"
)

// Status words of a doctor line.
const (
	doctorOK   = "ok"
	doctorWarn = "warn"
	doctorFail = "FAIL"
)

// Options is what "vem doctor" was asked to do.
type Options struct {
	f   *cmdutil.Factory
	cmd *cobra.Command
}

// NewCmdDoctor builds "vem doctor". runF, when not nil, replaces the run
// function.
func NewCmdDoctor(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	o := &Options{f: f}
	return &cobra.Command{
		Use:   "doctor",
		Short: "Check the connection to Enterprise Manager, step by step",
		Long: `Check, in order, what a command needs to reach Enterprise Manager, with the
connection settings every command uses (--url, --username, VEM_PASSWORD or
--password-stdin, --ca-file, --insecure, --timeout and their VEM_* variables):

  url     the address: https, port 9398 (9419 is the Veeam Backup & Replication
          REST API, not EM), no path but /api
  tcp     the port accepts connections (15s connection timeout)
  tls     the handshake; whether --ca-file or the system pool trusts the
          certificate; its subject, SANs and expiry (30 days or less: warning)
  em      GET /api/ answers EM's EnterpriseManager document; its API versions
  json    GET /api/ with Accept: application/json; EM 12 (PascalCase) or
          EM 13 (camelCase) keys
  logon   the credentials open a session (401: wrong user name or password;
          403: no EM role)
  query   GET /api/query?type=BackupTaskSession&pageSize=1 (403: the account
          lacks an EM role)
  clock   the server's Date header against this machine's clock (warning
          above 5 minutes)
  logout  the session doctor opened is closed again

Each check prints one line on stdout: ok, warn or FAIL, the check, what it
found and, when it fails, what to do. A failure that the later checks depend
on (url, tcp, tls, em) stops there. Secrets are never printed. The exit code
is 0 when nothing failed (warnings included), else that of the first failure:
2 usage (the address or the settings), 4 authentication or permission,
5 unreachable (TCP, TLS, a proxy's 502/503/504), 9 a server that is not EM
(the em check), 1 anything else (vem help exit-codes).`,
		Example: `  vem doctor
  VEM_URL=https://em.example.com:9398 VEM_USERNAME='CORP\svc-backup' vem doctor`,
		Args:              cmdutil.ExactArgs(),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.cmd = cmd
			if runF != nil {
				return runF(o)
			}
			return o.Run()
		},
	}
}

// Run runs the checks in order.
func (o *Options) Run() error {
	if err := o.f.Resolve(o.cmd); err != nil {
		return err
	}
	ctx, cancel := o.f.CommandContext(o.cmd)
	defer cancel()
	d := &doctor{f: o.f, cmd: o.cmd, out: o.f.IO.Out}
	return d.run(ctx)
}

// doctor is one run of vem doctor: what the checks found so far.
type doctor struct {
	f   *cmdutil.Factory
	cmd *cobra.Command
	out io.Writer

	failures   int
	firstCheck string // the check that failed first
	firstCode  int    // its exit code

	origin   *url.URL // scheme://host:port of EM
	host     string   // host name or IP, without brackets
	port     string   // the port, explicit or the scheme's default
	hostport string
	caPool   *x509.CertPool
	hc       *http.Client // for the raw requests of the em and json checks

	dateSeen   bool
	serverDate time.Time // the Date header of the last raw answer
	localDate  time.Time // this machine's time when that answer arrived
	borrowed   bool      // the session is the user's, from VEM_SESSION_ID or --session-id-stdin

	// proxyFor is the proxy the SDK's transport would use; nil means
	// http.ProxyFromEnvironment.
	proxyFor func(*http.Request) (*url.URL, error)
}

// report prints one line: status, check, finding and, on a failure or a
// warning that has one, what to do. code is the exit code of a failure.
func (d *doctor) report(status, check, finding, fix string, code int) {
	line := fmt.Sprintf("%-4s  %-6s  %s", status, check, finding)
	if fix != "" {
		line += "; fix: " + fix
	}
	fmt.Fprintln(d.out, line)
	if status == doctorFail {
		d.failures++
		if d.firstCheck == "" {
			d.firstCheck, d.firstCode = check, code
		}
	}
}

// result is the error of the run: nil when no check failed.
func (d *doctor) result() error {
	if d.failures == 0 {
		return nil
	}
	// The exit code is that of the first failed check.
	msg := fmt.Sprintf("doctor: the %s check failed", d.firstCheck)
	if d.failures > 1 {
		msg = fmt.Sprintf("doctor: %d checks failed, the first: %s", d.failures, d.firstCheck)
	}
	return &cmdutil.ExitError{Code: d.firstCode, Msg: msg}
}

// run performs the checks in order.
func (d *doctor) run(ctx context.Context) error {
	if !d.checkURL() {
		return d.result()
	}
	if !d.checkTCP(ctx) {
		return d.result()
	}
	if !d.checkTLS(ctx) {
		return d.result()
	}
	d.hc = d.httpClient()
	defer d.hc.CloseIdleConnections()
	if !d.checkEM(ctx) {
		return d.result()
	}
	d.checkJSON(ctx)
	d.checkSession(ctx)
	return d.result()
}
