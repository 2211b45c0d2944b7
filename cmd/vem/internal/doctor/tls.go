package doctor

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/vemkit/vem"
	"github.com/vemkit/vem/cmd/vem/internal/cmdutil"
	"github.com/vemkit/vem/cmd/vem/internal/iostreams"
)

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
	if d.f.Global.CAFile != "" && !d.f.Global.Insecure {
		pool, err := vem.LoadCAFile(d.f.Global.CAFile)
		if err != nil {
			d.report(doctorFail, check, "--ca-file ("+cmdutil.EnvCAFile+"): "+iostreams.Clean(err.Error()),
				"give a PEM file of the CA certificates to trust", cmdutil.ExitUsage)
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
		finding := "TLS handshake with " + d.hostport + " failed: " + iostreams.Clean(err.Error())
		fix := "check that the port serves HTTPS with TLS 1.2 or later"
		if found, _, ok := cmdutil.TLSRecordHint(err); ok {
			finding = strings.Replace(found, "on that port", "on "+d.hostport, 1)
			fix = "use the HTTPS port of EM (" + cmdutil.EMPort + ")"
		}
		if doctorIsTimeout(err) && ctx.Err() == nil {
			finding = "TLS handshake with " + d.hostport + " not done within " + doctorDialTimeout.String()
			fix = "check that the port serves HTTPS (EM: " + cmdutil.EMPort + ") and that nothing in between holds the connection"
		}
		if errors.Is(err, context.DeadlineExceeded) && d.f.Global.Timeout > 0 && ctx.Err() != nil {
			finding = "TLS handshake with " + d.hostport + " not done before --timeout (" + d.f.Global.Timeout.String() + ") was reached"
			fix = "raise --timeout"
		}
		d.report(doctorFail, check, finding, fix, cmdutil.ExitUnreachable)
		return false
	}
	state := nc.(*tls.Conn).ConnectionState()
	nc.Close()
	if len(state.PeerCertificates) == 0 {
		d.report(doctorFail, check, "the server sent no certificate", "configure EM's certificate", cmdutil.ExitUnreachable)
		return false
	}
	leaf := state.PeerCertificates[0]
	now := d.f.Now()
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
			p += " (issuer " + iostreams.Clean(leaf.Issuer.String()) + ")"
		}
		problems = append(problems, p)
		switch {
		case d.caPool != nil && systemErr == nil:
			fixes = append(fixes, "the system pool trusts it: drop --ca-file ("+cmdutil.EnvCAFile+")")
		case d.caPool != nil:
			fixes = append(fixes, "put the certificate of its CA (for a self-signed one, the certificate itself) in "+d.f.Global.CAFile+" as PEM")
		default:
			fixes = append(fixes, "give its CA as PEM with --ca-file ("+cmdutil.EnvCAFile+"), or add the CA to the system pool")
		}
	}
	if hostErr != nil {
		names := doctorCertificateNames(leaf)
		p := "issued for " + names + ", not for " + strconv.Quote(iostreams.Clean(d.host)) + " (host name mismatch)"
		if len(leaf.DNSNames) == 0 && len(leaf.IPAddresses) == 0 {
			p = "no subject alternative names, so valid for no host name (the common name is not used)"
		}
		problems = append(problems, p)
		if alt := doctorFirstCertificateName(leaf); alt != "" {
			fixes = append(fixes, "connect by a name the certificate holds, e.g. --url https://"+net.JoinHostPort(alt, d.port)+", or reissue it for "+iostreams.Clean(d.host))
		} else {
			fixes = append(fixes, "reissue the certificate with "+iostreams.Clean(d.host)+" in its subject alternative names")
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

	if d.f.Global.Insecure {
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
		d.report(doctorFail, check, desc+": "+strings.Join(problems, "; "), strings.Join(fixes, "; "), cmdutil.ExitUnreachable)
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
		strconv.Quote(iostreams.Clean(leaf.Subject.String())),
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
		names = append(names, iostreams.Clean(n))
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
		if !strings.Contains(n, "*") && iostreams.Clean(n) == n && n != "" {
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
