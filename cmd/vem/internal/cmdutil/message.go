package cmdutil

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"

	"github.com/vemkit/vem/cmd/vem/internal/iostreams"
	"github.com/vemkit/vem/internal/em"
)

// Ports that tell what a URL points at, for the hints of every command and
// vem doctor.
const (
	EMPort      = "9398" // Enterprise Manager REST API
	VBRRESTPort = "9419" // Veeam Backup & Replication REST API
	EMWebPort   = "9443" // Enterprise Manager web portal
)

// Text returns the message of err without the "vem: " prefixes the SDK
// puts on its errors (once or, nested, more): the one place that trims
// them.
func Text(err error) string { return strings.ReplaceAll(err.Error(), "vem: ", "") }

// ErrorMessage renders err for stderr: one "vem: " prefix, the text cleaned
// of control characters (line breaks kept only in vem's own multi-line
// messages), and a hint when one applies: an untrusted or mismatched
// certificate, a plain-HTTP port.
func ErrorMessage(err error) string {
	text := Text(err)
	if ownLines(err) {
		text = iostreams.CleanLines(text)
	} else {
		text = iostreams.Clean(text)
	}
	msg := "vem: " + text
	if hint := Hint(err); hint != "" {
		msg += "\nvem: hint: " + iostreams.Clean(hint)
	}
	return msg
}

// ownLines reports whether err is a message of vem's own whose line breaks
// are meant.
func ownLines(err error) bool {
	var ue *UsageError
	var ee *ExitError
	return (errors.As(err, &ue) && ue.Lines) || (errors.As(err, &ee) && ee.Lines)
}

// Hint explains an error a user can fix: a certificate that is not
// trusted or not for that name, a port that serves plain HTTP or no TLS.
// It returns "" when there is nothing to add.
func Hint(err error) string {
	if _, fix, ok := TLSRecordHint(err); ok {
		return fix
	}
	return certificateHint(err)
}

// TLSRecordHint recognises a TLS handshake answered by something that does
// not speak TLS: a plain-HTTP port (EM's 9398 speaks HTTPS only). It
// returns what was found and what to do; vem doctor's tls check says the
// same.
func TLSRecordHint(err error) (finding, fix string, ok bool) {
	var record tls.RecordHeaderError
	switch {
	case errors.As(err, &record) && bytes.HasPrefix(record.RecordHeader[:], []byte("HTTP/")),
		err != nil && strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		finding = "the server on that port speaks plain HTTP, not TLS"
	case errors.As(err, &record):
		finding = "the server on that port does not speak TLS"
	default:
		return "", "", false
	}
	return finding, finding + ": use the HTTPS port of EM (" + EMPort + "): https://EM-HOST:" + EMPort, true
}

// certificateHint explains a failed certificate check: a name the
// certificate does not cover is fixed by the URL (the hint lists the names
// it does cover), an untrusted CA by --ca-file.
func certificateHint(err error) string {
	p := em.ClassifyCertError(err)
	var hostname x509.HostnameError
	if p == em.CertHostnameMismatch && errors.As(err, &hostname) {
		if names := certificateNames(hostname.Certificate); names != "" {
			return fmt.Sprintf("the server's certificate is valid for %s, not for %q: use one of those names in --url (%s)", names, hostname.Host, EnvURL)
		}
	}
	hint := em.CertHint(p)
	if p == em.CertUnknownAuthority {
		hint += ", or --insecure (" + EnvInsecure + "=1) to skip verification"
	}
	return hint
}

// certificateNames lists the host names and addresses a certificate is
// valid for.
func certificateNames(c *x509.Certificate) string {
	if c == nil {
		return ""
	}
	names := append([]string{}, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	return strings.Join(names, ", ")
}
