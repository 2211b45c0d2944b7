package vem

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// maxSessionRetries bounds how often one call repeats itself after a 401.
const maxSessionRetries = 3

// maxTokenBytes bounds the session token a logon may hand out. EM's tokens
// are a few dozen bytes of base64; a longer one would be re-sent on every
// request.
const maxTokenBytes = 4 << 10

// session owns the client's logon state: the token sent in the
// X-RestSvcSessionId header, the SessionId used to log out, and the single
// logon in flight that concurrent callers share. It knows nothing of the
// Client: it is given the logon request to run, and the keep-alive to start
// once a session exists.
type session struct {
	// logon sends the logon request; nil when the client has no
	// credentials and so can never log on.
	logon func(context.Context) (token, sessionID string, err error)
	// logonTimeout bounds one shared logon.
	logonTimeout time.Duration
	log          *slog.Logger
	// keepAlive is started with the first session; nil when not configured.
	keepAlive *keepAlive
	// life is cancelled by close: it ends a logon still in flight, which
	// runs detached from the context of the call that started it.
	life     context.Context
	lifeStop context.CancelFunc
	// closing is closed when Close begins: no logon may start, and callers
	// stop waiting for the one in flight.
	closing <-chan struct{}

	mu        sync.Mutex
	token     string
	sessionID string // the LogonSession's SessionId; "" when unknown
	// gen counts logons; a caller that met a 401 passes the generation of
	// the token it used, so that many callers failing on the same expired
	// token cause one new logon, not one each.
	gen      uint64
	borrowed bool // the token came from WithSessionID
	inflight *logonCall
	last     time.Time // when the session was last used

	// workedGen is the newest generation that got an answer other than
	// 401: a session that worked and then gets a 401 has expired.
	workedGen atomic.Uint64
}

type logonCall struct {
	done chan struct{}
	err  error
}

// newSession returns the session state of a client. logon is nil without
// credentials; token is a borrowed session token, or ""; closing is closed
// when the client's Close begins.
func newSession(logon func(context.Context) (string, string, error), logonTimeout time.Duration, log *slog.Logger, token string, closing <-chan struct{}) *session {
	s := &session{logon: logon, logonTimeout: logonTimeout, log: log, closing: closing}
	s.life, s.lifeStop = context.WithCancel(context.Background())
	if token != "" {
		s.token, s.borrowed, s.gen = token, true, 1
	}
	return s
}

// start starts the keep-alive when the client begins with a borrowed
// session. It is separate from newSession because the keep-alive needs the
// session.
func (s *session) start() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.token != "" {
		s.keepAlive.Start()
	}
}

// owned reports whether the client holds a session it opened itself.
func (s *session) owned() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.token != "" && !s.borrowed
}

// current returns the token to use, logging on first when there is none.
func (s *session) current(ctx context.Context) (string, uint64, error) {
	for {
		s.mu.Lock()
		if s.token != "" {
			tok, gen := s.token, s.gen
			s.last = time.Now()
			s.mu.Unlock()
			return tok, gen, nil
		}
		if s.logon == nil {
			s.mu.Unlock()
			return "", 0, ErrNoCredentials
		}
		call := s.startLogonLocked(ctx)
		s.mu.Unlock()
		if err := s.wait(ctx, call); err != nil {
			return "", 0, err
		}
	}
}

// sessionRetry is what one call has done about 401s so far.
type sessionRetry struct {
	retries  int  // how often the call was repeated after a 401
	loggedOn bool // whether the call has asked for a logon of its own
}

// mayRenew is the session rule, decided for a call that met a 401 with the
// token of generation gen: may the call repeat itself with a session other
// than the one that failed? It records the decision in r.
//
//   - Without credentials, never: the 401 is returned.
//   - At most maxSessionRetries times per call: never a loop.
//   - If the token has been replaced meanwhile (another call renewed the
//     session), yes: the call repeats with the current session.
//   - Else the call asks for a logon (shared with every call that met the
//     same expired session), but only once, unless the session that failed
//     has answered something other than 401 before: then it expired again
//     while the call was in flight. A 401 on a session that never worked,
//     right after this call logged on, is a refusal and is returned.
func (s *session) mayRenew(gen uint64, r *sessionRetry) bool {
	if s.logon == nil || r.retries >= maxSessionRetries {
		return false
	}
	s.mu.Lock()
	replaced := s.gen != gen && s.token != ""
	s.mu.Unlock()
	if !replaced {
		if r.loggedOn && !s.worked(gen) {
			return false
		}
		r.loggedOn = true
	}
	r.retries++
	return true
}

// renew logs on again after a 401 met with the token of generation gen,
// unless another caller already did.
func (s *session) renew(ctx context.Context, gen uint64) error {
	s.mu.Lock()
	if s.gen != gen && s.token != "" {
		s.mu.Unlock()
		return nil // someone else already renewed the session
	}
	if s.log.Enabled(ctx, slog.LevelDebug) {
		s.log.DebugContext(ctx, "vem: session expired; logging on again")
	}
	s.token, s.sessionID = "", ""
	call := s.startLogonLocked(withKind(ctx, RequestKindRenewal))
	s.mu.Unlock()
	return s.wait(ctx, call)
}

// markWorked records that the session of generation gen answered a request.
func (s *session) markWorked(gen uint64) {
	for {
		cur := s.workedGen.Load()
		if cur >= gen || s.workedGen.CompareAndSwap(cur, gen) {
			return
		}
	}
}

// worked reports whether the session of generation gen ever answered a
// request with something other than 401.
func (s *session) worked(gen uint64) bool { return s.workedGen.Load() >= gen }

// invalidate forgets a token that got a 401 that will not be renewed, so
// that the next call logs on. A borrowed token without credentials is kept:
// there is nothing to replace it with.
func (s *session) invalidate(gen uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gen == gen && s.logon != nil {
		s.token, s.sessionID = "", ""
	}
}

// snapshot returns the token and SessionId, and how long the session has
// been idle.
func (s *session) snapshot() (token, sessionID string, idle time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.token, s.sessionID, time.Since(s.last)
}

// touch records that the session was just used.
func (s *session) touch(tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.token == tok {
		s.last = time.Now()
	}
}

// forget drops tok if it is still the current token (after a logout).
func (s *session) forget(tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.token == tok {
		s.token, s.sessionID, s.borrowed = "", "", false
	}
}

// errLogonClosed is what a logon asked for after Close began returns.
var errLogonClosed = fmt.Errorf("vem: no logon after Close: %w", ErrClosed)

// startLogonLocked starts a logon shared by every caller that arrives while
// it runs, or joins the one in flight. It runs detached from the first
// caller's cancellation (bounded by the logon timeout), so that one caller
// giving up does not fail the others; each caller waits with its own
// context. Once Close has begun it starts nothing and fails with ErrClosed.
// s.mu must be held.
func (s *session) startLogonLocked(ctx context.Context) *logonCall {
	if s.inflight != nil {
		return s.inflight
	}
	call := &logonCall{done: make(chan struct{})}
	select {
	case <-s.closing:
		call.err = errLogonClosed
		close(call.done)
		return call
	default:
	}
	s.inflight = call
	lctx := context.WithoutCancel(ctx)
	go func() {
		lctx, cancel := context.WithTimeout(lctx, s.logonTimeout)
		stop := context.AfterFunc(s.life, cancel) // Close gives up on it
		tok, id, err := s.logon(lctx)
		stop()
		cancel()
		s.mu.Lock()
		if err == nil {
			s.token, s.sessionID, s.borrowed = tok, id, false
			s.gen++
			s.last = time.Now()
			s.keepAlive.Start()
		}
		call.err = err
		s.inflight = nil
		s.mu.Unlock()
		close(call.done)
	}()
	return call
}

func (s *session) wait(ctx context.Context, call *logonCall) error {
	select {
	case <-call.done:
		return call.err
	case <-ctx.Done():
		return fmt.Errorf("vem: waiting for logon: %w", ctx.Err())
	case <-s.closing:
		return errLogonClosed
	}
}

// close runs once Close has begun (closing is closed, so no logon can
// start): it waits (until ctx ends) for the logon in flight, if any, so
// that its session can be logged out, then stops whatever is left of it and
// the keep-alive. It returns ctx's error when it stopped waiting.
func (s *session) close(ctx context.Context) error {
	s.mu.Lock()
	call := s.inflight
	s.mu.Unlock()
	var err error
	if call != nil {
		select {
		case <-call.done:
		case <-ctx.Done():
			err = fmt.Errorf("vem: close: gave up waiting for a logon in flight: %w", ctx.Err())
		}
	}
	s.lifeStop()
	if call != nil {
		<-call.done // the logon has been cancelled: it ends now
	}
	s.keepAlive.Stop()
	return err
}

// Logon logs on now, if the client has no session yet: POST
// /api/sessionMngr/?v=latest with the credentials. Calling it is optional;
// any call logs on when needed. Wrong credentials return an error matching
// ErrUnauthorized; a server that is not Enterprise Manager one matching
// ErrNotEnterpriseManager.
func (c *Client) Logon(ctx context.Context) error {
	if err := c.enter(); err != nil {
		return err
	}
	defer c.leave()
	_, _, err := c.auth.current(ctx)
	return c.closedErr(ctx, "logon", err)
}

// SessionID returns the current session token (the X-RestSvcSessionId
// value), or "" when the client has no session. Treat it as a secret: it
// grants the rights of the account that logged on.
func (c *Client) SessionID() string {
	tok, _, _ := c.auth.snapshot()
	return tok
}

// Logout ends the client's session: DELETE /api/logonSessions/{SessionId}.
// It forgets the token and succeeds quietly when EM no longer knows the
// session (401, 404, or a 500 whose message is about that session: EM
// answers 500 for an unknown logon session). With no session it does
// nothing and sends nothing, so calling it twice is fine. A later call logs
// on again if the client has credentials.
//
// For a session borrowed with WithSessionID, whose SessionId the client was
// not told, Logout first reads GET /api/logonSessions to find it.
func (c *Client) Logout(ctx context.Context) error {
	if err := c.enter(); err != nil {
		return err
	}
	defer c.leave()
	return c.closedErr(ctx, "logout", c.logout(ctx, true))
}

// logout ends the session; call marks a caller's Logout (which Close
// stops), as opposed to Close's own logout.
func (c *Client) logout(ctx context.Context, call bool) error {
	tok, id, _ := c.auth.snapshot()
	if tok == "" {
		return nil
	}
	if id == "" {
		var err error
		if id, err = c.lookupSessionID(ctx, tok, call); err != nil {
			if errors.Is(err, ErrUnauthorized) {
				c.auth.forget(tok) // EM no longer knows the session
				return nil
			}
			return err
		}
	}
	_, err := c.sendWithToken(ctx, &request{
		method: http.MethodDelete, path: "/api/logonSessions/" + id, resource: "logon session", call: call, kind: RequestKindLogout,
	}, tok, nil)
	if err != nil && !sessionGone(err, id) {
		return err
	}
	c.auth.forget(tok)
	return nil
}

// sessionGone reports whether a logout failed only because EM no longer
// knows the session: 401 (the token expired), 404, or a 500 whose message
// names the session or says a session is unknown (EM's answer to a DELETE
// of an unknown logon session).
func sessionGone(err error, sessionID string) bool {
	var ae *APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.StatusCode {
	case http.StatusUnauthorized, http.StatusNotFound:
		return true
	case http.StatusInternalServerError:
		msg := strings.ToLower(ae.Message + " " + ae.FirstChanceExceptionMessage)
		if sessionID != "" && strings.Contains(msg, strings.ToLower(sessionID)) {
			return true
		}
		if !strings.Contains(msg, "session") {
			return false
		}
		for _, s := range []string{"not found", "does not exist", "doesn't exist", "not exist", "unknown", "no longer", "expired", "invalid"} {
			if strings.Contains(msg, s) {
				return true
			}
		}
	}
	return false
}

// lookupSessionID finds the SessionId of a borrowed token: EM lists the
// caller's own logon session under /api/logonSessions.
func (c *Client) lookupSessionID(ctx context.Context, tok string, call bool) (string, error) {
	var list logonSessionsWire
	_, err := c.sendWithToken(ctx, &request{
		method: http.MethodGet, path: "/api/logonSessions", resource: "logon sessions", call: call, kind: RequestKindLogout,
	}, tok, func(ct string, body []byte) error { return decodeWire(ct, body, &list) })
	if err != nil {
		return "", err
	}
	if len(list.Sessions) != 1 || !isGUID(list.Sessions[0].SessionID) {
		return "", fmt.Errorf("vem: logout: cannot tell this client's session among %d logon sessions", len(list.Sessions))
	}
	return strings.ToLower(list.Sessions[0].SessionID), nil
}

// sendWithToken runs a request with a given token, without the automatic
// logon and renewal of do.
func (c *Client) sendWithToken(ctx context.Context, r *request, tok string, decode decodeFunc) (http.Header, error) {
	resp, err := c.send(ctx, r, tok)
	if err != nil {
		return nil, err
	}
	hdr := resp.header
	err = c.finish(r, resp, decode, tok)
	resp.release()
	return hdr, err
}

// logon performs the logon POST and returns the token and the SessionId.
func (c *Client) logon(ctx context.Context) (token, sessionID string, err error) {
	var ls logonSessionWire
	r := &request{method: http.MethodPost, path: "/api/sessionMngr/", rawQuery: "v=latest", resource: "logon session", logon: true, kind: kindFrom(ctx, RequestKindLogon)}
	resp, err := c.send(ctx, r, "")
	if err != nil {
		return "", "", err
	}
	defer resp.release()
	if nerr := notEnterpriseManager(r, resp); nerr != nil {
		return "", "", nerr
	}
	if err := c.finish(r, resp, func(ct string, body []byte) error {
		if derr := decodeWire(ct, body, &ls); derr != nil {
			// The token is what matters; a missing SessionId only means
			// Logout will have to look it up.
			c.log.WarnContext(ctx, "vem: logon body could not be decoded", "error", c.redact(derr.Error()))
		}
		return nil
	}, ""); err != nil {
		return "", "", err // the error names POST /api/sessionMngr/ already
	}
	token = resp.header.Get(sessionHeader)
	if len(token) > maxTokenBytes {
		return "", "", fmt.Errorf("vem: logon: the %s header is %d bytes long, over the limit of %d: refusing it", sessionHeader, len(token), maxTokenBytes)
	}
	sessionID = strings.ToLower(strings.TrimSpace(ls.SessionID))
	if !isGUID(sessionID) {
		sessionID = ""
	}
	if c.log.Enabled(ctx, slog.LevelDebug) {
		c.log.DebugContext(ctx, "vem: logged on", "user", ls.UserName)
	}
	return token, sessionID, nil
}

// logonSessionWire is the LogonSession document.
type logonSessionWire struct {
	XMLName   xml.Name `json:"-"`
	Href      string   `xml:"Href,attr" json:"Href"`
	UserName  string   `xml:"UserName" json:"UserName"`
	SessionID string   `xml:"SessionId" json:"SessionId"`
	Links     Links    `xml:"Links>Link" json:"Links"`
}

// logonSessionsWire is the LogonSessions list.
type logonSessionsWire struct {
	Sessions []logonSessionWire `xml:"LogonSession" json:"LogonSessions"`
}

// notEnterpriseManager returns a *NotEnterpriseManagerError when the answer
// to the logon POST is one EM never gives, else nil: 400, 404 or 405 (a
// path EM does not serve, as on the VBR REST API on port 9419 or behind a
// proxy path), a 401 with a Bearer challenge (EM asks for Basic), or a
// success that is an HTML page or carries no session token.
func notEnterpriseManager(r *request, resp *response) error {
	ct := resp.header.Get("Content-Type")
	e := &NotEnterpriseManagerError{StatusCode: resp.status, ContentType: ct}
	mt, _, _ := strings.Cut(strings.ToLower(ct), ";")
	html := strings.TrimSpace(mt) == "text/html"
	switch {
	case resp.status == http.StatusNotFound || resp.status == http.StatusMethodNotAllowed || resp.status == http.StatusBadRequest:
		e.Reason = "EM accepts POST " + r.path + " and answers 201 or 401"
	case resp.status == http.StatusUnauthorized:
		for _, ch := range resp.header.Values("WWW-Authenticate") {
			if scheme, _, _ := strings.Cut(strings.TrimSpace(ch), " "); strings.EqualFold(scheme, "Bearer") {
				e.Reason = "it asks for a Bearer token; EM asks for Basic authentication"
			}
		}
	case resp.status >= 200 && resp.status <= 299 && html:
		e.Reason = "it answered the logon with an HTML page"
	case resp.status >= 200 && resp.status <= 299 && resp.header.Get(sessionHeader) == "":
		e.Reason = "its answer carries no " + sessionHeader + " header"
	}
	if e.Reason == "" {
		return nil
	}
	return e
}
