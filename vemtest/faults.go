package vemtest

import (
	"context"
	"crypto/tls"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Faults is a seeded, probabilistic fault plan for reliability tests; set it
// with [Server.SetFaults]. Each request the plan covers draws its fate from
// a generator seeded with Seed, so a sequential run of requests meets the
// same faults every time.
//
// The plan covers the authenticated resource routes (everything except
// GET /api/ and, unless IncludeLogon is set, the logon POST). For each
// request:
//
//   - with probability DelayRate the answer is held back by Delay first
//     (the wait ends early when the request's context is done or the server
//     closes);
//   - then with probability ResetRate the connection is reset: it is
//     hijacked and closed abruptly (SO_LINGER 0), so the client sees a
//     connection reset or an unexpected EOF and no response;
//   - otherwise with probability ErrorRate the request is answered with
//     ErrorStatus and an EM Error body, carrying a Retry-After header with
//     probability RetryAfterRate;
//   - otherwise the request is served normally.
//
// The zero Faults disables the plan.
type Faults struct {
	Seed           int64
	ResetRate      float64       // probability of a connection reset
	ErrorRate      float64       // probability of an error answer
	ErrorStatus    int           // status of error answers; 0 means 503
	RetryAfterRate float64       // probability that an error answer has Retry-After
	RetryAfter     time.Duration // Retry-After value, in whole seconds rounded up; 0 means 1s
	DelayRate      float64       // probability of a delay
	Delay          time.Duration // length of a delay
	IncludeLogon   bool          // also apply the plan to POST /api/sessionMngr/
}

func (f Faults) active() bool {
	return f.ResetRate > 0 || f.ErrorRate > 0 || (f.DelayRate > 0 && f.Delay > 0)
}

// faultKind is what happens to one request.
type faultKind int

const (
	faultNone faultKind = iota
	faultError
	faultReset
)

type faultDecision struct {
	kind       faultKind
	status     int
	retryAfter time.Duration // 0: no Retry-After header
	delay      time.Duration
}

// queuedFailure is one FailNext call: the next n requests fail with status.
type queuedFailure struct {
	n          int
	status     int
	retryAfter time.Duration
}

// faultState is the fault injection state of a server.
type faultState struct {
	mu       sync.Mutex
	resource []queuedFailure // FailNext
	logon    []queuedFailure // FailNextLogon
	plan     Faults
	rng      *rand.Rand // nil while no plan is set
}

func (f *faultState) queue(logon bool, q queuedFailure) {
	if q.n <= 0 {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if logon {
		f.logon = append(f.logon, q)
	} else {
		f.resource = append(f.resource, q)
	}
}

func (f *faultState) setPlan(p Faults) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.plan = p
	f.rng = nil
	if p.active() {
		seed := uint64(p.Seed)
		f.rng = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	}
}

// decide draws the fate of one request; logon tells whether it is the logon
// POST.
func (f *faultState) decide(logon bool) faultDecision {
	f.mu.Lock()
	defer f.mu.Unlock()
	q := &f.resource
	if logon {
		q = &f.logon
	}
	if len(*q) > 0 {
		head := &(*q)[0]
		d := faultDecision{kind: faultError, status: head.status, retryAfter: head.retryAfter}
		head.n--
		if head.n == 0 {
			*q = (*q)[1:]
		}
		return d
	}
	if f.rng == nil || (logon && !f.plan.IncludeLogon) {
		return faultDecision{}
	}
	// Always draw three numbers so that the sequence does not depend on
	// which branch was taken.
	u1, u2, u3 := f.rng.Float64(), f.rng.Float64(), f.rng.Float64()
	var d faultDecision
	if u3 < f.plan.DelayRate {
		d.delay = f.plan.Delay
	}
	switch {
	case u1 < f.plan.ResetRate:
		d.kind = faultReset
	case u1 < f.plan.ResetRate+f.plan.ErrorRate:
		d.kind = faultError
		d.status = f.plan.ErrorStatus
		if u2 < f.plan.RetryAfterRate {
			d.retryAfter = f.plan.RetryAfter
			if d.retryAfter <= 0 {
				d.retryAfter = time.Second
			}
		}
	}
	if d.kind == faultError && (d.status < 100 || d.status > 999) {
		d.status = http.StatusServiceUnavailable
	}
	return d
}

func retryAfterValue(d time.Duration) string {
	return strconv.Itoa(int(math.Ceil(d.Seconds())))
}

// sleep waits for d, or less when ctx is done or done is closed. It reports
// whether the full time elapsed.
func sleep(ctx context.Context, done <-chan struct{}, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-done:
		return false
	}
}

// resetConnection closes the request's connection abruptly so that the
// client sees a reset: the connection is hijacked, SO_LINGER is set to 0 on
// the TCP socket and the socket is closed without a TLS close_notify. When
// the connection cannot be hijacked the handler is aborted instead, which
// also breaks the connection.
func resetConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // net/http closes the stream quietly
	}
	raw := conn
	if tc, ok := conn.(*tls.Conn); ok {
		raw = tc.NetConn()
	}
	if tcp, ok := raw.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = raw.Close()
}
