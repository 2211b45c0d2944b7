package vem

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// session owns the client's logon state: the token sent in the
// X-RestSvcSessionId header, the SessionId used to log out, and the single
// logon in flight that concurrent callers share.
type session struct {
	c *Client

	mu        sync.Mutex
	token     string
	sessionID string // the LogonSession's SessionId; "" when unknown
	// gen counts logons; a caller that met a 401 passes the generation of
	// the token it used, so that many callers failing on the same expired
	// token cause one new logon, not one each.
	gen      uint64
	borrowed bool // the token came from WithSessionID
	inflight *logonCall

	// workedGen is the newest generation that got an answer other than
	// 401: a session that worked and then gets a 401 has expired.
	workedGen atomic.Uint64

	kaStop context.CancelFunc // stops the keep-alive; nil when not running
	last   time.Time          // when the session was last used
}

type logonCall struct {
	done chan struct{}
	err  error
}

func (s *session) init(c *Client, token string) {
	s.c = c
	if token != "" {
		s.token, s.borrowed, s.gen = token, true, 1
		s.startKeepAliveLocked()
	}
}

// owned reports whether the client holds a session it opened itself.
func (s *session) owned() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.token != "" && !s.borrowed
}

// canRenew reports whether a 401 may be answered by logging on again.
func (s *session) canRenew() bool { return s.c.cfg.hasCredentials }

// current returns the token to use, logging on first when there is none.
func (s *session) current(ctx context.Context) (string, uint64, error) {
	s.mu.Lock()
	if s.token != "" {
		tok, gen := s.token, s.gen
		s.last = time.Now()
		s.mu.Unlock()
		return tok, gen, nil
	}
	if !s.c.cfg.hasCredentials {
		s.mu.Unlock()
		return "", 0, ErrNoCredentials
	}
	call := s.startLogonLocked(ctx)
	s.mu.Unlock()
	if err := s.wait(ctx, call); err != nil {
		return "", 0, err
	}
	return s.current(ctx)
}

// renew logs on again after a 401 met with the token of generation gen,
// unless another caller already did.
func (s *session) renew(ctx context.Context, gen uint64) error {
	s.mu.Lock()
	if s.gen != gen && s.token != "" {
		s.mu.Unlock()
		return nil // someone else already renewed the session
	}
	s.c.log.DebugContext(ctx, "vem: session expired; logging on again")
	s.token, s.sessionID = "", ""
	call := s.startLogonLocked(ctx)
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

// renewedSince reports whether the session has been replaced since the
// token of generation gen was handed out.
func (s *session) renewedSince(gen uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gen != gen && s.token != ""
}

// invalidate forgets a token that got a 401 that will not be renewed.
func (s *session) invalidate(gen uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gen == gen && s.c.cfg.hasCredentials {
		s.token, s.sessionID = "", ""
	}
}

// startLogonLocked starts a logon shared by every caller that arrives while
// it runs, or joins the one in flight. It runs detached from the first
// caller's cancellation (bounded by the client's timeout), so that one
// caller giving up does not fail the others; each caller waits with its own
// context.
func (s *session) startLogonLocked(ctx context.Context) *logonCall {
	if s.inflight != nil {
		return s.inflight
	}
	call := &logonCall{done: make(chan struct{})}
	s.inflight = call
	lctx := context.WithoutCancel(ctx)
	s.c.bg.Add(1)
	go func() {
		defer s.c.bg.Done()
		lctx, cancel := context.WithTimeout(lctx, s.c.cfg.timeout)
		defer cancel()
		defer context.AfterFunc(s.c.life, cancel)() // Close stops it
		tok, id, err := s.c.logon(lctx)
		s.mu.Lock()
		if err == nil {
			s.token, s.sessionID, s.borrowed = tok, id, false
			s.gen++
			s.last = time.Now()
			s.startKeepAliveLocked()
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
	}
}

// Logon logs on now, if the client has no session yet: POST
// /api/sessionMngr/?v=latest with the credentials. Calling it is optional;
// any call logs on when needed. Wrong credentials return an error matching
// ErrUnauthorized.
func (c *Client) Logon(ctx context.Context) error {
	if c.isClosed() {
		return ErrClosed
	}
	_, _, err := c.auth.current(ctx)
	return err
}

// SessionID returns the current session token (the X-RestSvcSessionId
// value), or "" when the client has no session. Treat it as a secret: it
// grants the rights of the account that logged on.
func (c *Client) SessionID() string {
	c.auth.mu.Lock()
	defer c.auth.mu.Unlock()
	return c.auth.token
}

// Logout ends the client's session: DELETE /api/logonSessions/{SessionId}.
// It forgets the token even when the server says the session was already
// gone (401 or 404). With no session it does nothing and sends nothing, so
// calling it twice is fine. A later call logs on again if the client has
// credentials.
//
// For a session borrowed with WithSessionID, whose SessionId the client was
// not told, Logout first reads GET /api/logonSessions to find it.
func (c *Client) Logout(ctx context.Context) error {
	if c.isClosed() {
		return ErrClosed
	}
	return c.logout(ctx)
}

func (c *Client) logout(ctx context.Context) error {
	s := &c.auth
	s.mu.Lock()
	tok, id := s.token, s.sessionID
	s.mu.Unlock()
	if tok == "" {
		return nil
	}
	if id == "" {
		var err error
		if id, err = c.lookupSessionID(ctx, tok); err != nil {
			return err
		}
	}
	_, err := c.sendWithToken(ctx, &request{
		method: http.MethodDelete, path: "/api/logonSessions/" + id,
		resource: "logon session", noRelogon: true,
	}, tok, nil)
	if err != nil && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrUnauthorized) {
		return err
	}
	s.mu.Lock()
	if s.token == tok {
		s.token, s.sessionID, s.borrowed = "", "", false
		s.stopKeepAliveLocked()
	}
	s.mu.Unlock()
	return nil
}

// lookupSessionID finds the SessionId of a borrowed token: EM lists the
// caller's own logon session under /api/logonSessions.
func (c *Client) lookupSessionID(ctx context.Context, tok string) (string, error) {
	var list logonSessionsWire
	_, err := c.sendWithToken(ctx, &request{
		method: http.MethodGet, path: "/api/logonSessions", resource: "logon sessions", noRelogon: true,
	}, tok, func(ct string, body []byte) error { return decodeWire(ct, body, &list) })
	if err != nil {
		if errors.Is(err, ErrUnauthorized) {
			return "", fmt.Errorf("vem: logout: the session is no longer valid: %w", err)
		}
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
	err = c.finish(r, resp, decode)
	resp.release()
	return hdr, err
}

// logon performs the logon POST and returns the token and the SessionId.
func (c *Client) logon(ctx context.Context) (token, sessionID string, err error) {
	var ls logonSessionWire
	r := &request{method: http.MethodPost, path: "/api/sessionMngr/", rawQuery: "v=latest", resource: "logon session", logon: true}
	resp, err := c.send(ctx, r, "")
	if err != nil {
		return "", "", err
	}
	defer resp.release()
	if err := c.finish(r, resp, func(ct string, body []byte) error {
		if derr := decodeWire(ct, body, &ls); derr != nil {
			// The token is what matters; a missing SessionId only means
			// Logout will have to look it up.
			c.log.WarnContext(ctx, "vem: logon body could not be decoded", "error", derr.Error())
		}
		return nil
	}); err != nil {
		return "", "", err // the error names POST /api/sessionMngr/ already
	}
	token = resp.header.Get(sessionHeader)
	if token == "" {
		return "", "", fmt.Errorf("vem: logon: %d answer without an %s header", resp.status, sessionHeader)
	}
	sessionID = strings.ToLower(strings.TrimSpace(ls.SessionID))
	if !isGUID(sessionID) {
		sessionID = ""
	}
	c.log.DebugContext(ctx, "vem: logged on", "user", ls.UserName)
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
