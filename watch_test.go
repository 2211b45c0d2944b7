package vem

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var watchT0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func watchGUID(n int) string { return fmt.Sprintf("%08x-0000-4000-8000-%012x", n, n) }

func watchUID(n int) UID { return UID("urn:veeam:BackupTaskSession:" + watchGUID(n)) }

func TestWatchStateAccept(t *testing.T) {
	lag := 10 * time.Minute
	st := &watchState{water: watchT0, floor: watchT0, seen: map[string]time.Time{}}
	at := func(m int) time.Time { return watchT0.Add(time.Duration(m) * time.Minute) }
	steps := []struct {
		name     string
		n        int
		end      time.Time
		finished bool
		want     bool
	}{
		{"first", 1, at(5), true, true},
		{"repeat", 1, at(5), true, false},
		{"running", 2, time.Time{}, false, false},
		{"finished without end time", 3, time.Time{}, true, false},
		{"before Since", 4, at(-1), true, false},
		{"later", 5, at(30), true, true},
		{"late arrival within Lag", 6, at(21), true, true},
		{"older than water-Lag", 7, at(19), true, false},
		{"same end time, other UID", 8, at(30), true, true},
		{"repeat after water moved", 6, at(21), true, false},
	}
	for _, s := range steps {
		got := st.accept(lag, watchKey(watchUID(s.n)), s.end, s.finished)
		assert.Equal(t, s.want, got, s.name)
	}
	assert.Equal(t, at(30), st.water)
	assert.Equal(t, at(20), st.low(lag))
	st.prune(lag)
	assert.Len(t, st.seen, 3, "the sessions that ended before water-Lag are forgotten")
	_, ok := st.seen[watchGUID(1)]
	assert.False(t, ok)
}

func TestWatchKeyIgnoresCaseAndKind(t *testing.T) {
	g := watchGUID(0xabc)
	assert.Equal(t, g, watchKey(UID(strings.ToUpper("urn:veeam:BackupTaskSession:"+g))))
	assert.Equal(t, g, watchKey(UID(g)))
	assert.Equal(t, "odd-uid", watchKey("odd-uid"))
}

func newTestWatcher(t *testing.T, opts WatchOptions) *Watcher {
	t.Helper()
	c, _ := newMockClient(t)
	if opts.Now == nil {
		opts.Now = func() time.Time { return watchT0 }
	}
	w := c.NewWatcher(opts)
	require.NoError(t, w.Err())
	return w
}

func TestWatchCursorRoundTrip(t *testing.T) {
	lag := 10 * time.Minute
	w := newTestWatcher(t, WatchOptions{Lag: lag})
	st := w.kinds[watchTasks]
	for i := range 50 {
		end := watchT0.Add(time.Duration(i)*time.Second + 123456789)
		require.True(t, st.accept(lag, watchKey(watchUID(i)), end, true))
	}
	require.True(t, st.accept(lag, "not-a-guid", watchT0.Add(30*time.Second), true))
	jst := w.kinds[watchJobs]
	require.True(t, jst.accept(lag, watchGUID(999), watchT0.Add(time.Minute), true))

	cur := w.Cursor()
	assert.Less(t, len(cur), 60+27*52, "about 27 characters per remembered session")
	assert.NotContains(t, cur, "=")

	w2 := newTestWatcher(t, WatchOptions{Lag: lag, Resume: cur, Since: watchT0.Add(time.Hour)})
	for _, k := range []int{watchTasks, watchJobs} {
		a, b := w.kinds[k], w2.kinds[k]
		assert.True(t, a.water.Equal(b.water), "water of kind %d", k)
		assert.True(t, a.low(lag).Equal(b.floor), "the resumed floor is the old window's start")
		require.Len(t, b.seen, len(a.seen))
		for key, end := range a.seen {
			got, ok := b.seen[key]
			require.True(t, ok, key)
			assert.False(t, got.Before(end), "end times round up, never down")
			assert.Less(t, got.Sub(end), time.Millisecond)
		}
	}
	// Every session of the cursor is a repeat for the resumed watcher.
	for i := range 50 {
		assert.False(t, w2.kinds[watchTasks].accept(lag, watchKey(watchUID(i)), watchT0.Add(time.Duration(i)*time.Second+123456789), true))
	}
	assert.Equal(t, cur, w2.Cursor(), "a resumed watcher that yielded nothing has the same cursor")
}

func TestWatchCursorResumedWithLongerLagRepeatsNothing(t *testing.T) {
	w := newTestWatcher(t, WatchOptions{Lag: 5 * time.Minute})
	st := w.kinds[watchTasks]
	require.True(t, st.accept(5*time.Minute, watchGUID(1), watchT0.Add(time.Minute), true))
	require.True(t, st.accept(5*time.Minute, watchGUID(2), watchT0.Add(20*time.Minute), true))
	w2 := newTestWatcher(t, WatchOptions{Lag: time.Hour, Resume: w.Cursor()})
	st2 := w2.kinds[watchTasks]
	assert.Equal(t, watchT0.Add(15*time.Minute), st2.low(time.Hour), "the window starts where the old one did")
	assert.False(t, st2.accept(time.Hour, watchGUID(1), watchT0.Add(time.Minute), true), "forgotten by the old watcher: not yielded again")
	assert.False(t, st2.accept(time.Hour, watchGUID(2), watchT0.Add(20*time.Minute), true))
	assert.True(t, st2.accept(time.Hour, watchGUID(3), watchT0.Add(16*time.Minute), true), "a late arrival inside the old window")
}

func TestWatchCursorBound(t *testing.T) {
	lag := time.Hour
	w := newTestWatcher(t, WatchOptions{Lag: lag})
	st := w.kinds[watchTasks]
	n := MaxWatchCursorUIDs + 100
	for i := range n {
		require.True(t, st.accept(lag, watchGUID(i), watchT0.Add(time.Duration(i)*100*time.Millisecond), true))
	}
	cur := w.Cursor()
	assert.Less(t, len(cur), 120_000, "MaxWatchCursorUIDs sessions fit in about 110 KB")
	assert.Len(t, st.seen, n, "the watcher itself forgets nothing")
	w2 := newTestWatcher(t, WatchOptions{Lag: lag, Resume: cur})
	st2 := w2.kinds[watchTasks]
	assert.Len(t, st2.seen, MaxWatchCursorUIDs)
	oldestKept := watchT0.Add(time.Duration(n-MaxWatchCursorUIDs) * 100 * time.Millisecond)
	assert.True(t, st2.low(lag).After(oldestKept.Add(-100*time.Millisecond)), "the floor rises above what the cursor forgot")
	assert.False(t, st2.accept(lag, watchGUID(0), watchT0, true), "a forgotten session is not yielded again")
	assert.False(t, st2.accept(lag, watchGUID(n-1), watchT0.Add(time.Duration(n-1)*100*time.Millisecond), true))
}

func TestWatchOptionsErrors(t *testing.T) {
	good := newTestWatcher(t, WatchOptions{})
	st := good.kinds[watchTasks]
	require.True(t, st.accept(time.Minute, watchGUID(1), watchT0.Add(time.Second), true))
	valid := good.Cursor()
	raw, err := base64.RawURLEncoding.DecodeString(valid)
	require.NoError(t, err)
	enc := base64.RawURLEncoding.EncodeToString

	tests := []struct {
		name   string
		opts   WatchOptions
		option string
		cursor bool
	}{
		{"negative interval", WatchOptions{Interval: -time.Second}, "Interval", false},
		{"negative lag", WatchOptions{Lag: -time.Minute}, "Lag", false},
		{"negative page size", WatchOptions{PageSize: -1}, "PageSize", false},
		{"bad filter", WatchOptions{Filter: Eq("Bad Field", 1)}, "Filter", false},
		{"cursor not base64", WatchOptions{Resume: "%%%"}, "Resume", true},
		{"cursor of another version", WatchOptions{Resume: enc([]byte{'x', 0})}, "Resume", true},
		{"cursor truncated", WatchOptions{Resume: enc(raw[:len(raw)-3])}, "Resume", true},
		{"cursor with trailing bytes", WatchOptions{Resume: enc(append(raw, 0))}, "Resume", true},
		{"cursor with unknown kind", WatchOptions{Resume: enc([]byte{cursorVersion, 7, 0, 0, 0})}, "Resume", true},
		{"cursor without kinds", WatchOptions{Resume: enc([]byte{cursorVersion})}, "Resume", true},
		{"cursor with too many UIDs", WatchOptions{Resume: enc([]byte{cursorVersion, 0, 0, 0, 0xff, 0xff, 0x03})}, "Resume", true},
	}
	c, _ := newMockClient(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := c.NewWatcher(tt.opts)
			err := w.Err()
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrInvalidWatchOptions)
			assert.Equal(t, tt.cursor, errors.Is(err, ErrInvalidCursor))
			var oe *InvalidWatchOptionsError
			require.ErrorAs(t, err, &oe)
			assert.Equal(t, tt.option, oe.Option)
			// The iterators report it as their only error, without a request.
			n := 0
			for ts, err := range w.BackupTaskSessions(context.Background()) {
				n++
				assert.Nil(t, ts)
				assert.ErrorIs(t, err, ErrInvalidWatchOptions)
			}
			assert.Equal(t, 1, n)
		})
	}
}

func TestWatchTransient(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{&APIError{StatusCode: 503}, true},
		{&APIError{StatusCode: 500}, true},
		{&APIError{StatusCode: 429}, true},
		{fmt.Errorf("page 2: %w", &APIError{StatusCode: 502}), true},
		{&APIError{StatusCode: 400}, false},
		{&APIError{StatusCode: 401}, false},
		{&APIError{StatusCode: 403}, false},
		{&RequestError{Method: "GET", Path: "/api/query", Err: syscall.ECONNRESET}, true},
		{&RequestError{Method: "GET", Path: "/api/query", Err: io.ErrUnexpectedEOF}, true},
		{&RequestError{Method: "GET", Path: "/api/query", Err: context.Canceled}, false},
		{&DecodeError{Err: errors.New("truncated")}, true},
		{ErrUnauthorized, false},
		{ErrClosed, false},
		{errors.New("other"), false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, watchTransient(tt.err), "%v", tt.err)
	}
}

func TestWatchQueryShapeAndSecondLoopRefused(t *testing.T) {
	c, mt := newMockClient(t)
	var queries []string
	mt.RegisterResponder("GET", testBase+"/api/query", func(req *http.Request) (*http.Response, error) {
		queries = append(queries, req.URL.Query().Get("filter")+" | "+req.URL.Query().Get("sortAsc")+" | "+req.URL.Query().Get("type"))
		body := `{"PagingInfo":{"PageNum":1,"PageSize":100,"PagesCount":1},"Entities":{"BackupJobSessions":{"BackupJobSessions":[]}}}`
		return mockResp(200, "application/json", []byte(body)), nil
	})
	w := c.NewWatcher(WatchOptions{Since: watchT0, Lag: time.Minute, Now: func() time.Time { return watchT0 },
		Filter: Eq(BackupJobSessionFieldResult, ResultFailed)})
	ctx, cancel := context.WithCancel(context.Background())
	polls := 0
	SetWatcherSleep(w, func(ctx context.Context, d time.Duration) error {
		assert.Equal(t, time.Minute, d)
		polls++
		// A second loop on the same kind is refused while the first runs.
		for _, err := range w.BackupJobSessions(ctx) {
			assert.ErrorContains(t, err, "already")
		}
		if polls == 2 {
			cancel()
		}
		return ctx.Err()
	})
	for s, err := range w.BackupJobSessions(ctx) {
		t.Fatalf("unexpected %v %v", s, err)
	}
	require.Len(t, queries, 2, "one request per poll")
	assert.Equal(t, `EndTime>="2026-03-01T12:00:00Z";State==Stopped;Result==Failed | EndTime | BackupJobSession`, queries[0])

	// An OR filter is grouped, so that it does not escape the window.
	queries = nil
	w = c.NewWatcher(WatchOptions{Since: watchT0, Lag: time.Minute, Now: func() time.Time { return watchT0 },
		Filter: Or(Eq(BackupJobSessionFieldResult, ResultFailed), Eq(BackupJobSessionFieldResult, ResultWarning))})
	SetWatcherSleep(w, func(context.Context, time.Duration) error { return context.Canceled })
	for s, err := range w.BackupJobSessions(context.Background()) {
		t.Fatalf("unexpected %v %v", s, err)
	}
	require.Len(t, queries, 1)
	assert.Equal(t, `EndTime>="2026-03-01T12:00:00Z";State==Stopped;(Result==Failed,Result==Warning) | EndTime | BackupJobSession`, queries[0])
}
