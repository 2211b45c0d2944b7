package vem

import (
	"context"
	"net/http"
	"time"
)

// The keep-alive reads the client's own logon session when the session has
// been idle for the configured interval, so that EM's 15-minute idle timeout
// never ends it. It runs only while the client holds a session, and stops on
// Logout and Close.

// startKeepAliveLocked starts the keep-alive goroutine if configured and not
// running. s.mu must be held.
func (s *session) startKeepAliveLocked() {
	if s.c.cfg.keepAlive <= 0 || s.kaStop != nil || s.c.isClosed() {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.kaStop = cancel
	s.c.bg.Add(1)
	go func() {
		defer s.c.bg.Done()
		s.c.keepAlive(ctx)
	}()
}

func (s *session) stopKeepAliveLocked() {
	if s.kaStop != nil {
		s.kaStop()
		s.kaStop = nil
	}
}

func (s *session) stopKeepAlive() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopKeepAliveLocked()
}

// keepAlive runs until ctx is cancelled.
func (c *Client) keepAlive(ctx context.Context) {
	interval := c.cfg.keepAlive
	t := time.NewTimer(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		c.auth.mu.Lock()
		tok, id, idle := c.auth.token, c.auth.sessionID, time.Since(c.auth.last)
		c.auth.mu.Unlock()
		next := interval - idle
		if tok != "" && next <= 0 {
			path := "/api/logonSessions"
			if id != "" {
				path += "/" + id
			}
			pctx, cancel := context.WithTimeout(ctx, c.cfg.timeout)
			_, err := c.sendWithToken(pctx, &request{method: http.MethodGet, path: path, resource: "logon session", noRelogon: true}, tok, nil)
			cancel()
			if err != nil {
				c.log.Debug("vem: keep-alive failed", "error", err.Error())
			} else {
				c.auth.mu.Lock()
				c.auth.last = time.Now()
				c.auth.mu.Unlock()
			}
			next = interval
		}
		t.Reset(max(next, 10*time.Millisecond))
	}
}
