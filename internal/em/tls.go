package em

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
)

// CertProblem says why a TLS certificate was refused.
type CertProblem uint8

// Certificate problems.
const (
	CertOK               CertProblem = iota // not a certificate error
	CertUnknownAuthority                    // signed by a CA the client does not trust (self-signed EM)
	CertHostnameMismatch                    // valid, but not for the host name in the URL
	CertInvalid                             // expired, not yet valid, or otherwise unusable
	CertOther                               // another verification failure
)

// ClassifyCertError tells whether err (anywhere in its chain) is a TLS
// certificate verification failure, and which kind.
func ClassifyCertError(err error) CertProblem {
	if err == nil {
		return CertOK
	}
	var (
		unknownAuthority x509.UnknownAuthorityError
		hostname         x509.HostnameError
		invalid          x509.CertificateInvalidError
		verification     *tls.CertificateVerificationError
	)
	switch {
	case errors.As(err, &hostname):
		return CertHostnameMismatch
	case errors.As(err, &unknownAuthority):
		return CertUnknownAuthority
	case errors.As(err, &invalid):
		return CertInvalid
	case errors.As(err, &verification):
		return CertOther
	}
	return CertOK
}

// IsTLSError reports whether err is a certificate problem or a TLS
// protocol failure (for example HTTPS spoken to a plain-HTTP port).
func IsTLSError(err error) bool {
	if ClassifyCertError(err) != CertOK {
		return true
	}
	var record tls.RecordHeaderError
	return errors.As(err, &record)
}

// CertHint is one sentence telling a user what to do about a certificate
// problem, or "" when there is none.
func CertHint(p CertProblem) string {
	switch p {
	case CertUnknownAuthority:
		return "the server's certificate is not signed by a trusted CA (EM's default certificate is self-signed): pass its CA with --ca-file / VEM_CA_FILE"
	case CertHostnameMismatch:
		return "the certificate does not name the host in the URL: use a host name listed in the certificate's SANs, or reissue the certificate"
	case CertInvalid:
		return "the certificate is expired, not yet valid, or not usable for a server: check its dates and the machine's clock"
	case CertOther:
		return "the server's certificate could not be verified: check --ca-file / VEM_CA_FILE"
	}
	return ""
}
