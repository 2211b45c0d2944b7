package vemtest

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"
	"sync"
	"time"
)

// SessionHeader is the header (and cookie) that carries a session token.
const SessionHeader = "X-RestSvcSessionId"

// sessionInfo is what a handler knows about the caller's logon session.
type sessionInfo struct {
	id        string // SessionId GUID, used to log out
	token     string // the X-RestSvcSessionId value
	user      string
	forbidden bool // authenticated, but without an EM role: 403 on resources
}

type session struct {
	sessionInfo
	lastUsed time.Time
}

// user is an account the fake accepts.
type user struct {
	password  string
	forbidden bool
}

// sessionTable holds the live logon sessions by token.
type sessionTable struct {
	mu      sync.Mutex
	idle    time.Duration // <= 0: sessions never expire
	byToken map[string]*session
}

func newSessionTable(idle time.Duration) *sessionTable {
	return &sessionTable{idle: idle, byToken: make(map[string]*session)}
}

func (t *sessionTable) expired(s *session, now time.Time) bool {
	return t.idle > 0 && now.Sub(s.lastUsed) >= t.idle
}

// create starts a session. It also drops sessions that have been idle too
// long and returns how many it dropped.
func (t *sessionTable) create(username string, forbidden bool, now time.Time) (sessionInfo, int) {
	info := sessionInfo{id: randomGUID(), token: randomToken(), user: username, forbidden: forbidden}
	t.mu.Lock()
	defer t.mu.Unlock()
	swept := 0
	for tok, s := range t.byToken {
		if t.expired(s, now) {
			delete(t.byToken, tok)
			swept++
		}
	}
	t.byToken[info.token] = &session{sessionInfo: info, lastUsed: now}
	return info, swept
}

// authResult says why a token was accepted or refused.
type authResult int

const (
	authOK authResult = iota
	authMissing
	authUnknown
	authExpired
)

// use looks a token up and refreshes its last use. A session found idle for
// too long is removed and reported as authExpired (once).
func (t *sessionTable) use(token string, now time.Time) (sessionInfo, authResult) {
	if token == "" {
		return sessionInfo{}, authMissing
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	s, ok := t.byToken[token]
	if !ok {
		return sessionInfo{}, authUnknown
	}
	if t.expired(s, now) {
		delete(t.byToken, token)
		return sessionInfo{}, authExpired
	}
	s.lastUsed = now
	return s.sessionInfo, authOK
}

// remove ends the session with the given token.
func (t *sessionTable) remove(token string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	_, ok := t.byToken[token]
	delete(t.byToken, token)
	return ok
}

// expireAll ends every session and returns how many there were.
func (t *sessionTable) expireAll() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := len(t.byToken)
	clear(t.byToken)
	return n
}

// requestToken returns the session token of a request: the cookie when
// there is one (EM ignores the header then), otherwise the header.
func requestToken(r *http.Request) string {
	for _, c := range r.Cookies() {
		if c.Name == SessionHeader && c.Value != "" {
			return c.Value
		}
	}
	return strings.TrimSpace(r.Header.Get(SessionHeader))
}

// checkPassword compares in constant time.
func checkPassword(got, want string) bool {
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// randomToken returns an opaque token like EM's: 16 random bytes, base64.
func randomToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails (crypto/rand panics on failure itself)
	return base64.StdEncoding.EncodeToString(b)
}

// randomGUID returns a random version 4 GUID in lower case.
func randomGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return formatGUID(b)
}
