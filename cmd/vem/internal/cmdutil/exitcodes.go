package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/vemkit/vem"
	"github.com/vemkit/vem/cmd/vem/internal/iostreams"
)

// Exit codes. Scripts depend on them: never renumber. ExitCodes documents
// them, and is the one source of "vem --help", "vem help exit-codes" and
// the tables of docs/cli.md and the README (a test checks both).
const (
	ExitOK          = 0 // success
	ExitOther       = 1 // any other error, e.g. an EM 500 or an undecodable answer
	ExitUsage       = 2 // bad command line, environment or ID; nothing was sent
	ExitNotFound    = 3 // the object does not exist (404)
	ExitAuth        = 4 // wrong credentials, expired or ended session, missing EM role
	ExitUnreachable = 5 // no answer: refused, DNS, TLS handshake, timeout, 502/503/504
	// Exit codes of wait and --wait, by how the awaited session ended.
	ExitFailed       = 6 // it ended Failed
	ExitWarning      = 7 // it ended with Warning and --warning-is-error was given
	ExitStillRunning = 8 // --wait-timeout passed while it still runs; it was not stopped
	// ExitNotEM: the server answered, but not as Enterprise Manager does.
	ExitNotEM = 9
	// An interrupted command exits with 128 + the signal number: 130 for
	// SIGINT (Ctrl-C), 143 for SIGTERM.
	ExitSignalBase = 128
	ExitInterrupt  = ExitSignalBase + 2
	// ExitClosedPipe: stdout was closed by its reader ("vem ... | head -1").
	ExitClosedPipe = ExitSignalBase + 13
)

// ExitCodeDoc documents one exit code.
type ExitCodeDoc struct {
	Code  int
	Short string // a few words, for vem --help
	Long  string // the documentation, Markdown
}

// ExitCodes is the documentation of every exit code, in order.
var ExitCodes = []ExitCodeDoc{
	{ExitOK, "success", "success (a list that matched nothing is a success: `[]`)"},
	{ExitOther, "other error", "any other error, e.g. EM answered 500 or 400 (EM's message is shown), an answer could not be read, or stdout could not be written (`> /dev/full`: `vem: writing to stdout: no space left on device`)"},
	{ExitUsage, "usage", "usage: unknown command, topic, shell or flag, bad or empty flag value, `--since` not before `--until`, missing `--url`/credentials, malformed ID; nothing was sent"},
	{ExitNotFound, "not found", "not found: no object with that ID (404), no job of that name"},
	{ExitAuth, "authentication or permission", "authentication or permission: wrong user name or password, ended or expired session (401), missing EM role (403)"},
	{ExitUnreachable, "server unreachable or timed out", "server unreachable or timed out: connection refused, DNS, TLS handshake or untrusted certificate, `--timeout` reached (`vem: --timeout 30s reached ...`), 502/503/504"},
	{ExitFailed, "wait: the session ended Failed", "`wait`, `--wait`: the awaited session ended `Failed`"},
	{ExitWarning, "wait: Warning with --warning-is-error", "`wait`, `--wait`: the awaited session ended with `Warning` and `--warning-is-error` was given (without it, `Warning` exits 0)"},
	{ExitStillRunning, "wait: --wait-timeout passed", "`wait`, `--wait`: `--wait-timeout` passed while the session still runs; the command that waits for it again is printed on stderr, the job is not stopped"},
	{ExitNotEM, "not Enterprise Manager", "not Enterprise Manager: the server answered, but not as EM does (the logon was answered 404, 405, 400 or 501, with a Bearer challenge, an HTML page or without a session token; `vem doctor`'s `em` check failed): check port 9398 (9419 is the Veeam Backup & Replication REST API) and the `/api` path. Never 3: a wrong server is not a missing object"},
	{ExitInterrupt, "interrupted (Ctrl-C); 143 terminated", "interrupted by Ctrl-C (SIGINT); 143 for SIGTERM (128 + signal number)"},
	{ExitClosedPipe, "stdout closed by its reader", "stdout was closed by its reader (`vem ... \\| head -1`): vem stopped reading, logged out and exited without a message (128 + SIGPIPE, what a shell shows for a program killed by SIGPIPE; with `set -o pipefail`, treat it as success if you closed the pipe on purpose)"},
}

// ExitCodesMarkdown is the table of docs/cli.md and the README.
func ExitCodesMarkdown() string {
	var b strings.Builder
	b.WriteString("| code | meaning |\n| --- | --- |\n")
	for _, c := range ExitCodes {
		fmt.Fprintf(&b, "| %d | %s |\n", c.Code, c.Long)
	}
	return b.String()
}

// ExitCodesSummary is the one paragraph of vem --help.
func ExitCodesSummary() string {
	parts := make([]string, 0, len(ExitCodes))
	for _, c := range ExitCodes {
		parts = append(parts, fmt.Sprintf("%d %s", c.Code, c.Short))
	}
	return "Exit codes: " + strings.Join(parts, ", ") + " (vem help exit-codes)."
}

// ExitCodesText is "vem help exit-codes": the table as plain text.
func ExitCodesText() string {
	var b strings.Builder
	b.WriteString("Exit codes of vem (docs/cli.md):\n\n")
	for _, c := range ExitCodes {
		long := strings.NewReplacer("`", "", `\|`, "|").Replace(c.Long)
		fmt.Fprintf(&b, "  %3d  %s\n", c.Code, wrap(long, 70, "       "))
	}
	return b.String()
}

// wrap breaks s into lines of at most width runes, indenting the later
// ones.
func wrap(s string, width int, indent string) string {
	var b strings.Builder
	n := 0
	for i, w := range strings.Fields(s) {
		if i > 0 && n+1+len([]rune(w)) > width {
			b.WriteString("\n" + indent)
			n = 0
		} else if i > 0 {
			b.WriteByte(' ')
			n++
		}
		b.WriteString(w)
		n += len([]rune(w))
	}
	return b.String()
}

// ExitCode maps an error returned by a command to the process exit code:
// the one mapper of the CLI.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ue *UsageError
	var ie *InterruptedError
	var oe *iostreams.OutputError
	var apiErr *vem.APIError
	var reqErr *vem.RequestError
	var codeErr *ExitError
	switch {
	case errors.As(err, &codeErr):
		return codeErr.Code
	case errors.As(err, &oe):
		// A local write error: syscall.Errno is a net.Error, but a full
		// disk is not an unreachable server.
		if oe.ClosedPipe() {
			return ExitClosedPipe
		}
		return ExitOther
	case errors.As(err, &ie):
		return ie.Code()
	case errors.As(err, &ue), errors.Is(err, vem.ErrInvalidID), errors.Is(err, vem.ErrNoCredentials):
		return ExitUsage
	case errors.Is(err, vem.ErrNotEnterpriseManager):
		return ExitNotEM
	case errors.Is(err, vem.ErrNotFound):
		return ExitNotFound
	case errors.Is(err, vem.ErrUnauthorized), errors.Is(err, vem.ErrForbidden):
		return ExitAuth
	case errors.As(err, &apiErr):
		switch {
		case apiErr.StatusCode == http.StatusBadGateway, apiErr.StatusCode == http.StatusServiceUnavailable,
			apiErr.StatusCode == http.StatusGatewayTimeout:
			return ExitUnreachable
		case notEMAnswer(apiErr):
			return ExitNotEM
		}
		return ExitOther
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &reqErr), isNetworkError(err):
		return ExitUnreachable
	}
	return ExitOther
}

// notEMAnswer reports whether an error answer is one EM never gives: an
// HTML page answering 501 Not Implemented or 405 Method Not Allowed (a web
// server, not EM's REST API), as vem doctor's em check judges it.
func notEMAnswer(e *vem.APIError) bool {
	mt, _, _ := mime.ParseMediaType(e.ContentType)
	return mt == "text/html" && (e.StatusCode == http.StatusNotImplemented || e.StatusCode == http.StatusMethodNotAllowed)
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
