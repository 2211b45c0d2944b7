package vem

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// keepAlive keeps an idle session alive, so that EM's 15-minute idle timeout
// never ends it: when the session has been idle for the interval, it reads
// the client's own logon session. It is a small handler in the manner of
// govmomi's session keep-alive: built with what it needs (the interval, a
// way to tell how long the session has been idle, the ping), started with
// Start and stopped with Stop. The session starts it with its first session;
// Close stops it. It never logs on: with no session it only waits.
type keepAlive struct {
	interval time.Duration
	// idle reports how long the session has been idle, and false when
	// there is no session.
	idle func() (time.Duration, bool)
	// ping makes one authenticated read with the current session.
	ping func(context.Context) error
	log  *slog.Logger

	mu      sync.Mutex
	stop    context.CancelFunc // nil when not running
	done    chan struct{}      // closed when the goroutine has ended
	stopped bool               // Stop was called: Start does nothing
}

// newKeepAlive returns a keep-alive, or nil when interval is 0 (a nil
// keep-alive's methods do nothing).
func newKeepAlive(interval time.Duration, idle func() (time.Duration, bool), ping func(context.Context) error, log *slog.Logger) *keepAlive {
	if interval <= 0 {
		return nil
	}
	return &keepAlive{interval: interval, idle: idle, ping: ping, log: log}
}

// Start starts the keep-alive goroutine unless it runs already or Stop was
// called. It does not block.
func (k *keepAlive) Start() {
	if k == nil {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.stop != nil || k.stopped {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	k.stop, k.done = cancel, make(chan struct{})
	go k.run(ctx, k.done)
}

// Stop stops the keep-alive for good and waits for its goroutine to end.
func (k *keepAlive) Stop() {
	if k == nil {
		return
	}
	k.mu.Lock()
	k.stopped = true
	stop, done := k.stop, k.done
	k.stop = nil
	k.mu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
}

// running reports whether the goroutine runs.
func (k *keepAlive) running() bool {
	if k == nil {
		return false
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.stop != nil
}

func (k *keepAlive) run(ctx context.Context, done chan struct{}) {
	defer close(done)
	t := time.NewTimer(k.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		idle, ok := k.idle()
		wait, ping := nextKeepAlive(k.interval, idle, ok)
		if ping {
			if err := k.ping(ctx); err != nil && ctx.Err() == nil && k.log.Enabled(ctx, slog.LevelDebug) {
				k.log.DebugContext(ctx, "vem: keep-alive failed", "error", err.Error())
			}
		}
		t.Reset(wait)
	}
}

// nextKeepAlive decides, when the keep-alive wakes up, whether to ping and
// how long to wait next. With no session (after a failed renewal, or a
// Logout) it waits a whole interval: it never spins.
func nextKeepAlive(interval, idle time.Duration, hasSession bool) (wait time.Duration, ping bool) {
	if !hasSession || idle >= interval {
		return interval, hasSession
	}
	return interval - idle, false
}

// newClientKeepAlive builds the keep-alive of a client: it pings the
// client's own logon session with the current token.
func (c *Client) newClientKeepAlive() *keepAlive {
	return newKeepAlive(c.cfg.keepAlive,
		func() (time.Duration, bool) {
			tok, _, idle := c.auth.snapshot()
			return idle, tok != ""
		},
		func(ctx context.Context) error {
			tok, id, _ := c.auth.snapshot()
			if tok == "" {
				return nil
			}
			path := "/api/logonSessions"
			if id != "" {
				path += "/" + id
			}
			pctx, cancel := context.WithTimeout(ctx, c.cfg.timeout)
			defer cancel()
			_, err := c.sendWithToken(pctx, &request{method: http.MethodGet, path: path, resource: "logon session", kind: RequestKindKeepAlive}, tok, nil)
			if err == nil {
				c.auth.touch(tok)
			}
			return err
		},
		c.log)
}
