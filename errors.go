package vem

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Sentinel errors. Errors returned by the client match them with errors.Is.
var (
	// ErrUnauthorized matches a 401: wrong credentials, or a session that
	// expired and could not be renewed (a borrowed session, or a second 401
	// right after a fresh logon).
	ErrUnauthorized = errors.New("vem: unauthorized")
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
	s += ": " + e.Err.Error()
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
	s := fmt.Sprintf("vem: %s %s: %v", e.Method, e.Path, e.Err)
	if e.Attempts > 1 {
		s += fmt.Sprintf(" (after %d attempts)", e.Attempts)
	}
	return s
}

// Unwrap returns the cause.
func (e *RequestError) Unwrap() error { return e.Err }

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
