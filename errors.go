package vem

import (
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Sentinel errors. Errors returned by the client match them with errors.Is.
var (
	// ErrUnauthorized matches a 401 the client gave up on: wrong
	// credentials at logon, a 401 on a borrowed session without
	// credentials, a 401 on a session that never answered anything else
	// right after the call itself logged on again, or a call that met a
	// 401 a fourth time (a call repeats itself after a 401 at most three
	// times, whatever renewed the session meanwhile).
	ErrUnauthorized = errors.New("vem: unauthorized")
	// ErrNotEnterpriseManager matches a logon answered the way Enterprise
	// Manager never answers (404, 405 or 400, a Bearer challenge, a success
	// without a session token, an HTML page): the address is probably not
	// EM's REST API (port 9398, under /api), for example the Veeam Backup &
	// Replication REST API on port 9419. It never matches ErrNotFound.
	ErrNotEnterpriseManager = errors.New("vem: the server is not Veeam Backup Enterprise Manager")
	// ErrForbidden matches a 403: the account lacks an EM role that allows
	// the call (Portal Administrator, Portal User or Restore Operator).
	ErrForbidden = errors.New("vem: forbidden")
	// ErrNotFound matches a 404.
	ErrNotFound = errors.New("vem: not found")
	// ErrInvalidID matches an ID that is not a GUID or a UID of the right
	// kind. Nothing is sent to the server for such an ID.
	ErrInvalidID = errors.New("vem: invalid ID")
	// ErrNoCredentials is returned when the client must log on but was
	// given neither credentials nor a session ID.
	ErrNoCredentials = errors.New("vem: no credentials and no session ID")
	// ErrDecode matches a body that could not be decoded into the expected
	// resource: malformed, truncated, or another kind of document.
	ErrDecode = errors.New("vem: cannot decode response")
	// ErrResponseTooLarge matches a body larger than the client's limit
	// (see WithMaxResponseBytes).
	ErrResponseTooLarge = errors.New("vem: response too large")
	// ErrClosed is returned by calls made after Close.
	ErrClosed = errors.New("vem: client closed")
)

// APIError is a non-2xx answer from Enterprise Manager or from a proxy in
// front of it. Message is EM's own message from its Error body when there was
// one; otherwise Snippet holds the start of whatever the body was (an HTML
// error page, for example).
type APIError struct {
	StatusCode int    // HTTP status code
	Message    string // EM's Error Message, if the body was an EM Error
	// FirstChanceExceptionMessage is EM's inner exception message, if any.
	FirstChanceExceptionMessage string
	Method                      string // request method
	Path                        string // request path, without query or host
	ContentType                 string // response Content-Type
	Snippet                     string // start of a non-EM body, for diagnosis
	Attempts                    int    // how many attempts were made, when retried
}

// Error describes the error: the status, the method and path, and EM's message or a snippet of the body.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "vem: %s %s: %d %s", e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode))
	switch {
	case e.Message != "":
		b.WriteString(": ")
		b.WriteString(e.Message)
	case e.Snippet != "":
		fmt.Fprintf(&b, " (body: %q)", e.Snippet)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	return b.String()
}

// Is lets errors.Is match an APIError against ErrUnauthorized, ErrForbidden
// and ErrNotFound by its status code.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	}
	return false
}

// NotEnterpriseManagerError is a logon answered in a way Enterprise Manager
// never answers; it matches ErrNotEnterpriseManager and, on purpose, not
// ErrNotFound or ErrUnauthorized: the request reached the wrong server.
type NotEnterpriseManagerError struct {
	StatusCode  int    // the logon's HTTP status
	ContentType string // the logon's response Content-Type
	Reason      string // what did not look like EM
}

// Error describes the error: what the server answered and what to check.
func (e *NotEnterpriseManagerError) Error() string {
	return fmt.Sprintf("vem: POST /api/sessionMngr/: %d %s: the server does not answer like Veeam Backup Enterprise Manager (%s); "+
		"check the address: EM's REST API listens on port 9398 and serves the API under /api "+
		"(https://em.example.com:9398), while port 9419 is the Veeam Backup & Replication REST API, which vem does not speak",
		e.StatusCode, http.StatusText(e.StatusCode), e.Reason)
}

// Is makes the error match ErrNotEnterpriseManager.
func (e *NotEnterpriseManagerError) Is(target error) bool { return target == ErrNotEnterpriseManager }

// InvalidIDError describes an ID that a getter refused; it matches
// ErrInvalidID.
type InvalidIDError struct {
	ID     string // what was given
	Kind   string // the kind of object expected, for example "BackupTaskSession"
	Reason string
}

// Error describes the error: the kind expected, the ID given (shortened) and why it was refused.
func (e *InvalidIDError) Error() string {
	return fmt.Sprintf("vem: invalid %s ID %q: %s", e.Kind, truncate(e.ID, 80), e.Reason)
}

// Is makes the error match ErrInvalidID.
func (e *InvalidIDError) Is(target error) bool { return target == ErrInvalidID }

// DecodeError is a 2xx body that is not the resource that was asked for:
// malformed or truncated XML or JSON, another kind of document (an
// EntityRef where an entity was expected), or an empty body. It matches
// ErrDecode.
type DecodeError struct {
	Resource    string // what was expected, e.g. "BackupTaskSession 88322206-..."
	Path        string
	ContentType string
	Snippet     string // start of the body
	Err         error  // the underlying cause
}

// Error describes the error: the resource, the path, the content type and the cause.
func (e *DecodeError) Error() string {
	s := fmt.Sprintf("vem: decoding %s from %s", e.Resource, e.Path)
	if e.ContentType != "" {
		s += " (" + e.ContentType + ")"
	}
	s += ": " + unprefixed(e.Err)
	return s
}

// Unwrap returns the underlying cause.
func (e *DecodeError) Unwrap() error { return e.Err }

// Is makes the error match ErrDecode.
func (e *DecodeError) Is(target error) bool { return target == ErrDecode }

// ResponseTooLargeError is a body that exceeded the client's size limit; it
// matches ErrResponseTooLarge.
type ResponseTooLargeError struct {
	Method, Path string
	Limit        int64
}

// Error describes the error: the request and the limit.
func (e *ResponseTooLargeError) Error() string {
	return fmt.Sprintf("vem: %s %s: response body exceeds the limit of %d bytes", e.Method, e.Path, e.Limit)
}

// Is makes the error match ErrResponseTooLarge.
func (e *ResponseTooLargeError) Is(target error) bool { return target == ErrResponseTooLarge }

// RequestError is a request that got no usable HTTP answer: the connection
// failed, was reset, or timed out. Attempts says how often it was tried.
// It unwraps to the cause, so errors.Is(err, context.DeadlineExceeded) and
// errors.As(err, **net.OpError) work.
type RequestError struct {
	Method, Path string
	Attempts     int
	Err          error
}

// Error describes the error: the request, the cause and the attempt count.
func (e *RequestError) Error() string {
	s := fmt.Sprintf("vem: %s %s: %s", e.Method, e.Path, unprefixed(e.Err))
	if e.Attempts > 1 {
		s += fmt.Sprintf(" (after %d attempts)", e.Attempts)
	}
	return s
}

// Unwrap returns the cause.
func (e *RequestError) Unwrap() error { return e.Err }

// errPrefix starts the text of every error of the package, once: an error
// that carries another drops the other's prefix (wrapf, unprefixed).
const errPrefix = "vem: "

// unprefixed returns err's text without its leading "vem: ".
func unprefixed(err error) string { return strings.TrimPrefix(err.Error(), errPrefix) }

// wrapError is an error of the package around another one: its text says
// "vem: " once, and it unwraps to the other.
type wrapError struct {
	msg string
	err error
}

func (e *wrapError) Error() string { return e.msg }
func (e *wrapError) Unwrap() error { return e.err }

// wrapf returns the error "vem: <format>: <err's text without its vem: >",
// which wraps err (errors.Is and errors.As see it).
func wrapf(err error, format string, args ...any) error {
	return &wrapError{msg: errPrefix + fmt.Sprintf(format, args...) + ": " + unprefixed(err), err: err}
}

// redacted replaces a secret in everything an error carries.
const redacted = "[REDACTED]"

// minSecretLen is the shortest secret that is redacted: replacing one or two
// characters everywhere would garble messages without hiding anything.
const minSecretLen = 4

// secrets lists the strings that must never reach an error: the password,
// the Basic authorization value and its base64 (with and without padding),
// and session tokens, each also XML-escaped.
func secrets(username, password string, tokens ...string) []string {
	var out []string
	add := func(s string) {
		if len(s) < minSecretLen || slices.Contains(out, s) {
			return
		}
		out = append(out, s)
		var b strings.Builder
		if xml.EscapeText(&b, []byte(s)) == nil && b.String() != s {
			out = append(out, b.String())
		}
	}
	if password != "" {
		add(password)
		b64 := base64.StdEncoding.EncodeToString([]byte(username + ":" + password))
		add("Basic " + b64)
		add(b64)
		add(strings.TrimRight(b64, "="))
	}
	for _, t := range tokens {
		add(t)
	}
	// Longest first, so that "Basic <b64>" wins over "<b64>".
	slices.SortFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}

// redactor removes secrets from strings.
type redactor struct {
	r      *strings.Replacer
	maxLen int // length of the longest secret
}

func newRedactor(secrets []string) redactor {
	if len(secrets) == 0 {
		return redactor{}
	}
	pairs := make([]string, 0, 2*len(secrets))
	m := 0
	for _, s := range secrets {
		pairs = append(pairs, s, redacted)
		m = max(m, len(s))
	}
	return redactor{r: strings.NewReplacer(pairs...), maxLen: m}
}

// limit redacts the first n bytes of s (and whatever secret overlaps them)
// and truncates the result to n bytes.
func (rd redactor) limit(s string, n int) string {
	if rd.r != nil {
		if len(s) > n+rd.maxLen {
			s = s[:n+rd.maxLen]
		}
		s = rd.r.Replace(s)
	}
	return truncate(s, n)
}

func (rd redactor) apply(s string) string {
	if rd.r == nil {
		return s
	}
	return rd.r.Replace(s)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// cut on a rune boundary
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "..."
}
