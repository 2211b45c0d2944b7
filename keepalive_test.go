package vem

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestNextKeepAlive: the keep-alive pings an idle session, waits out the
// rest of the interval of a busy one, and waits a whole interval when there
// is no session (it never spins).
func TestNextKeepAlive(t *testing.T) {
	t.Parallel()
	const iv = time.Minute
	tests := []struct {
		name       string
		idle       time.Duration
		hasSession bool
		wantWait   time.Duration
		wantPing   bool
	}{
		{"idle session: ping", 2 * iv, true, iv, true},
		{"idle exactly the interval: ping", iv, true, iv, true},
		{"used 10s ago: wait the rest", 10 * time.Second, true, iv - 10*time.Second, false},
		{"no session, long idle: wait a whole interval", 10 * iv, false, iv, false},
		{"no session, never used: wait a whole interval", time.Duration(1<<62 - 1), false, iv, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wait, ping := nextKeepAlive(iv, tt.idle, tt.hasSession)
			assert.Equal(t, tt.wantWait, wait)
			assert.Equal(t, tt.wantPing, ping)
		})
	}
}

// TestKeepAliveStartStop: Start runs one goroutine however often it is
// called; Stop ends it, waits for it, and is final; a nil keep-alive (not
// configured) does nothing.
func TestKeepAliveStartStop(t *testing.T) {
	t.Parallel()
	var checks, pings atomic.Int32
	k := newKeepAlive(5*time.Millisecond,
		func() (time.Duration, bool) { checks.Add(1); return time.Hour, true },
		func(context.Context) error { pings.Add(1); return nil },
		slog.New(slog.DiscardHandler))
	k.Start()
	k.Start()
	assert.True(t, k.running())
	assert.Eventually(t, func() bool { return pings.Load() >= 2 }, 10*time.Second, time.Millisecond)
	k.Stop()
	assert.False(t, k.running())
	n := checks.Load()
	k.Start() // after Stop: nothing
	assert.False(t, k.running())
	time.Sleep(20 * time.Millisecond)
	assert.Equal(t, n, checks.Load(), "no check after Stop returned")
	k.Stop()

	var none *keepAlive
	assert.Nil(t, newKeepAlive(0, nil, nil, nil))
	none.Start()
	none.Stop()
	assert.False(t, none.running())
}
