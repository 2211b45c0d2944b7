package vem

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A logon POST whose connection failed before the request was sent (here:
// connection refused) is retried.
func TestLogonRetriedWhenNotSent(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close()) // nothing listens there now

	c, err := New("http://"+addr, WithAllowInsecureHTTP(), WithCredentials("user", "secret-pass"), WithRetry(fastRetry))
	require.NoError(t, err)
	defer c.Close()
	err = c.Logon(context.Background())
	var re *RequestError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, 3, re.Attempts, "refused before sending: retried")
	assert.Contains(t, err.Error(), "after 3 attempts")
}

// A logon POST that reached the server and then lost its connection is not
// retried: the server may have created a session.
func TestLogonNotRetriedAfterSending(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	var posts atomic.Int32
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				req, err := http.ReadRequest(bufio.NewReader(conn))
				if err != nil {
					return
				}
				if req.Method == http.MethodPost {
					posts.Add(1)
				}
				if tc, ok := conn.(*net.TCPConn); ok {
					_ = tc.SetLinger(0) // reset, no response
				}
			}()
		}
	}()
	c, err := New("http://"+l.Addr().String(), WithAllowInsecureHTTP(), WithCredentials("user", "secret-pass"), WithRetry(fastRetry))
	require.NoError(t, err)
	defer c.Close()
	err = c.Logon(context.Background())
	var re *RequestError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, 1, re.Attempts)
	assert.Equal(t, int32(1), posts.Load())

	// A GET in the same situation is retried.
	c2, err := New("http://"+l.Addr().String(), WithAllowInsecureHTTP(), WithSessionID("tok"), WithRetry(fastRetry))
	require.NoError(t, err)
	defer c2.Close()
	_, err = c2.GetBackupTaskSession(context.Background(), "88322206-a645-4aa3-9228-028ce51e7c0f")
	require.ErrorAs(t, err, &re)
	assert.Equal(t, 3, re.Attempts)
}
