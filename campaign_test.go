package vem_test

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/vemkit/vem"
	"github.com/vemkit/vem/vemtest"
)

// The fault campaign: 2,000 GetBackupTaskSession calls from 32 goroutines
// against a vemtest server that resets 10% of connections, answers 5% with
// 503 (a fifth of them with Retry-After), delays 5% of responses and expires
// every session every 250 calls.
const (
	campaignCalls      = 2000
	campaignWorkers    = 32
	campaignExpireEach = 250
)

type campaignResult struct {
	ok, typedErrs int
	errs          []error
	stats         vemtest.Stats
}

func runCampaign(t *testing.T, retry vem.RetryPolicy) campaignResult {
	t.Helper()
	s := vemtest.NewServer(vemtest.WithDataset(40))
	defer s.Close()
	// The client's own default transport, trusting the server's certificate.
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(s.CertificatePEM()))
	c, err := vem.New(s.URL, vem.WithRootCAs(pool), vem.WithCredentials(s.Username, s.Password), vem.WithRetry(retry))
	require.NoError(t, err)
	defer c.Close()

	// The expected entities, read before the faults start.
	want := map[string]*vem.BackupTaskSession{}
	var ids []string
	for ts, err := range c.QueryBackupTaskSessions(context.Background(), vem.Query{}) {
		require.NoError(t, err)
		want[ts.UID.ID()] = ts
		ids = append(ids, ts.UID.ID())
	}
	require.Greater(t, len(ids), 20)

	s.SetFaults(vemtest.Faults{
		Seed:           42,
		ResetRate:      0.10,
		ErrorRate:      0.05 / 0.90, // 5% of all requests, after the resets
		ErrorStatus:    503,
		RetryAfterRate: 0.2,
		RetryAfter:     time.Second,
		DelayRate:      0.05,
		Delay:          10 * time.Millisecond,
	})

	var (
		next          atomic.Int64
		okSinceExpiry atomic.Int64
		mu            sync.Mutex
		res           campaignResult
		wg            sync.WaitGroup
	)
	for range campaignWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > campaignCalls {
					return
				}
				// Expire every session every campaignExpireEach calls, once the
				// session in use has served some calls: EM only ever expires
				// a session that worked (it expires idle ones).
				if i%campaignExpireEach == 0 && i < campaignCalls-campaignExpireEach/2 {
					for wait := time.Now(); okSinceExpiry.Load() < 10 && time.Since(wait) < 10*time.Second; {
						time.Sleep(time.Millisecond)
					}
					okSinceExpiry.Store(0)
					s.ExpireSessions()
				}
				id := ids[int(i)%len(ids)]
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				ts, err := c.GetBackupTaskSession(ctx, id)
				cancel()
				mu.Lock()
				switch {
				case err == nil:
					if ts == nil || ts.UID != want[id].UID || ts.Name != want[id].Name || ts.TotalSize != want[id].TotalSize || !ts.CreationTime.Equal(want[id].CreationTime) {
						res.errs = append(res.errs, fmt.Errorf("call %d: wrong entity for %s: %+v", i, id, ts))
					} else {
						res.ok++
						okSinceExpiry.Add(1)
					}
				case isTyped(err):
					if ts != nil {
						res.errs = append(res.errs, fmt.Errorf("call %d: entity returned with error %v", i, err))
					}
					res.typedErrs++
				default:
					res.errs = append(res.errs, fmt.Errorf("call %d: untyped error %T: %v", i, err, err))
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()

	// One last call after the campaign: the last expiry is renewed too.
	s.SetFaults(vemtest.Faults{})
	ts, err := c.GetBackupTaskSession(context.Background(), ids[0])
	require.NoError(t, err)
	require.Equal(t, want[ids[0]].UID, ts.UID)

	require.NoError(t, c.Close())
	res.stats = s.Stats()
	return res
}

func isTyped(err error) bool {
	var apiErr *vem.APIError
	var reqErr *vem.RequestError
	return errors.As(err, &apiErr) || errors.As(err, &reqErr)
}

func TestFaultCampaignWithRetries(t *testing.T) {
	if testing.Short() {
		t.Skip("fault campaign skipped in -short mode")
	}
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	res := runCampaign(t, vem.RetryPolicy{MaxAttempts: 10, MinBackoff: time.Millisecond, MaxBackoff: 20 * time.Millisecond, MaxRetryAfter: time.Second})
	st := res.stats
	t.Logf("ok=%d typedErrors=%d requests=%d logons=%d expirations=%d resets=%d injectedErrors=%d delays=%d connections=%d",
		res.ok, res.typedErrs, st.Requests, st.Logons, st.Expirations, st.Resets, st.InjectedErrors, st.Delays, st.ConnectionsOpened)
	require.Empty(t, res.errs)
	assert.Equal(t, campaignCalls, res.ok, "every call returned the correct entity")
	assert.Zero(t, res.typedErrs)
	assert.Equal(t, st.Expirations+1, st.Logons, "logons equal expiries plus one")
	assert.GreaterOrEqual(t, st.Expirations, campaignCalls/campaignExpireEach-1)
	// The faults really happened.
	assert.Greater(t, st.Resets, campaignCalls/20)
	assert.Greater(t, st.InjectedErrors, campaignCalls/50)
	assert.Greater(t, st.Delays, 0)
}

func TestFaultCampaignWithoutRetries(t *testing.T) {
	if testing.Short() {
		t.Skip("fault campaign skipped in -short mode")
	}
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	res := runCampaign(t, vem.NoRetries())
	st := res.stats
	t.Logf("ok=%d typedErrors=%d requests=%d logons=%d expirations=%d resets=%d injectedErrors=%d",
		res.ok, res.typedErrs, st.Requests, st.Logons, st.Expirations, st.Resets, st.InjectedErrors)
	require.Empty(t, res.errs, "only typed errors, never a wrong or empty entity")
	assert.Equal(t, campaignCalls, res.ok+res.typedErrs)
	assert.Greater(t, res.typedErrs, campaignCalls/20, "without retries the faults surface")
	assert.Greater(t, res.ok, campaignCalls/2)
}
