package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vemkit/vem/vemtest"
)

func TestLogonLogout(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	r := mustRun(t, 0, f.env, "logon")
	token := strings.TrimSuffix(r.stdout, "\n")
	if token == "" || strings.ContainsAny(token, " \n\t") || r.stderr != "" {
		t.Fatalf("vem logon: %s", r)
	}
	st := f.Stats()
	if st.Logons != 1 || st.Logouts != 0 {
		t.Fatalf("after logon: %d logons, %d logouts; the session must stay open", st.Logons, st.Logouts)
	}

	// The token alone is enough; the borrowed session stays open.
	borrowed := append(f.without("VEM_USERNAME", "VEM_PASSWORD"), "VEM_SESSION_ID="+token)
	r = mustRun(t, 0, borrowed, "task-session", "get", seedID, "-o", "json")
	checkSeed(t, decodeJSON[taskJSON](t, r.stdout))
	mustRun(t, 0, borrowed, "task-session", "list", "--limit", "2")
	if r := runVem(t, f.without("VEM_USERNAME", "VEM_PASSWORD"), token+"\n", "--session-id-stdin", "task-session", "get", seedID); r.code != 0 {
		t.Fatalf("--session-id-stdin: %s", r)
	}
	// The token on the command line is refused, as a password is.
	for _, args := range [][]string{{"--session-id", token, "task-session", "get", seedID}, {"logout", "--session-id=" + token}} {
		r := mustRun(t, 2, f.without("VEM_USERNAME", "VEM_PASSWORD"), args...)
		if !strings.Contains(r.stderr, "--session-id-stdin") || strings.Contains(r.stderr, token) {
			t.Errorf("vem %v: %s", args[:1], r)
		}
	}
	if st := f.Stats(); st.Logons != 1 || st.Logouts != 0 {
		t.Fatalf("borrowed session: %d logons, %d logouts, want 1 and 0", st.Logons, st.Logouts)
	}

	// With credentials too, the session is still reused and left open.
	mustRun(t, 0, f.with("VEM_SESSION_ID="+token), "task-session", "get", seedID)
	if st := f.Stats(); st.Logons != 1 || st.Logouts != 0 {
		t.Fatalf("borrowed session with credentials: %d logons, %d logouts, want 1 and 0", st.Logons, st.Logouts)
	}

	// vem logon ignores a VEM_SESSION_ID already set and opens a new session.
	r = mustRun(t, 0, f.with("VEM_SESSION_ID="+token), "logon")
	if other := strings.TrimSpace(r.stdout); other == token || other == "" {
		t.Errorf("second logon gave %q", other)
	}

	r = mustRun(t, 0, borrowed, "logout")
	if r.stdout != "" || r.stderr != "" {
		t.Errorf("vem logout printed: %s", r)
	}
	if st := f.Stats(); st.Logouts != 1 {
		t.Fatalf("after logout: %d logouts, want 1", st.Logouts)
	}
	r = mustRun(t, 4, borrowed, "task-session", "get", seedID)
	if !strings.Contains(r.stderr, "401") {
		t.Errorf("ended session: %s", r)
	}
	// A session EM no longer knows: logging it out succeeds quietly.
	if r = mustRun(t, 0, borrowed, "logout"); r.stdout != "" || r.stderr != "" {
		t.Errorf("vem logout of an ended session printed: %s", r)
	}
	mustRun(t, 0, f.with("VEM_SESSION_ID=bm90LWEtdG9rZW4="), "logout")

	r = mustRun(t, 2, f.env, "logout")
	if !strings.Contains(r.stderr, "VEM_SESSION_ID") {
		t.Errorf("logout without a session: %s", r)
	}
	mustRun(t, 2, f.without("VEM_USERNAME"), "logon")
	mustRun(t, 4, f.with("VEM_PASSWORD=wrong"), "logon")
}

func TestLogsOutOwnSessions(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	runs := [][]string{
		{"task-session", "get", seedID},
		{"task-session", "get", seedID, "--follow", "-o", "xml"},
		{"task-session", "list", "--limit", "5", "-o", "table"},
		{"task-session", "list", "-o", "xml"},
	}
	for i, args := range runs {
		mustRun(t, 0, f.env, args...)
		if st := f.Stats(); st.Logons != i+1 || st.Logouts != i+1 {
			t.Fatalf("after vem %v: %d logons, %d logouts", args, st.Logons, st.Logouts)
		}
	}
	// Also when the command fails after logging on.
	mustRun(t, 3, f.env, "task-session", "get", unknownID)
	if st := f.Stats(); st.Logouts != len(runs)+1 {
		t.Errorf("after a 404: %d logouts, want %d", st.Logouts, len(runs)+1)
	}
}

func TestVerboseHidesSecrets(t *testing.T) {
	t.Parallel()
	f := newFake(t, vemtest.WithCredentials("operator", "S3cret-Pa55"))
	r := mustRun(t, 0, f.env, "logon", "--verbose")
	token := strings.TrimSpace(r.stdout)
	for _, secret := range []string{"S3cret-Pa55", token} {
		if strings.Contains(r.stderr, secret) {
			t.Errorf("vem logon --verbose shows a secret on stderr:\n%s", r.stderr)
		}
	}
	if !strings.Contains(r.stderr, "vem: POST /api/sessionMngr/?v=latest status=201") {
		t.Errorf("--verbose did not log the logon request: %q", r.stderr)
	}
	for _, env := range [][]string{
		f.env,
		f.with("VEM_SESSION_ID=" + token),
		append(f.without("VEM_USERNAME", "VEM_PASSWORD"), "VEM_SESSION_ID="+token, "VEM_VERBOSE=1"),
	} {
		for _, args := range [][]string{
			{"--verbose", "task-session", "get", seedID, "--follow"},
			{"--verbose", "task-session", "list", "--page-size", "20"},
			{"--verbose", "task-session", "get", unknownID},
		} {
			r := runVem(t, env, "", args...)
			if !strings.Contains(r.stderr, "/api/") {
				t.Errorf("vem %v: no request logged: %s", args, r)
			}
			for _, secret := range []string{"S3cret-Pa55", token} {
				if strings.Contains(r.stderr, secret) || strings.Contains(r.stdout, secret) {
					t.Errorf("vem %v shows a secret:\n%s", args, r)
				}
			}
		}
	}
	// Without --verbose, a successful command says nothing on stderr.
	if r := mustRun(t, 0, f.env, "task-session", "list", "--limit", "2"); r.stderr != "" {
		t.Errorf("quiet run wrote %q", r.stderr)
	}
	mustRun(t, 0, f.with("VEM_SESSION_ID="+token), "logout")
}

func TestInterrupt(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		borrowed    bool
		wantLogouts int
	}{
		{"own session is logged out", false, 1},
		{"borrowed session is left open", true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t)
			env := f.env
			if tc.borrowed {
				token := strings.TrimSpace(mustRun(t, 0, f.env, "logon").stdout)
				env = append(f.without("VEM_USERNAME", "VEM_PASSWORD"), "VEM_SESSION_ID="+token)
			}
			// Hold every resource request (not the logon) for 30 s.
			f.SetFaults(vemtest.Faults{DelayRate: 1, Delay: 30 * time.Second})
			cmd := exec.Command(vemBin, "task-session", "list", "-o", "jsonl")
			cmd.Env = append(baseEnv(t), env...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(20 * time.Second)
			for f.Stats().Delays == 0 {
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatal("the query never reached the server")
				}
				time.Sleep(10 * time.Millisecond)
			}
			f.SetFaults(vemtest.Faults{}) // let the logout through at once
			start := time.Now()
			if err := cmd.Process.Signal(os.Interrupt); err != nil {
				t.Fatal(err)
			}
			err := cmd.Wait()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 130 {
				t.Fatalf("want exit 130, got %v\nstderr: %s", err, stderr.String())
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("took %v to stop after SIGINT", d)
			}
			if !strings.Contains(stderr.String(), "interrupt") {
				t.Errorf("stderr: %q", stderr.String())
			}
			if got := f.Stats().Logouts; got != tc.wantLogouts {
				t.Errorf("%d logouts, want %d", got, tc.wantLogouts)
			}
		})
	}
	t.Run("SIGTERM exits 143", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		f.SetFaults(vemtest.Faults{DelayRate: 1, Delay: 30 * time.Second})
		cmd := exec.Command(vemBin, "task-session", "get", seedID)
		cmd.Env = append(baseEnv(t), f.env...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		for f.Stats().Delays == 0 {
			time.Sleep(10 * time.Millisecond)
		}
		f.SetFaults(vemtest.Faults{})
		cmd.Process.Signal(syscall.SIGTERM)
		err := cmd.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 143 {
			t.Fatalf("want exit 143, got %v", err)
		}
		if got := f.Stats().Logouts; got != 1 {
			t.Errorf("%d logouts after SIGTERM, want 1", got)
		}
	})
}
