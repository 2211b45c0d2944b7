package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/vemkit/vem"
	"github.com/vemkit/vem/internal/em"
)

// Exit codes, documented in docs/cli.md. Scripts depend on them: never
// renumber.
const (
	exitOK          = 0 // success
	exitError       = 1 // any other error, e.g. an EM 500 or an undecodable answer
	exitUsage       = 2 // bad command line, environment or ID; nothing was sent
	exitNotFound    = 3 // the object does not exist (404)
	exitAuth        = 4 // wrong credentials, expired or ended session, missing EM role
	exitUnreachable = 5 // no answer: refused, DNS, TLS handshake, timeout, 502/503/504
	// Exit codes of wait and --wait, by how the awaited session ended.
	exitFailed       = 6 // it ended Failed
	exitWarning      = 7 // it ended with Warning and --warning-is-error was given
	exitStillRunning = 8 // --timeout passed while it still runs; it was not stopped
	// exitNotEM: the server answered, but not as Enterprise Manager does
	// (a logon answered 404/405/400, a Bearer challenge, no session token:
	// the VBR REST API on 9419, a wrong port or path). 6 to 8 are the
	// results of wait and --wait.
	exitNotEM = 9
	// An interrupted command exits with 128 + the signal number: 130 for
	// SIGINT (Ctrl-C), 143 for SIGTERM.
	exitSignalBase = 128
	// exitClosedPipe: stdout was closed by its reader ("vem ... | head -1").
	// vem stops reading, logs out and exits with it quietly: 128 + SIGPIPE,
	// what a shell reports for a program killed by SIGPIPE.
	exitClosedPipe = exitSignalBase + 13
)

// timeoutError is the cancellation cause of a command whose --timeout
// (VEM_TIMEOUT) was reached.
type timeoutError struct{ d time.Duration }

func (e *timeoutError) Error() string {
	return fmt.Sprintf("--timeout %s reached (%s)", e.d, envTimeout)
}

// Is makes a timeoutError match context.DeadlineExceeded, as the deadline
// it stands for.
func (e *timeoutError) Is(target error) bool { return target == context.DeadlineExceeded }

// usageError is a mistake on the command line or in the environment. It is
// printed with the short usage of cmd and exits with exitUsage.
type usageError struct {
	cmd *cobra.Command // may be nil; run fills it in from cobra's answer
	err error
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usagef returns a usageError for cmd.
func usagef(cmd *cobra.Command, format string, args ...any) error {
	return &usageError{cmd: cmd, err: fmt.Errorf(format, args...)}
}

// interruptedError is the cancellation cause set by main when a signal
// arrives.
type interruptedError struct{ sig os.Signal }

func (e *interruptedError) Error() string {
	switch e.sig {
	case os.Interrupt:
		return "interrupted by SIGINT"
	case syscall.SIGTERM:
		return "interrupted by SIGTERM"
	}
	return "interrupted by " + e.sig.String()
}

// code returns the conventional exit code for the signal: 128 + its number.
func (e *interruptedError) code() int {
	if s, ok := e.sig.(syscall.Signal); ok {
		return exitSignalBase + int(s)
	}
	return exitSignalBase + 2
}

// exitCode maps an error returned by a command to the process exit code.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var coded interface{ exitCode() int }
	if errors.As(err, &coded) {
		return coded.exitCode() // an error that knows its code (vem doctor)
	}
	var ue *usageError
	var ie *interruptedError
	var oe *outputError
	var apiErr *vem.APIError
	var reqErr *vem.RequestError
	var codeErr *exitCodeError
	switch {
	case errors.As(err, &codeErr):
		return codeErr.code
	case errors.As(err, &oe):
		// A local write error: syscall.Errno is a net.Error, but a full
		// disk is not an unreachable server.
		if oe.closedPipe() {
			return exitClosedPipe
		}
		return exitError
	case errors.As(err, &ie):
		return ie.code()
	case errors.As(err, &ue), errors.Is(err, vem.ErrInvalidID), errors.Is(err, vem.ErrNoCredentials):
		return exitUsage
	case errors.Is(err, vem.ErrNotEnterpriseManager):
		return exitNotEM
	case errors.Is(err, vem.ErrNotFound):
		return exitNotFound
	case errors.Is(err, vem.ErrUnauthorized), errors.Is(err, vem.ErrForbidden):
		return exitAuth
	case errors.As(err, &apiErr):
		switch apiErr.StatusCode {
		case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return exitUnreachable
		}
		return exitError
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &reqErr), isNetworkError(err):
		return exitUnreachable
	}
	return exitError
}

// isNetworkError reports whether err comes from the network: a dial, read or
// write on a connection, a DNS lookup or an HTTP exchange. A bare
// syscall.Errno (a local file error) is not one, although it implements
// net.Error.
func isNetworkError(err error) bool {
	var opErr *net.OpError
	var dnsErr *net.DNSError
	var urlErr *url.Error
	return errors.As(err, &opErr) || errors.As(err, &dnsErr) || errors.As(err, &urlErr)
}

// errorMessage renders err for stderr: one "vem: " prefix (the library
// prefixes its own messages, sometimes twice when they nest) and a hint when
// the server's certificate was not trusted.
func errorMessage(err error) string {
	msg := "vem: " + sanitize(strings.ReplaceAll(err.Error(), "vem: ", ""), false)
	if hint := certificateHint(err); hint != "" {
		msg += "\nvem: hint: " + sanitize(hint, false)
	}
	return msg
}

// certificateHint explains a failed certificate check: a name the
// certificate does not cover is fixed by the URL (the hint lists the names
// it does cover), an untrusted CA by --ca-file.
func certificateHint(err error) string {
	p := em.ClassifyCertError(err)
	var hostname x509.HostnameError
	if p == em.CertHostnameMismatch && errors.As(err, &hostname) {
		if names := certificateNames(hostname.Certificate); names != "" {
			return fmt.Sprintf("the server's certificate is valid for %s, not for %q: use one of those names in --url (%s)", names, hostname.Host, envURL)
		}
	}
	hint := em.CertHint(p)
	if p == em.CertUnknownAuthority {
		hint += ", or --insecure (" + envInsecure + "=1) to skip verification"
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
