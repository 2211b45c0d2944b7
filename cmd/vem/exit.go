package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/vemkit/vem"
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
	// An interrupted command exits with 128 + the signal number: 130 for
	// SIGINT (Ctrl-C), 143 for SIGTERM.
	exitSignalBase = 128
)

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
	var ue *usageError
	var ie *interruptedError
	var apiErr *vem.APIError
	var reqErr *vem.RequestError
	var netErr net.Error
	var codeErr *exitCodeError
	switch {
	case errors.As(err, &codeErr):
		return codeErr.code
	case errors.As(err, &ie):
		return ie.code()
	case errors.As(err, &ue), errors.Is(err, vem.ErrInvalidID), errors.Is(err, vem.ErrNoCredentials):
		return exitUsage
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
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &reqErr), errors.As(err, &netErr):
		return exitUnreachable
	}
	return exitError
}

// errorMessage renders err for stderr: one "vem: " prefix (the library
// prefixes its own messages, sometimes twice when they nest) and a hint when
// the server's certificate was not trusted.
func errorMessage(err error) string {
	msg := "vem: " + strings.ReplaceAll(err.Error(), "vem: ", "")
	if isCertificateError(err) {
		msg += "\nvem: hint: the server's certificate is not trusted; give its CA with --ca-file (VEM_CA_FILE), or --insecure (VEM_INSECURE=1) to skip verification"
	}
	return msg
}

func isCertificateError(err error) bool {
	var unknownAuthority x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	var hostname x509.HostnameError
	var verify *tls.CertificateVerificationError
	return errors.As(err, &unknownAuthority) || errors.As(err, &invalid) ||
		errors.As(err, &hostname) || errors.As(err, &verify)
}
