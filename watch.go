package vem

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vemkit/vem/internal/em"
)

// Defaults of a Watcher.
const (
	// DefaultWatchInterval is the time between two polls of an idle
	// watcher (WatchOptions.Interval 0).
	DefaultWatchInterval = time.Minute
	// DefaultWatchLag is how late a finished session may reach the query
	// service and still be yielded (WatchOptions.Lag 0). Enterprise
	// Manager collects sessions from its backup servers every 15 minutes.
	DefaultWatchLag = 20 * time.Minute
	// MaxWatchCursorUIDs bounds the sessions a cursor remembers per kind
	// (task sessions, job sessions). See Watcher.Cursor.
	MaxWatchCursorUIDs = 4096
	// maxWatchBackoff bounds the wait after failed polls, in intervals.
	maxWatchBackoffShift = 3
)

// ErrInvalidWatchOptions matches a WatchOptions a Watcher cannot use: a
// negative duration or page size, an invalid Filter, or a Resume cursor
// that does not decode (which also matches ErrInvalidCursor).
var ErrInvalidWatchOptions = errors.New("vem: invalid watch options")

// ErrInvalidCursor matches a Resume value that is not a cursor returned by
// Watcher.Cursor: truncated, edited, or of another version.
var ErrInvalidCursor = errors.New("vem: invalid watch cursor")

// InvalidWatchOptionsError describes what is wrong with a WatchOptions. It
// matches ErrInvalidWatchOptions, and ErrInvalidCursor when the problem is
// the Resume cursor.
type InvalidWatchOptionsError struct {
	Option  string // the field of WatchOptions: "Interval", "Lag", "Resume", ...
	Problem string
	Err     error // the underlying error, if any
}

// Error describes the problem.
func (e *InvalidWatchOptionsError) Error() string {
	s := "vem: watch options: " + e.Option + ": " + e.Problem
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying error.
func (e *InvalidWatchOptionsError) Unwrap() error { return e.Err }

// Is makes the error match ErrInvalidWatchOptions, and ErrInvalidCursor for
// a bad Resume value.
func (e *InvalidWatchOptionsError) Is(target error) bool {
	return target == ErrInvalidWatchOptions || (target == ErrInvalidCursor && e.Option == "Resume")
}

// WatchOptions configures a Watcher.
type WatchOptions struct {
	// Since is the oldest end time of the sessions to yield; the zero
	// value means the time NewWatcher is called. A Resume cursor takes
	// precedence for the kinds it holds.
	Since time.Time
	// Interval is the time between the starts of two polls (0:
	// DefaultWatchInterval). An idle watcher makes one query request per
	// Interval and kind.
	Interval time.Duration
	// Lag is how late, after its end, a finished session may reach the
	// query service and still be yielded (0: DefaultWatchLag). Set it
	// above EM's collection delay (15 minutes by default) plus the time a
	// poll takes. Sessions that arrive later than Lag are not yielded.
	Lag time.Duration
	// Filter narrows the sessions, on the server (for example
	// vem.Ge(vem.BackupTaskSessionFieldResult, vem.ResultWarning)). The zero
	// Filter watches every finished session.
	Filter Filter
	// Resume is a value returned by Watcher.Cursor, maybe in another
	// process: the watcher goes on from there, without loss or repeats.
	Resume string
	// PageSize is the page size of the queries (0: the server's, 100 on
	// EM).
	PageSize int
	// OnError is called with each transient error: a poll that failed
	// after the client's own retries with a 5xx, 429 or 408 answer, a
	// connection failure or timeout, or an answer that did not decode.
	// Return nil to keep watching (the next poll comes after a backoff of
	// up to 8 intervals), or an error to end the iterator with it. With
	// OnError nil the error is logged on the client's logger and the
	// watcher goes on. Other errors (401 after a failed relogon, 403, 400,
	// a closed client, certificate errors) always end the iterator.
	OnError func(err error) error
	// Now is the clock (default time.Now), for tests.
	Now func() time.Time
}

// Watcher yields each finished session once, as it reaches the query
// service, and remembers where it is in a Cursor. Create it with
// Client.NewWatcher. A Watcher watches task sessions (TaskSessions) and job
// sessions (JobSessions), each with its own position; each kind may be
// iterated by one loop at a time. Its methods are safe for concurrent use.
//
// Every poll is one query (one request per page) for the finished sessions
// whose EndTime is at or after the high-water mark (the latest EndTime
// yielded) minus Lag, and at or after Since, sorted by EndTime ascending,
// with the caller's Filter; sessions already yielded within that window
// are recognized by their UID and skipped. Within a poll sessions come in
// end-time order; a session that reaches the query service late (within
// Lag) comes with the next poll that sees it, after sessions that ended
// later.
type Watcher struct {
	c     *Client
	opts  WatchOptions
	now   func() time.Time
	err   error
	sleep func(ctx context.Context, d time.Duration) error

	mu    sync.Mutex
	kinds [2]*watchState
}

// Cursor kind codes, also the index in Watcher.kinds.
const (
	watchTasks = 0
	watchJobs  = 1
)

// watchState is the position of a watcher in one kind of session.
type watchState struct {
	running bool
	water   time.Time            // the latest EndTime yielded (or Since)
	floor   time.Time            // nothing older than this is yielded
	seen    map[string]time.Time // key of each session yielded with EndTime >= low(): its EndTime
}

// low is the oldest EndTime the next poll asks for.
func (s *watchState) low(lag time.Duration) time.Time {
	l := s.water.Add(-lag)
	if l.Before(s.floor) {
		return s.floor
	}
	return l
}

// prune forgets the sessions older than low.
func (s *watchState) prune(lag time.Duration) {
	low := s.low(lag)
	for k, t := range s.seen {
		if t.Before(low) {
			delete(s.seen, k)
		}
	}
}

// accept records a session about to be yielded and reports whether it is
// new: finished, not older than the window and not yielded before.
func (s *watchState) accept(lag time.Duration, key string, end time.Time, finished bool) bool {
	if !finished || end.IsZero() || end.Before(s.low(lag)) {
		return false
	}
	if _, ok := s.seen[key]; ok {
		return false
	}
	s.seen[key] = end
	if end.After(s.water) {
		s.water = end
	}
	return true
}

// watchKey is the dedup key of a UID: its GUID in lower case, or the UID
// itself when it has none.
func watchKey(uid UID) string {
	if g, ok := em.GUIDOf(string(uid)); ok {
		return g
	}
	return string(uid)
}

// NewWatcher returns a Watcher of the client's sessions. Invalid options
// are reported by Err and as the first (and only) error of the iterators.
func (c *Client) NewWatcher(opts WatchOptions) *Watcher {
	w := &Watcher{c: c, opts: opts, now: opts.Now, sleep: sleepCtx}
	if w.now == nil {
		w.now = time.Now
	}
	if w.opts.Interval == 0 {
		w.opts.Interval = DefaultWatchInterval
	}
	if w.opts.Lag == 0 {
		w.opts.Lag = DefaultWatchLag
	}
	since := opts.Since
	if since.IsZero() {
		since = w.now()
	}
	since = since.UTC()
	for i := range w.kinds {
		w.kinds[i] = &watchState{water: since, floor: since, seen: make(map[string]time.Time)}
	}
	w.err = w.validate()
	if w.err == nil && opts.Resume != "" {
		states, err := decodeCursor(opts.Resume)
		if err != nil {
			w.err = &InvalidWatchOptionsError{Option: "Resume", Problem: "not a watcher cursor", Err: err}
		} else {
			for i, s := range states {
				if s != nil {
					w.kinds[i] = s
				}
			}
		}
	}
	return w
}

func (w *Watcher) validate() error {
	o := &w.opts
	switch {
	case o.Interval < 0:
		return &InvalidWatchOptionsError{Option: "Interval", Problem: fmt.Sprintf("negative duration %v", o.Interval)}
	case o.Lag < 0:
		return &InvalidWatchOptionsError{Option: "Lag", Problem: fmt.Sprintf("negative duration %v", o.Lag)}
	case o.PageSize < 0:
		return &InvalidWatchOptionsError{Option: "PageSize", Problem: fmt.Sprintf("negative page size %d", o.PageSize)}
	}
	if err := o.Filter.Err(); err != nil {
		return &InvalidWatchOptionsError{Option: "Filter", Problem: "invalid filter", Err: err}
	}
	return nil
}

// Err returns the problem with the watcher's options, or nil.
func (w *Watcher) Err() error { return w.err }

// BackupTaskSessions yields each finished task session (State Completed) once,
// polling every Interval until ctx is done; then it ends without an error
// (check ctx.Err()). It yields an error, and ends, on invalid options, on
// a permanent error and when OnError returns one; transient errors are
// handled as OnError says. Breaking out of the loop stops it; Cursor then
// includes every session yielded so far.
func (w *Watcher) BackupTaskSessions(ctx context.Context) iter.Seq2[*BackupTaskSession, error] {
	return watchRun(w, ctx, watchTasks, BackupTaskSessionFieldEndTime, BackupTaskSessionFieldState, StateCompleted,
		w.c.QueryBackupTaskSessions,
		func(s *BackupTaskSession) (UID, time.Time, State) { return s.UID, s.EndTime, s.State })
}

// BackupJobSessions yields each finished job session (State Stopped) once, as
// BackupTaskSessions does for task sessions.
func (w *Watcher) BackupJobSessions(ctx context.Context) iter.Seq2[*BackupJobSession, error] {
	return watchRun(w, ctx, watchJobs, BackupJobSessionFieldEndTime, BackupJobSessionFieldState, StateStopped,
		w.c.QueryBackupJobSessions,
		func(s *BackupJobSession) (UID, time.Time, State) { return s.UID, s.EndTime, s.State })
}

func watchRun[T any](w *Watcher, ctx context.Context, kind int, endField, stateField Field, finished State,
	query func(context.Context, Query) iter.Seq2[*T, error], get func(*T) (UID, time.Time, State)) iter.Seq2[*T, error] {
	return func(yield func(*T, error) bool) {
		if w.err != nil {
			yield(nil, w.err)
			return
		}
		w.mu.Lock()
		st := w.kinds[kind]
		if st.running {
			w.mu.Unlock()
			yield(nil, errors.New("vem: watcher: this kind of session is already being watched by another loop"))
			return
		}
		st.running = true
		w.mu.Unlock()
		defer func() {
			w.mu.Lock()
			st.running = false
			w.mu.Unlock()
		}()

		lag := w.opts.Lag
		failures := 0
		for {
			start := w.now()
			w.mu.Lock()
			st.prune(lag)
			low := st.low(lag)
			w.mu.Unlock()
			q := Query{
				Filter:      And(Ge(endField, low), Eq(stateField, finished), w.opts.Filter),
				SortAsc:     endField,
				PageSize:    w.opts.PageSize,
				Concurrency: 1,
			}
			var pollErr error
			for s, err := range query(ctx, q) {
				if err != nil {
					pollErr = err
					break
				}
				uid, end, state := get(s)
				w.mu.Lock()
				ok := st.accept(lag, watchKey(uid), end.UTC(), state.Ended())
				w.mu.Unlock()
				if ok && !yield(s, nil) {
					return
				}
			}
			if ctx.Err() != nil {
				return
			}
			wait := w.opts.Interval - w.now().Sub(start)
			if pollErr != nil {
				if !watchTransient(pollErr) {
					yield(nil, pollErr)
					return
				}
				if f := w.opts.OnError; f != nil {
					if err := f(pollErr); err != nil {
						yield(nil, err)
						return
					}
				} else {
					w.c.log.Warn("vem: watch: poll failed; retrying", "error", pollErr.Error())
				}
				failures++
				wait = w.opts.Interval << min(failures-1, maxWatchBackoffShift)
			} else {
				failures = 0
			}
			if err := w.sleep(ctx, max(wait, 0)); err != nil {
				return
			}
		}
	}
}

// watchTransient reports whether a poll's error may heal by itself.
func watchTransient(err error) bool {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.StatusCode >= 500 || ae.StatusCode == http.StatusTooManyRequests || ae.StatusCode == http.StatusRequestTimeout
	}
	if errors.Is(err, ErrDecode) || errors.Is(err, ErrResponseTooLarge) {
		return true
	}
	var re *RequestError
	if errors.As(err, &re) {
		return !errors.Is(err, context.Canceled) && !isCertificateError(err)
	}
	return false
}

// sleepCtx waits for d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Cursor returns the watcher's position in every kind it watches: a short
// printable string (base64url, no padding) to pass as WatchOptions.Resume,
// in this process or another. Take it after handling each session: it
// covers every session yielded so far.
//
// It holds, per kind, the high-water mark, the oldest end time still
// watched and the UIDs (as 16-byte GUIDs) and end times of the sessions
// yielded within the Lag window: about 27 characters per such session plus
// a few dozen. It remembers at most MaxWatchCursorUIDs sessions per kind
// (about 110 KB): beyond that it keeps the newest ones and a resumed
// watcher does not yield late arrivals older than the oldest it kept.
func (w *Watcher) Cursor() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	b := []byte{cursorVersion}
	for i, s := range w.kinds {
		s.prune(w.opts.Lag)
		b = appendCursorState(b, byte(i), s, s.low(w.opts.Lag))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// cursorVersion is the first byte of an encoded cursor.
const cursorVersion = 'w'

type cursorEntry struct {
	key string
	end time.Time
}

// appendCursorState appends one kind: code, water (unix ns, varint),
// water-floor (ns, uvarint), count, then per entry a tag (0: 16-byte GUID,
// 1: length-prefixed string), the key and water-end in milliseconds,
// rounded down (so an entry is kept a little longer, never shorter).
func appendCursorState(b []byte, code byte, s *watchState, floor time.Time) []byte {
	entries := make([]cursorEntry, 0, len(s.seen))
	for k, t := range s.seen {
		entries = append(entries, cursorEntry{k, t})
	}
	slices.SortFunc(entries, func(a, b cursorEntry) int {
		if c := b.end.Compare(a.end); c != 0 {
			return c
		}
		return strings.Compare(a.key, b.key)
	})
	if len(entries) > MaxWatchCursorUIDs {
		cut := entries[MaxWatchCursorUIDs].end
		floor = cut.Add(time.Nanosecond)
		entries = slices.DeleteFunc(entries, func(e cursorEntry) bool { return !e.end.After(cut) })
	}
	b = append(b, code)
	b = binary.AppendVarint(b, s.water.UnixNano())
	b = binary.AppendUvarint(b, uint64(s.water.Sub(floor)))
	b = binary.AppendUvarint(b, uint64(len(entries)))
	for _, e := range entries {
		if g, err := guidBytes(e.key); err == nil {
			b = append(b, 0)
			b = append(b, g[:]...)
		} else {
			b = append(b, 1)
			b = binary.AppendUvarint(b, uint64(len(e.key)))
			b = append(b, e.key...)
		}
		b = binary.AppendUvarint(b, uint64(s.water.Sub(e.end)/time.Millisecond))
	}
	return b
}

func guidBytes(s string) ([16]byte, error) {
	var g [16]byte
	if !em.IsGUID(s) || strings.ToLower(s) != s {
		return g, errors.New("not a lower-case GUID")
	}
	_, err := hex.Decode(g[:], []byte(strings.ReplaceAll(s, "-", "")))
	return g, err
}

func guidString(g []byte) string {
	h := hex.EncodeToString(g)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// decodeCursor decodes Cursor's output: one state per kind, nil for kinds
// it does not hold.
func decodeCursor(s string) ([2]*watchState, error) {
	var out [2]*watchState
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return out, errors.New("not base64url")
	}
	if len(b) == 0 || b[0] != cursorVersion {
		return out, errors.New("unknown version")
	}
	b = b[1:]
	bad := errors.New("truncated or malformed")
	uvarint := func() (uint64, bool) {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return 0, false
		}
		b = b[n:]
		return v, true
	}
	const maxSpan = uint64(100 * 365 * 24 * time.Hour)
	for len(b) > 0 {
		code := b[0]
		b = b[1:]
		if int(code) >= len(out) || out[code] != nil {
			return out, fmt.Errorf("unknown or repeated kind %d", code)
		}
		water, n := binary.Varint(b)
		if n <= 0 {
			return out, bad
		}
		b = b[n:]
		span, ok1 := uvarint()
		count, ok2 := uvarint()
		if !ok1 || !ok2 || span > maxSpan || count > MaxWatchCursorUIDs {
			return out, bad
		}
		st := &watchState{water: time.Unix(0, water).UTC(), seen: make(map[string]time.Time, count)}
		st.floor = st.water.Add(-time.Duration(span))
		for range count {
			if len(b) == 0 {
				return out, bad
			}
			tag := b[0]
			b = b[1:]
			var key string
			switch tag {
			case 0:
				if len(b) < 16 {
					return out, bad
				}
				key = guidString(b[:16])
				b = b[16:]
			case 1:
				l, ok := uvarint()
				if !ok || l == 0 || l > 1024 || uint64(len(b)) < l {
					return out, bad
				}
				key = string(b[:l])
				b = b[l:]
			default:
				return out, bad
			}
			ms, ok := uvarint()
			if !ok || ms > maxSpan/uint64(time.Millisecond) {
				return out, bad
			}
			st.seen[key] = st.water.Add(-time.Duration(ms) * time.Millisecond)
		}
		out[code] = st
	}
	if out[0] == nil && out[1] == nil {
		return out, errors.New("empty")
	}
	return out, nil
}
