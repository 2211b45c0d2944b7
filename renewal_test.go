package vem

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRenewAgainWhenTheFreshSessionWorkedAndExpired: a call that logged on
// again after a 401 meets a second 401 because the new session, which has
// served other calls meanwhile, expired too. That is an expiry, not a
// refusal: the call logs on again and succeeds.
func TestRenewAgainWhenTheFreshSessionWorkedAndExpired(t *testing.T) {
	c, mt := newMockClient(t)
	var logons atomic.Int32
	tok2Issued := make(chan struct{})
	bDone := make(chan struct{})
	mt.RegisterResponder("POST", testBase+"/api/sessionMngr/?v=latest", func(r *http.Request) (*http.Response, error) {
		n := logons.Add(1)
		if n == 2 {
			close(tok2Issued)
		}
		resp := httpmock.NewStringResponse(201, `<LogonSession xmlns="http://www.veeam.com/ent/v1.0"><SessionId>15a3fc97-0325-4119-b789-5c0367c6c565</SessionId></LogonSession>`)
		resp.Header.Set("Content-Type", "application/xml")
		resp.Header.Set(sessionHeader, "tok-"+string(rune('0'+n)))
		return resp, nil
	})
	var mu sync.Mutex
	expired := map[string]bool{"tok-1": true}
	entity := string(mustRead("testdata/backuptasksession.xml"))
	mt.RegisterResponder("GET", `=~^`+testBase+`/api/backupTaskSessions/`, func(r *http.Request) (*http.Response, error) {
		tok := r.Header.Get(sessionHeader)
		isA := strings.Contains(r.URL.Path, seedID)
		if isA && tok == "tok-2" {
			<-bDone // B has been served with tok-2: that session worked
			mu.Lock()
			expired["tok-2"] = true
			mu.Unlock()
		}
		mu.Lock()
		dead := expired[tok]
		mu.Unlock()
		if dead {
			resp := httpmock.NewStringResponse(401, `<Error Message="expired" StatusCode="401" xmlns="http://www.veeam.com/ent/v1.0"/>`)
			resp.Header.Set("Content-Type", "application/xml")
			return resp, nil
		}
		body := entity
		if !isA {
			body = strings.ReplaceAll(entity, seedID, "00000000-0000-4000-8000-00000000000b")
		}
		resp := httpmock.NewStringResponse(200, body)
		resp.Header.Set("Content-Type", "application/xml")
		return resp, nil
	})
	// The client holds tok-1, which worked once and has now expired.
	c.auth.mu.Lock()
	c.auth.token, c.auth.gen = "tok-1", 1
	c.auth.mu.Unlock()
	c.auth.markWorked(1)
	logons.Store(1)

	go func() {
		defer close(bDone)
		<-tok2Issued
		_, err := c.GetBackupTaskSession(context.Background(), "00000000-0000-4000-8000-00000000000b")
		assert.NoError(t, err)
	}()
	ts, err := c.GetBackupTaskSession(context.Background(), seedID)
	require.NoError(t, err)
	assert.Equal(t, int64(12884901888), ts.TotalSize)
	assert.Equal(t, int32(3), logons.Load(), "two renewals, each for a real expiry")
	assert.Equal(t, "tok-3", c.SessionID())
}
