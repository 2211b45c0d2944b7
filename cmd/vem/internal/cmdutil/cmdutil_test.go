package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vemkit/vem"
)

func TestExitCode(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		want int
	}{
		{nil, 0},
		{errors.New("boom"), 1},
		{&UsageError{Err: errors.New("bad")}, 2},
		{fmt.Errorf("x: %w", vem.ErrInvalidID), 2},
		{&vem.APIError{StatusCode: http.StatusNotFound}, 3},
		{&vem.APIError{StatusCode: http.StatusUnauthorized}, 4},
		{fmt.Errorf("logon: %w", &vem.APIError{StatusCode: http.StatusForbidden}), 4},
		{&vem.APIError{StatusCode: http.StatusInternalServerError, Message: "oops"}, 1},
		{&vem.APIError{StatusCode: http.StatusBadRequest}, 1},
		{&vem.APIError{StatusCode: http.StatusServiceUnavailable}, 5},
		{&vem.APIError{StatusCode: http.StatusBadGateway}, 5},
		{&vem.RequestError{Err: &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}}, 5},
		{fmt.Errorf("waiting for logon: %w", context.DeadlineExceeded), 5},
		{&InterruptedError{Sig: os.Interrupt}, 130},
		{&InterruptedError{Sig: syscall.SIGTERM}, 143},
		{&vem.DecodeError{Err: errors.New("bad")}, 1},
	} {
		if got := ExitCode(tc.err); got != tc.want {
			t.Errorf("ExitCode(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

func TestErrorMessage(t *testing.T) {
	t.Parallel()
	err := fmt.Errorf("vem: logon: %w", &vem.APIError{Method: "POST", Path: "/api/sessionMngr/", StatusCode: 401, Message: "Authentication failed."})
	if got, want := ErrorMessage(err), "vem: logon: POST /api/sessionMngr/: 401 Unauthorized: Authentication failed."; got != want {
		t.Errorf("errorMessage = %q, want %q", got, want)
	}
}

func TestParseTimeArg(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 10, 12, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"24h", now.Add(-24 * time.Hour)},
		{"90m", now.Add(-90 * time.Minute)},
		{"7d", now.Add(-7 * 24 * time.Hour)},
		{"1d12h", now.Add(-36 * time.Hour)},
		{"0d", now},
		{"2025-10-11T20:06:09.627Z", time.Date(2025, 10, 11, 20, 6, 9, 627e6, time.UTC)},
		{"2025-10-11T22:00:00+02:00", time.Date(2025, 10, 11, 20, 0, 0, 0, time.UTC)},
		{"2025-10-11", time.Date(2025, 10, 11, 0, 0, 0, 0, time.UTC)},
		{" 2h ", now.Add(-2 * time.Hour)},
	} {
		got, err := ParseTimeArg(tc.in, now)
		if err != nil || !got.Equal(tc.want) || got.Location() != time.UTC {
			t.Errorf("ParseTimeArg(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "yesterday", "-3h", "-7d", "7dx", "d", "2025-13-01", "1e3d", "99999999d", "7d-1h"} {
		if got, err := ParseTimeArg(bad, now); err == nil {
			t.Errorf("ParseTimeArg(%q) = %v, want an error", bad, got)
		}
	}
}

func TestRefuseSecretFlags(t *testing.T) {
	t.Parallel()
	if err := RefuseSecretFlags([]string{"--", "--password"}); err != nil {
		t.Errorf("--password after -- refused: %v", err)
	}
	if err := RefuseSecretFlags([]string{"--password-stdin"}); err != nil {
		t.Errorf("--password-stdin refused: %v", err)
	}
	for _, args := range [][]string{{"--password", "x"}, {"--password=x"}, {"--session-id", "x"}, {"--session-id=x"}} {
		err := RefuseSecretFlags(args)
		if err == nil || ExitCode(err) != ExitUsage || strings.Contains(err.Error(), "x ") {
			t.Errorf("RefuseSecretFlags(%q) = %v", args, err)
		}
	}
}
