package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/spf13/cobra"
	"github.com/vemkit/vem"
	"github.com/vemkit/vem/internal/em"
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

	emPort      = "9398" // Enterprise Manager REST API
	vbrRESTPort = "9419" // Veeam Backup & Replication REST API
	emWebPort   = "9443" // Enterprise Manager web portal

	// doctorQueryPath is the query service read of the query check.
	doctorQueryPath = "/api/query?type=BackupTaskSession&pageSize=1"
)

// Status words of a doctor line.
const (
	doctorOK   = "ok"
	doctorWarn = "warn"
	doctorFail = "FAIL"
)

func (a *app) newDoctorCmd() *cobra.Command {
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
5 unreachable (TCP, TLS), 1 anything else (a server that is not EM).`,
		Example: `  vem doctor
  VEM_URL=https://em.example.com:9398 VEM_USERNAME='CORP\svc-backup' vem doctor`,
		Args:              exactArgs(),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := a.resolve(cmd); err != nil {
				return err
			}
			ctx, cancel := a.commandContext(cmd)
			defer cancel()
			d := &doctor{a: a, cmd: cmd, out: a.stdout}
			return d.run(ctx)
		},
	}
}

// doctor is one run of vem doctor: what the checks found so far.
type doctor struct {
	a   *app
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

// doctorFailure is the error of a doctor run with a failed check. Its exit
// code is that of the first failure.
type doctorFailure struct {
	failures int
	check    string
	code     int
}

func (e *doctorFailure) Error() string {
	if e.failures == 1 {
		return fmt.Sprintf("doctor: the %s check failed", e.check)
	}
	return fmt.Sprintf("doctor: %d checks failed, the first: %s", e.failures, e.check)
}

// exitCode is the exit code of the first failed check.
func (e *doctorFailure) exitCode() int { return e.code }

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
	return &doctorFailure{failures: d.failures, check: d.firstCheck, code: d.firstCode}
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

// ---- url ----

// checkURL checks the address and sets origin, host and port. It reports
// false when the address is unusable.
func (d *doctor) checkURL() bool {
	const check = "url"
	raw := strings.TrimSpace(d.a.g.url)
	if raw == "" {
		d.report(doctorFail, check, "no address", "set --url or "+envURL+", e.g. https://em.example.com:"+emPort, exitUsage)
		return false
	}
	u, err := url.Parse(raw)
	if err != nil {
		// The message of a *url.Error repeats the address, which may hold
		// a password: print only its cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		d.report(doctorFail, check, "not a valid URL: "+doctorClean(err.Error()), "give https://HOST:"+emPort, exitUsage)
		return false
	}
	if u.User != nil {
		d.report(doctorFail, check, "the address carries a user name or password",
			"remove it from the URL; give the user in --username ("+envUsername+") and the password in "+envPassword+" or --password-stdin", exitUsage)
		return false
	}
	shown := (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
	scheme := strings.ToLower(u.Scheme)
	var warn []string
	var fix []string
	switch {
	case scheme == "https":
	case scheme == "http" && d.a.g.insecure:
		warn = append(warn, "plain http (allowed by --insecure): the password and the session token travel in clear text")
		fix = append(fix, "use https://")
	case scheme == "http":
		d.report(doctorFail, check, doctorClean(shown)+": plain http sends the password and the session token in clear text",
			"use https://, or add --insecure ("+envInsecure+"=1) on a trusted network", exitUsage)
		return false
	case scheme == "":
		d.report(doctorFail, check, doctorClean(shown)+": not an absolute URL", "give https://HOST:"+emPort, exitUsage)
		return false
	default:
		d.report(doctorFail, check, doctorClean(shown)+": scheme "+strconv.Quote(u.Scheme)+" is not https", "give https://HOST:"+emPort, exitUsage)
		return false
	}
	if u.Hostname() == "" {
		d.report(doctorFail, check, doctorClean(shown)+": no host", "give https://HOST:"+emPort, exitUsage)
		return false
	}
	if u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		d.report(doctorFail, check, doctorClean(shown)+": the address has a query or fragment", "give only https://HOST:"+emPort, exitUsage)
		return false
	}
	if p := strings.TrimRight(u.Path, "/"); p != "" && p != "/api" {
		d.report(doctorFail, check, doctorClean(shown)+": unexpected path "+strconv.Quote(u.Path)+"; EM serves its API at /api/",
			"give https://HOST:"+emPort+" (a path of /api is accepted too)", exitUsage)
		return false
	}
	port := u.Port()
	explicit := port != ""
	if !explicit {
		port = map[string]string{"http": "80", "https": "443"}[scheme]
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		d.report(doctorFail, check, doctorClean(shown)+": invalid port "+strconv.Quote(port), "give https://HOST:"+emPort, exitUsage)
		return false
	}
	portNote := "port " + port
	switch {
	case !explicit:
		portNote = "port " + port + " (none given)"
		warn = append(warn, "no port: "+scheme+" connects to "+port+", EM's REST API listens on "+emPort)
		fix = append(fix, "add :"+emPort+" unless a proxy serves EM on "+port)
	case port == vbrRESTPort:
		warn = append(warn, "port "+vbrRESTPort+" is the Veeam Backup & Replication REST API, not Enterprise Manager")
		fix = append(fix, "use EM's port: https://"+u.Host[:len(u.Host)-len(port)]+emPort)
	case port == emWebPort:
		warn = append(warn, "port "+emWebPort+" is EM's web portal, not its REST API")
		fix = append(fix, "use EM's port: https://"+u.Host[:len(u.Host)-len(port)]+emPort)
	case port != emPort:
		portNote += " (EM's default is " + emPort + ")"
	}

	d.origin = &url.URL{Scheme: scheme, Host: u.Host}
	d.host = u.Hostname()
	d.port = port
	d.hostport = net.JoinHostPort(d.host, port)
	finding := fmt.Sprintf("%s: %s, %s, API at /api/", doctorClean(shown), scheme, portNote)
	if len(warn) > 0 {
		d.report(doctorWarn, check, finding+": "+strings.Join(warn, "; "), strings.Join(fix, "; "), 0)
	} else {
		d.report(doctorOK, check, finding, "", 0)
	}
	return true
}

// ---- tcp ----

// checkTCP connects to the host and port.
func (d *doctor) checkTCP(ctx context.Context) bool {
	const check = "tcp"
	dialer := &net.Dialer{Timeout: doctorDialTimeout}
	start := time.Now()
	conn, err := dialer.DialContext(ctx, "tcp", d.hostport)
	if err != nil {
		finding, fix := d.describeDialError(err)
		d.report(doctorFail, check, finding, fix, exitUnreachable)
		return false
	}
	elapsed := time.Since(start)
	remote := conn.RemoteAddr().String()
	conn.Close()
	via := ""
	if remote != d.hostport {
		via = remote + ", "
	}
	finding := fmt.Sprintf("%s accepts connections (%sconnected in %s; timeout %s)",
		doctorClean(d.hostport), via, doctorRoundDuration(elapsed), doctorDialTimeout)
	if p := d.proxy(); p != "" {
		d.report(doctorWarn, check, finding+"; but the environment sets a proxy, "+p+", for this address: vem's requests go through it, this check did not",
			"make sure the proxy reaches EM, or exclude the host in NO_PROXY", 0)
		return true
	}
	d.report(doctorOK, check, finding, "", 0)
	return true
}

// proxy returns the host of the proxy the environment sets for EM's
// address (HTTPS_PROXY, NO_PROXY), or "".
func (d *doctor) proxy() string {
	req := &http.Request{URL: &url.URL{Scheme: d.origin.Scheme, Host: d.origin.Host, Path: "/api/"}}
	proxyFor := d.proxyFor
	if proxyFor == nil {
		proxyFor = http.ProxyFromEnvironment
	}
	p, err := proxyFor(req)
	if err != nil || p == nil {
		return ""
	}
	return doctorClean(p.Host) // never p.User
}

// describeDialError explains a failed connection and what to do.
func (d *doctor) describeDialError(err error) (finding, fix string) {
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, context.DeadlineExceeded) && d.a.g.timeout > 0:
		return "no connection to " + d.hostport + " before --timeout (" + d.a.g.timeout.String() + ") was reached",
			"raise --timeout, or check the host, the port and the firewall"
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return "host " + strconv.Quote(doctorClean(d.host)) + " not found in DNS",
			"check the host name in --url (" + envURL + ")"
	case errors.As(err, &dnsErr):
		return "DNS lookup of " + strconv.Quote(doctorClean(d.host)) + " failed: " + doctorClean(dnsErr.Err),
			"check the DNS servers of this machine"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection to " + d.hostport + " refused: nothing listens on port " + d.port,
			"check that the Veeam RESTful API service runs on the EM server and that the port is " + emPort
	case doctorIsTimeout(err):
		return "no answer from " + d.hostport + " within " + doctorDialTimeout.String(),
			"check the host and the port; a firewall may drop the packets"
	}
	return "cannot connect to " + d.hostport + ": " + doctorClean(err.Error()),
		"check the host, the port and the network between"
}

func doctorIsTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// ---- tls ----

// checkTLS shakes hands with the server and checks its certificate as the
// SDK would, then tells why it would fail: an untrusted CA, a host name
// the certificate does not name, or a validity period.
func (d *doctor) checkTLS(ctx context.Context) bool {
	const check = "tls"
	if d.origin.Scheme != "https" {
		d.report(doctorWarn, check, "not used: plain http (allowed by --insecure)", "use https://", 0)
		return true
	}
	if d.a.g.caFile != "" && !d.a.g.insecure {
		pool, err := vem.LoadCAFile(d.a.g.caFile)
		if err != nil {
			d.report(doctorFail, check, "--ca-file ("+envCAFile+"): "+doctorClean(err.Error()),
				"give a PEM file of the CA certificates to trust", exitUsage)
			return false
		}
		d.caPool = pool
	}

	conf := &tls.Config{
		MinVersion:         tls.VersionTLS12, // as the SDK
		InsecureSkipVerify: true,             //nolint:gosec // verified below, to say why it fails
	}
	if net.ParseIP(d.host) == nil {
		conf.ServerName = d.host
	}
	dialer := &tls.Dialer{NetDialer: &net.Dialer{Timeout: doctorDialTimeout}, Config: conf}
	hctx, cancel := context.WithTimeout(ctx, doctorDialTimeout)
	defer cancel()
	nc, err := dialer.DialContext(hctx, "tcp", d.hostport)
	if err != nil {
		finding := "TLS handshake with " + d.hostport + " failed: " + doctorClean(err.Error())
		fix := "check that the port serves HTTPS with TLS 1.2 or later"
		var record tls.RecordHeaderError
		if errors.As(err, &record) {
			finding = "the server on " + d.hostport + " does not speak TLS"
			if bytes.HasPrefix(record.RecordHeader[:], []byte("HTTP/")) {
				finding = "the server on " + d.hostport + " speaks plain HTTP, not TLS"
			}
			fix = "use the HTTPS port of EM (" + emPort + ")"
		}
		if doctorIsTimeout(err) && ctx.Err() == nil {
			finding = "TLS handshake with " + d.hostport + " not done within " + doctorDialTimeout.String()
			fix = "check that the port serves HTTPS (EM: " + emPort + ") and that nothing in between holds the connection"
		}
		if errors.Is(err, context.DeadlineExceeded) && d.a.g.timeout > 0 && ctx.Err() != nil {
			finding = "TLS handshake with " + d.hostport + " not done before --timeout (" + d.a.g.timeout.String() + ") was reached"
			fix = "raise --timeout"
		}
		d.report(doctorFail, check, finding, fix, exitUnreachable)
		return false
	}
	state := nc.(*tls.Conn).ConnectionState()
	nc.Close()
	if len(state.PeerCertificates) == 0 {
		d.report(doctorFail, check, "the server sent no certificate", "configure EM's certificate", exitUnreachable)
		return false
	}
	leaf := state.PeerCertificates[0]
	now := d.a.now()
	desc := doctorDescribeCertificate(state, now)

	// Trust, apart from the validity period (checked on its own below):
	// verify at a time inside it.
	at := now
	if at.Before(leaf.NotBefore) {
		at = leaf.NotBefore
	}
	if at.After(leaf.NotAfter) {
		at = leaf.NotAfter
	}
	inter := x509.NewCertPool()
	for _, c := range state.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	verify := func(roots *x509.CertPool) error {
		_, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: at})
		return err
	}
	// The SDK trusts --ca-file alone when it is given, else the system
	// pool; say what both would do.
	systemErr := verify(nil) // nil Roots: the system pool
	trustErr := systemErr
	var trust string
	if d.caPool != nil {
		trustErr = verify(d.caPool)
		switch {
		case trustErr == nil && systemErr == nil:
			trust = "trusted by --ca-file (and by the system pool)"
		case trustErr == nil:
			trust = "trusted by --ca-file (not by the system pool)"
		case systemErr == nil:
			trust = "not trusted by --ca-file (but by the system pool)"
		default:
			trust = "not trusted by --ca-file nor by the system pool"
		}
	} else if systemErr == nil {
		trust = "trusted by the system pool"
	} else {
		trust = "not trusted by the system pool"
	}
	hostErr := leaf.VerifyHostname(d.host)

	var problems, fixes []string
	if trustErr != nil {
		p := trust
		if doctorIsSelfSigned(leaf) {
			p += " (self-signed, EM's default)"
		} else {
			p += " (issuer " + doctorClean(leaf.Issuer.String()) + ")"
		}
		problems = append(problems, p)
		switch {
		case d.caPool != nil && systemErr == nil:
			fixes = append(fixes, "the system pool trusts it: drop --ca-file ("+envCAFile+")")
		case d.caPool != nil:
			fixes = append(fixes, "put the certificate of its CA (for a self-signed one, the certificate itself) in "+d.a.g.caFile+" as PEM")
		default:
			fixes = append(fixes, "give its CA as PEM with --ca-file ("+envCAFile+"), or add the CA to the system pool")
		}
	}
	if hostErr != nil {
		names := doctorCertificateNames(leaf)
		p := "issued for " + names + ", not for " + strconv.Quote(doctorClean(d.host)) + " (host name mismatch)"
		if len(leaf.DNSNames) == 0 && len(leaf.IPAddresses) == 0 {
			p = "no subject alternative names, so valid for no host name (the common name is not used)"
		}
		problems = append(problems, p)
		if alt := doctorFirstCertificateName(leaf); alt != "" {
			fixes = append(fixes, "connect by a name the certificate holds, e.g. --url https://"+net.JoinHostPort(alt, d.port)+", or reissue it for "+doctorClean(d.host))
		} else {
			fixes = append(fixes, "reissue the certificate with "+doctorClean(d.host)+" in its subject alternative names")
		}
	}
	switch {
	case now.Before(leaf.NotBefore):
		problems = append(problems, "not valid before "+leaf.NotBefore.UTC().Format(time.RFC3339))
		fixes = append(fixes, "check the clocks of this machine and of EM")
	case now.After(leaf.NotAfter):
		problems = append(problems, "expired on "+leaf.NotAfter.UTC().Format(time.RFC3339))
		fixes = append(fixes, "renew EM's certificate (and check this machine's clock)")
	}

	if d.a.g.insecure {
		finding := desc + "; verification skipped by --insecure"
		if len(problems) > 0 {
			finding += ", without it: " + strings.Join(problems, "; ")
		} else {
			finding += ", without it " + trust
		}
		d.report(doctorWarn, check, finding, "drop --insecure once the certificate is trusted", 0)
		return true
	}
	if len(problems) > 0 {
		d.report(doctorFail, check, desc+": "+strings.Join(problems, "; "), strings.Join(fixes, "; "), exitUnreachable)
		return false
	}
	if left := leaf.NotAfter.Sub(now); left < doctorCertWarning {
		d.report(doctorWarn, check, desc+"; "+trust+", but expires in "+doctorRoundDays(left),
			"renew EM's certificate before it expires", 0)
		return true
	}
	d.report(doctorOK, check, desc+"; "+trust, "", 0)
	return true
}

// doctorDescribeCertificate says what the server presented: TLS version,
// subject, names and expiry.
func doctorDescribeCertificate(state tls.ConnectionState, now time.Time) string {
	leaf := state.PeerCertificates[0]
	return fmt.Sprintf("%s, certificate %s, SANs %s, expires %s (%s)",
		tls.VersionName(state.Version),
		strconv.Quote(doctorClean(leaf.Subject.String())),
		doctorCertificateNames(leaf),
		leaf.NotAfter.UTC().Format("2006-01-02"),
		doctorExpiryNote(leaf.NotAfter.Sub(now)))
}

func doctorExpiryNote(left time.Duration) string {
	if left < 0 {
		return doctorRoundDays(-left) + " ago"
	}
	return "in " + doctorRoundDays(left)
}

func doctorRoundDays(d time.Duration) string {
	days := int(d / (24 * time.Hour))
	if days == 1 {
		return "1 day"
	}
	if days == 0 && d > 0 {
		return "less than a day"
	}
	return strconv.Itoa(days) + " days"
}

// doctorCertificateNames lists the DNS names and IP addresses a certificate is
// valid for.
func doctorCertificateNames(c *x509.Certificate) string {
	var names []string
	for _, n := range c.DNSNames {
		names = append(names, doctorClean(n))
	}
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// doctorFirstCertificateName returns a name to connect by: the first DNS name
// without a wildcard, else the first IP address.
func doctorFirstCertificateName(c *x509.Certificate) string {
	for _, n := range c.DNSNames {
		if !strings.Contains(n, "*") && doctorClean(n) == n && n != "" {
			return n
		}
	}
	if len(c.IPAddresses) > 0 {
		return c.IPAddresses[0].String()
	}
	return ""
}

func doctorIsSelfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawIssuer, c.RawSubject) && c.CheckSignatureFrom(c) == nil
}

// ---- em and json ----

// httpClient returns the client of the raw requests: the TLS settings the
// SDK would use, no redirects followed, no cookies.
func (d *doctor) httpClient() *http.Client {
	proxy := d.proxyFor
	if proxy == nil {
		proxy = http.ProxyFromEnvironment
	}
	return &http.Client{
		Transport: &http.Transport{
			Proxy:       proxy,
			DialContext: (&net.Dialer{Timeout: doctorDialTimeout}).DialContext,
			TLSClientConfig: &tls.Config{
				MinVersion:         tls.VersionTLS12,
				RootCAs:            d.caPool,
				InsecureSkipVerify: d.a.g.insecure, //nolint:gosec // the user's choice, reported by the tls check
			},
			TLSHandshakeTimeout:   doctorDialTimeout,
			ResponseHeaderTimeout: doctorRequestTimeout,
		},
		Timeout: doctorRequestTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// doctorResponse is a raw answer, its body read up to doctorMaxBody.
type doctorResponse struct {
	status      int
	contentType string
	header      http.Header
	body        []byte
}

// get sends GET /api/ (or another path) with an Accept type and notes the
// answer's Date header.
func (d *doctor) get(ctx context.Context, path, accept string) (*doctorResponse, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.origin.String()+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", "vem-cli/"+vem.Version+" doctor "+vem.DefaultUserAgent)
	resp, err := d.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	d.noteDate(resp.Header.Get("Date"))
	body, err := io.ReadAll(io.LimitReader(resp.Body, doctorMaxBody))
	if err != nil {
		return nil, err
	}
	return &doctorResponse{status: resp.StatusCode, contentType: resp.Header.Get("Content-Type"), header: resp.Header, body: body}, nil
}

// noteDate keeps the Date of the latest answer for the clock check.
func (d *doctor) noteDate(h string) {
	local := d.a.now()
	t, err := http.ParseTime(h)
	if h == "" || err != nil {
		return
	}
	d.dateSeen, d.serverDate, d.localDate = true, t, local
}

// doctorEMRoot is the part of EM's EnterpriseManager document doctor reads.
type doctorEMRoot struct {
	XMLName  xml.Name
	Versions []struct {
		Name string `xml:"Name,attr"`
	} `xml:"SupportedVersions>SupportedVersion"`
}

const doctorEMNamespace = em.Namespace

// checkEM asks GET /api/ for EM's EnterpriseManager document.
func (d *doctor) checkEM(ctx context.Context) bool {
	const check = "em"
	notEM := "point --url at EM's REST API, https://EM-HOST:" + emPort + " (" + vbrRESTPort + " is the Veeam Backup & Replication REST API, " + emWebPort + " EM's web portal)"
	resp, err := d.get(ctx, "/api/", "application/xml")
	if err != nil {
		d.report(doctorFail, check, "GET /api/ failed: "+d.requestError(err), "check the network and the proxy settings", exitUnreachable)
		return false
	}
	if resp.status != http.StatusOK {
		finding := fmt.Sprintf("GET /api/ answered %s%s, not EM's EnterpriseManager document", doctorStatusText(resp.status), doctorDescribeBody(resp))
		code := exitNotEM
		switch resp.status {
		case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			code = exitUnreachable
			notEM = "a proxy or load balancer in front of EM got no answer: check that the Veeam RESTful API service runs"
		case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
			finding += "; it redirects to " + strconv.Quote(doctorClean(resp.header.Get("Location")))
		}
		if strings.HasPrefix(strings.ToLower(resp.header.Get("WWW-Authenticate")), "bearer") {
			finding += "; it asks for a Bearer token, as the Veeam Backup & Replication REST API does"
		}
		if d.port == vbrRESTPort {
			finding += "; port " + vbrRESTPort + " is the Veeam Backup & Replication REST API"
		}
		d.report(doctorFail, check, finding, notEM, code)
		return false
	}
	var root doctorEMRoot
	if err := xml.Unmarshal(resp.body, &root); err != nil || root.XMLName.Local != "EnterpriseManager" || root.XMLName.Space != doctorEMNamespace {
		what := "a document that is not XML"
		if err == nil {
			what = "XML root " + strconv.Quote(doctorClean(root.XMLName.Local))
		}
		d.report(doctorFail, check, fmt.Sprintf("GET /api/ answered 200 with %s%s, not EM's EnterpriseManager document", what, doctorDescribeBody(resp)), notEM, exitNotEM)
		return false
	}
	var versions []string
	latest := false
	for _, v := range root.Versions {
		name := doctorClean(v.Name)
		versions = append(versions, name)
		if strings.EqualFold(name, "v1_7") {
			latest = true
		}
	}
	if len(versions) == 0 {
		d.report(doctorWarn, check, "Enterprise Manager, but GET /api/ lists no API versions", "check the EM version: vem needs API v1_7 (Veeam Backup & Replication 12 or later)", 0)
		return true
	}
	finding := "Enterprise Manager REST API, versions " + strings.Join(versions, ", ")
	if !latest {
		d.report(doctorWarn, check, finding+"; no v1_7: EM is older than version 12", "vem is built for API v1_7 (EM 12 and 13); upgrade EM", 0)
		return true
	}
	d.report(doctorOK, check, finding, "", 0)
	return true
}

// checkJSON asks GET /api/ for JSON and reports the key casing: EM 12
// answers PascalCase keys, EM 13 camelCase.
func (d *doctor) checkJSON(ctx context.Context) {
	const check = "json"
	status, code := doctorWarn, 0
	fix := "vem's default, --format xml, does not need JSON"
	if strings.EqualFold(d.a.g.format, string(vem.FormatJSON)) {
		status, code = doctorFail, exitError
		fix = "use --format xml (" + envFormat + "=xml)"
	}
	resp, err := d.get(ctx, "/api/", "application/json")
	if err != nil {
		d.report(status, check, "GET /api/ as JSON failed: "+d.requestError(err), fix, code)
		return
	}
	mt, _, _ := mime.ParseMediaType(resp.contentType)
	var doc map[string]json.RawMessage
	switch {
	case resp.status != http.StatusOK:
		d.report(status, check, "GET /api/ with Accept: application/json answered "+doctorStatusText(resp.status)+doctorDescribeBody(resp), fix, code)
		return
	case mt != "application/json" && !strings.HasSuffix(mt, "+json"):
		d.report(status, check, "GET /api/ with Accept: application/json answered "+strconv.Quote(doctorClean(resp.contentType))+", not JSON", fix, code)
		return
	case json.Unmarshal(bytes.TrimPrefix(resp.body, []byte("\ufeff")), &doc) != nil:
		d.report(status, check, "GET /api/ answered Content-Type application/json with a body that is not a JSON object", fix, code)
		return
	}
	_, pascal := doc["SupportedVersions"]
	_, camel := doc["supportedVersions"]
	switch {
	case pascal:
		d.report(doctorOK, check, "answers JSON with PascalCase keys (EM 12 style)", "", 0)
	case camel:
		d.report(doctorOK, check, "answers JSON with camelCase keys (EM 13 style)", "", 0)
	default:
		d.report(status, check, "answers JSON without a SupportedVersions key in either casing", fix, code)
	}
}

// doctorStatusText is "404 Not Found".
func doctorStatusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return strconv.Itoa(code) + " " + t
	}
	return strconv.Itoa(code)
}

// doctorDescribeBody summarises an answer that is not what doctor expected: its
// Content-Type and the HTML title or the start of the text.
func doctorDescribeBody(r *doctorResponse) string {
	var parts []string
	if r.contentType != "" {
		parts = append(parts, doctorClean(r.contentType))
	}
	if t := doctorHTMLTitle(r.body); t != "" {
		parts = append(parts, "HTML page "+strconv.Quote(t))
	} else if s := doctorClean(string(bytes.TrimSpace(r.body))); s != "" {
		parts = append(parts, "body "+strconv.Quote(doctorTruncate(s, 80)))
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// doctorHTMLTitle returns the title of an HTML page, or "".
func doctorHTMLTitle(b []byte) string {
	lower := bytes.ToLower(b)
	i := bytes.Index(lower, []byte("<title"))
	if i < 0 {
		return ""
	}
	j := bytes.IndexByte(lower[i:], '>')
	if j < 0 {
		return ""
	}
	start := i + j + 1
	end := bytes.Index(lower[start:], []byte("</title"))
	if end < 0 {
		return ""
	}
	return doctorTruncate(doctorClean(string(b[start:start+end])), 80)
}

func doctorTruncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "..."
}

// requestError renders the error of a raw request without the URL that
// net/http repeats.
func (d *doctor) requestError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if doctorIsTimeout(err) && d.a.g.timeout > 0 {
		return "--timeout (" + d.a.g.timeout.String() + ") reached"
	}
	return doctorClean(err.Error())
}

// ---- logon, query, clock, logout ----

// checkSession logs on through the SDK with the settings of every command,
// reads the query service, checks the clock, and logs out.
func (d *doctor) checkSession(ctx context.Context) {
	c, ok := d.logon(ctx)
	if c == nil {
		d.checkClock()
		return
	}
	// Close logs out a session the client opened, also when ctx has ended
	// (it has its own deadline), and leaves a borrowed one open. The
	// logout check closes it first; a second Close does nothing.
	defer func() { _ = c.Close() }()
	if ok {
		d.checkQuery(ctx, c)
	}
	d.checkClock()
	if ok {
		d.logout(c)
	}
}

// logon opens a session. It returns the client (to close) and whether a
// session is there to use.
func (d *doctor) logon(ctx context.Context) (*vem.Client, bool) {
	const check = "logon"
	d.borrowed = d.a.g.username == "" && d.a.g.sessionID != ""
	mode := authCredentials
	if d.borrowed {
		mode = authAny
	}
	c, err := d.a.newClient(d.cmd, mode)
	if err != nil {
		d.report(doctorFail, check, doctorClean(strings.TrimPrefix(err.Error(), "vem: ")),
			"set --username ("+envUsername+") and "+envPassword+" (or --password-stdin)", exitUsage)
		return nil, false
	}
	if d.borrowed {
		d.report(doctorWarn, check, "not tested: no --username ("+envUsername+"); the next checks use the session of "+envSessionID+" or --session-id-stdin",
			"set "+envUsername+" and "+envPassword+" to test a logon", 0)
		return c, true
	}
	// Quoted by hand: %q would double the backslash of DOMAIN\user.
	user := doctorClean(d.a.g.username)
	err = c.Logon(ctx)
	var apiErr *vem.APIError
	switch {
	case err == nil:
		d.report(doctorOK, check, fmt.Sprintf("logged on as \"%s\" (%s)", user, doctorUserForm(d.a.g.username)), "", 0)
		return c, true
	case errors.Is(err, vem.ErrUnauthorized):
		d.report(doctorFail, check, fmt.Sprintf("EM refused the user name or password of \"%s\" (401 Unauthorized; %s)", user, doctorUserForm(d.a.g.username)),
			`check the password and the user name form: DOMAIN\user on a Windows EM, user@domain on a Linux EM; quote a backslash in the shell ('DOMAIN\user')`, exitAuth)
	case errors.Is(err, vem.ErrForbidden):
		d.report(doctorFail, check, fmt.Sprintf("EM knows \"%s\" but refuses it a session (403 Forbidden): the account has no EM role", user),
			"give the account an EM role (Configuration > Roles): Portal Administrator, Portal User or Restore Operator", exitAuth)
	case errors.Is(err, vem.ErrNotEnterpriseManager):
		d.report(doctorFail, check, "logon refused: "+doctorClean(strings.TrimPrefix(err.Error(), "vem: ")),
			"check that --url is EM's REST API (port "+emPort+") and that EM's services run", exitNotEM)
	case errors.As(err, &apiErr):
		code := exitError
		switch apiErr.StatusCode {
		case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			code = exitUnreachable
		}
		d.report(doctorFail, check, "logon refused: "+doctorClean(strings.TrimPrefix(err.Error(), "vem: ")),
			"check that --url is EM's REST API (port "+emPort+") and that EM's services run", code)
	case doctorIsTimeout(err) && d.a.g.timeout > 0 && ctx.Err() != nil:
		d.report(doctorFail, check, "no answer before --timeout ("+d.a.g.timeout.String()+") was reached", "raise --timeout", exitUnreachable)
	default:
		d.report(doctorFail, check, doctorClean(strings.TrimPrefix(errorMessage(err), "vem: ")), "check the network and EM's services", exitCode(err))
	}
	return c, false
}

// doctorUserForm says which form a user name has.
func doctorUserForm(u string) string {
	switch {
	case strings.Contains(u, `\`):
		return `DOMAIN\user form, as a Windows EM expects`
	case strings.Contains(u, "@"):
		return "user@domain form, as a Linux EM expects (a Windows EM accepts it for a domain account)"
	case strings.Contains(u, "/"):
		return `a "/" where DOMAIN\user has a backslash`
	}
	return "no domain: a local account of the EM server"
}

// doctorQueryResult is the part of a query service answer doctor reads.
type doctorQueryResult struct {
	Refs struct {
		Ref []struct{} `xml:"Ref"`
	} `xml:"Refs"`
	PagingInfo struct {
		PagesCount int `xml:"PagesCount,attr"`
	} `xml:"PagingInfo"`
}

// checkQuery reads one task session reference through the query service.
func (d *doctor) checkQuery(ctx context.Context, c *vem.Client) {
	const check = "query"
	raw, err := c.GetRaw(ctx, doctorQueryPath, vem.FormatXML)
	var apiErr *vem.APIError
	switch {
	case err == nil:
	case errors.Is(err, vem.ErrForbidden):
		d.report(doctorFail, check, "GET "+doctorQueryPath+" answered 403 Forbidden: the account may log on but lacks an EM role to read sessions",
			"give the account an EM role (Configuration > Roles), such as Portal Administrator or Restore Operator", exitAuth)
		return
	case errors.Is(err, vem.ErrUnauthorized):
		d.report(doctorFail, check, "GET "+doctorQueryPath+" answered 401 Unauthorized: EM ended the session", "log on again; with a borrowed session ("+envSessionID+" or --session-id-stdin), run vem logon for a new token", exitAuth)
		return
	case errors.As(err, &apiErr):
		code := exitError
		switch apiErr.StatusCode {
		case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			code = exitUnreachable
		}
		d.report(doctorFail, check, "query refused: "+doctorClean(strings.TrimPrefix(err.Error(), "vem: ")),
			"check EM's version (the query service is in every supported one) and its services", code)
		return
	default:
		code := exitCode(err)
		if code == exitNotFound {
			code = exitError
		}
		d.report(doctorFail, check, "GET "+doctorQueryPath+" failed: "+doctorClean(strings.TrimPrefix(errorMessage(err), "vem: ")), "check the network and EM's services", code)
		return
	}
	var qr doctorQueryResult
	if err := xml.Unmarshal(raw.Body, &qr); err != nil {
		d.report(doctorFail, check, "GET "+doctorQueryPath+" answered a body that is not a query result: "+doctorClean(err.Error()),
			"check that --url is EM's REST API", exitError)
		return
	}
	visible := qr.PagingInfo.PagesCount // one task session per page
	if len(qr.Refs.Ref) == 0 {
		visible = 0
	}
	if visible == 0 {
		d.report(doctorOK, check, "the query service answers; no backup task sessions visible to this account (a role scoped to some objects sees only theirs)", "", 0)
		return
	}
	d.report(doctorOK, check, fmt.Sprintf("the query service answers; %d backup task %s visible to this account", visible, doctorPlural(visible, "session", "sessions")), "", 0)
}

func doctorPlural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// checkClock compares the Date header of the last raw answer with this
// machine's clock at its arrival. Date has whole seconds.
func (d *doctor) checkClock() {
	const check = "clock"
	if !d.dateSeen {
		d.report(doctorWarn, check, "the server sent no valid Date header: the clocks cannot be compared", "check the clock of EM against this machine's (NTP)", 0)
		return
	}
	skew := d.serverDate.Sub(d.localDate.Truncate(time.Second))
	abs := skew
	if abs < 0 {
		abs = -abs
	}
	abs = abs.Round(time.Second)
	where := "ahead of"
	if skew < 0 {
		where = "behind"
	}
	date := d.serverDate.UTC().Format(time.RFC3339)
	if abs > doctorMaxSkew {
		d.report(doctorWarn, check, fmt.Sprintf("the server's clock (Date %s) is %s %s this machine's", date, abs, where),
			"synchronise both clocks (NTP): certificate validity and time filters such as --since depend on them", 0)
		return
	}
	d.report(doctorOK, check, fmt.Sprintf("the server's clock (Date %s) is within %s of this machine's (off by %s)", date, doctorMaxSkew, abs), "", 0)
}

// logout closes the client, which logs out the session it opened and
// leaves a borrowed one open.
func (d *doctor) logout(c *vem.Client) {
	const check = "logout"
	err := c.Close()
	switch {
	case d.borrowed && err == nil:
		d.report(doctorOK, check, "the borrowed session ("+envSessionID+" or --session-id-stdin) stays open", "", 0)
	case err == nil:
		d.report(doctorOK, check, "session closed", "", 0)
	default:
		d.report(doctorWarn, check, "logout failed: "+doctorClean(strings.TrimPrefix(errorMessage(err), "vem: ")),
			"EM ends an idle session after 15 minutes", 0)
	}
}

// ---- text ----

// doctorClean makes text from the server or the environment safe to print
// on one line of a terminal: control characters (C0, C1, DEL) and invalid
// UTF-8 become U+FFFD or spaces.
func doctorClean(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			b.WriteByte(' ')
		case r == utf8.RuneError, unicode.IsControl(r):
			b.WriteRune(utf8.RuneError)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// doctorRoundDuration rounds a short duration for display.
func doctorRoundDuration(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(100 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}
