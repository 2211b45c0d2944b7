package vem

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWaitOptionsDefaults(t *testing.T) {
	for _, tc := range []struct {
		in, want WaitOptions
	}{
		{WaitOptions{}, WaitOptions{Interval: DefaultWaitInterval, MaxInterval: DefaultMaxWaitInterval}},
		{WaitOptions{Interval: time.Second}, WaitOptions{Interval: time.Second, MaxInterval: DefaultMaxWaitInterval}},
		{WaitOptions{Interval: 2 * time.Minute}, WaitOptions{Interval: 2 * time.Minute, MaxInterval: 2 * time.Minute}},
		{WaitOptions{Interval: time.Second, MaxInterval: time.Millisecond, Timeout: time.Hour}, WaitOptions{Interval: time.Second, MaxInterval: time.Second, Timeout: time.Hour}},
	} {
		assert.Equal(t, tc.want, tc.in.withDefaults(), "%+v", tc.in)
	}
}

// The pause grows by half at each poll, up to MaxInterval.
func TestWaitBackoff(t *testing.T) {
	c, _ := newMockClient(t)
	w := c.newWaiter(context.Background(), WaitOptions{Interval: time.Nanosecond * 100, MaxInterval: time.Nanosecond * 400})
	defer w.cancel()
	var got []time.Duration
	for range 6 {
		got = append(got, w.interval)
		require.NoError(t, w.pause("x"))
	}
	assert.Equal(t, []time.Duration{100, 150, 225, 337, 400, 400}, got)
	w.reset()
	assert.Equal(t, time.Duration(100), w.interval)
}

func TestTransientPollError(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&APIError{StatusCode: 503}, true},
		{&APIError{StatusCode: 500}, true},
		{&APIError{StatusCode: 429}, true},
		{&RequestError{Err: errors.New("connection reset")}, true},
		{&APIError{StatusCode: 404}, false},
		{&APIError{StatusCode: 403}, false},
		{&APIError{StatusCode: 401}, false},
		{&APIError{StatusCode: 400}, false},
		{&InvalidIDError{}, false},
		{&DecodeError{Err: errors.New("x")}, false},
		{&RequestError{Err: &ResponseTooLargeError{}}, false},
	} {
		assert.Equal(t, tc.want, transientPollError(tc.err), "%v", tc.err)
	}
}

// A Timeout returns the last state read, even when the last poll failed.
func TestWaitTimeoutKeepsLastState(t *testing.T) {
	const guid = "0d3a8230-3db1-4cc1-a7b2-3b0b5c8f784c"
	c, mt := newMockClient(t)
	var n atomic.Int32
	mt.RegisterResponderWithQuery(http.MethodGet, testBase+"/api/backupSessions/"+guid, "format=Entity", func(*http.Request) (*http.Response, error) {
		if n.Add(1) == 1 {
			return mockResp(http.StatusOK, ctXML, []byte(`<BackupJobSession Type="BackupJobSession" UID="urn:veeam:BackupJobSession:`+guid+`"><State>Working</State><Result>None</Result></BackupJobSession>`)), nil
		}
		return mockResp(http.StatusServiceUnavailable, ctHTML, []byte("busy")), nil
	})
	js, err := c.WaitBackupJobSession(context.Background(), guid, WaitOptions{Interval: time.Millisecond, Timeout: 50 * time.Millisecond})
	require.ErrorIs(t, err, ErrWaitTimeout)
	require.NotNil(t, js)
	assert.Equal(t, StateWorking, js.State)
	assert.Greater(t, n.Load(), int32(2), "polled again after the 503s")
	assert.Contains(t, err.Error(), "503")
}
