package main

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/vemkit/vem/vemtest"
)

func TestExitCodes(t *testing.T) {
	t.Parallel()
	f := newFake(t, vemtest.WithForbiddenUser("auditor", "auditor-password"))
	closed := closedPort(t)
	for _, tc := range []struct {
		name   string
		env    []string
		args   []string
		code   int
		stderr []string // substrings stderr must hold
	}{
		{"unknown flag", f.env, []string{"task-session", "get", seedID, "--bogus"}, 2, []string{"--bogus", "Usage: vem task-session get ID [flags]"}},
		{"bad flag value", f.env, []string{"task-session", "list", "--limit", "many"}, 2, []string{"--limit", "Usage: vem task-session list"}},
		{"unknown command", f.env, []string{"task-sesion", "get", seedID}, 2, []string{`unknown command "task-sesion"`, "did you mean task-session?"}},
		{"unknown subcommand", f.env, []string{"task-session", "delete"}, 2, []string{`unknown command "delete"`, "Usage: vem task-session COMMAND"}},
		{"no command", f.env, nil, 2, []string{"missing command", "Usage: vem COMMAND"}},
		{"missing ID", f.env, []string{"task-session", "get"}, 2, []string{"missing argument ID"}},
		{"extra argument", f.env, []string{"task-session", "list", "x"}, 2, []string{`unexpected argument "x"`}},
		{"missing url", f.without("VEM_URL"), []string{"task-session", "get", seedID}, 2, []string{"--url", "VEM_URL"}},
		{"missing username", f.without("VEM_USERNAME"), []string{"task-session", "get", seedID}, 2, []string{"--username", "VEM_USERNAME"}},
		{"missing password", f.without("VEM_PASSWORD"), []string{"task-session", "get", seedID}, 2, []string{"VEM_PASSWORD", "--password-stdin"}},
		{"password flag", f.without("VEM_PASSWORD"), []string{"--password", "secret", "task-session", "get", seedID}, 2, []string{"--password is not accepted", "VEM_PASSWORD"}},
		{"password= flag", f.without("VEM_PASSWORD"), []string{"task-session", "get", seedID, "--password=secret"}, 2, []string{"--password is not accepted"}},
		{"bad state", f.env, []string{"task-session", "list", "--state", "Done"}, 2, []string{"--state", `"Done"`, "InProgress"}},
		{"bad result", f.env, []string{"task-session", "list", "--result", "ok"}, 2, []string{"--result"}},
		{"bad since", f.env, []string{"task-session", "list", "--since", "yesterday"}, 2, []string{"--since"}},
		{"bad until", f.env, []string{"task-session", "list", "--until", "-3h"}, 2, []string{"--until"}},
		{"bad sort", f.env, []string{"task-session", "list", "--sort", "Size"}, 2, []string{"--sort", "TotalSize"}},
		{"bad output", f.env, []string{"task-session", "get", seedID, "-o", "yaml"}, 2, []string{"-o/--output", "yaml"}},
		{"bad format", f.env, []string{"task-session", "get", seedID, "--format", "csv"}, 2, []string{"--format"}},
		{"bad timeout", f.env, []string{"task-session", "get", seedID, "--timeout", "soon"}, 2, []string{"--timeout"}},
		{"bad VEM_INSECURE", f.with("VEM_INSECURE=maybe"), []string{"task-session", "get", seedID}, 2, []string{"VEM_INSECURE"}},
		{"bad ca file", f.with("VEM_CA_FILE=/nonexistent/ca.pem"), []string{"task-session", "get", seedID}, 2, []string{"--ca-file"}},
		{"malformed ID", f.env, []string{"task-session", "get", "not-a-guid"}, 2, []string{"not-a-guid"}},
		{"wrong kind of UID", f.env, []string{"task-session", "get", "urn:veeam:BackupJobSession:" + seedID}, 2, []string{"invalid"}},
		{"unknown ID", f.env, []string{"task-session", "get", unknownID}, 3, []string{"404", "Cannot find backup task session"}},
		{"unknown ID follow xml", f.env, []string{"task-session", "get", unknownID, "--follow", "-o", "xml"}, 3, []string{"404"}},
		{"wrong password", f.with("VEM_PASSWORD=wrong"), []string{"task-session", "get", seedID}, 4, []string{"401", "Authentication failed"}},
		{"wrong password list", f.with("VEM_PASSWORD=wrong"), []string{"task-session", "list"}, 4, []string{"401"}},
		{"forbidden", f.with("VEM_USERNAME=auditor", "VEM_PASSWORD=auditor-password"), []string{"task-session", "get", seedID}, 4, []string{"403"}},
		{"unreachable", f.with("VEM_URL=https://" + closed), []string{"task-session", "get", seedID}, 5, []string{"connection refused"}},
		{"unreachable list", f.with("VEM_URL=https://" + closed), []string{"task-session", "list", "-o", "xml"}, 5, []string{"connection refused"}},
		{"untrusted certificate", f.without("VEM_CA_FILE"), []string{"task-session", "get", seedID}, 5, []string{"certificate", "--ca-file"}},
		{"server rejects filter", f.env, []string{"task-session", "list", "--filter", "Bogus==1"}, 1, []string{"400", "unknown field"}},
		{"http without insecure", f.with("VEM_URL=http://127.0.0.1:1"), []string{"task-session", "get", seedID}, 2, []string{"http://", "--insecure"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := runVem(t, tc.env, "", tc.args...)
			if r.code != tc.code {
				t.Fatalf("want exit %d, got %s", tc.code, r)
			}
			if r.stdout != "" {
				t.Errorf("stdout not empty on error: %q", r.stdout)
			}
			if !strings.HasPrefix(r.stderr, "vem: ") {
				t.Errorf("stderr does not start with \"vem: \": %q", r.stderr)
			}
			for _, want := range tc.stderr {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
				}
			}
			if strings.Contains(r.stderr, "vem: vem:") {
				t.Errorf("doubled prefix: %s", r.stderr)
			}
			if tc.code == 2 && !strings.Contains(r.stderr, "Usage: vem") {
				t.Errorf("usage error without the short usage:\n%s", r.stderr)
			}
		})
	}
}

func TestTimeout(t *testing.T) {
	t.Parallel()
	// A server that accepts connections and never answers.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	start := time.Now()
	r := runVem(t, []string{"VEM_URL=https://" + l.Addr().String(), "VEM_USERNAME=u", "VEM_PASSWORD=p"}, "",
		"task-session", "get", seedID, "--timeout", "1s")
	if r.code != 5 || !strings.Contains(r.stderr, "deadline exceeded") {
		t.Errorf("want exit 5 and a deadline error, got %s", r)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("took %v with --timeout 1s", d)
	}
	// VEM_TIMEOUT works the same.
	r = runVem(t, []string{"VEM_URL=https://" + l.Addr().String(), "VEM_USERNAME=u", "VEM_PASSWORD=p", "VEM_TIMEOUT=500ms"}, "",
		"task-session", "list")
	if r.code != 5 {
		t.Errorf("VEM_TIMEOUT: want exit 5, got %s", r)
	}
}

func TestInsecure(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	for _, v := range []string{"1", "true", "yes"} {
		r := runVem(t, append(f.without("VEM_CA_FILE"), "VEM_INSECURE="+v), "", "task-session", "get", seedID, "-o", "jsonl")
		if r.code != 0 {
			t.Fatalf("VEM_INSECURE=%s: %s", v, r)
		}
		checkSeed(t, decodeJSON[taskJSON](t, r.stdout))
		if !strings.Contains(r.stderr, "verification is off") {
			t.Errorf("VEM_INSECURE=%s: no warning on stderr: %q", v, r.stderr)
		}
	}
	r := mustRun(t, 0, f.without("VEM_CA_FILE"), "--insecure", "task-session", "get", seedID)
	checkSeed(t, decodeJSON[taskJSON](t, r.stdout))
	// --insecure=false on the command line wins over VEM_INSECURE.
	mustRun(t, 5, append(f.without("VEM_CA_FILE"), "VEM_INSECURE=1"), "--insecure=false", "task-session", "get", seedID)
	// --ca-file on the command line.
	mustRun(t, 0, f.without("VEM_CA_FILE"), "--ca-file", f.caFile, "task-session", "get", seedID)
}

func TestPlainHTTP(t *testing.T) {
	t.Parallel()
	f := newFake(t, vemtest.WithoutTLS())
	r := mustRun(t, 2, f.env, "task-session", "get", seedID)
	if !strings.Contains(r.stderr, "--insecure") {
		t.Errorf("refusal does not name --insecure: %s", r)
	}
	r = mustRun(t, 0, f.with("VEM_INSECURE=1"), "task-session", "get", seedID)
	checkSeed(t, decodeJSON[taskJSON](t, r.stdout))
	if !strings.Contains(r.stderr, "clear text") {
		t.Errorf("no warning for plain http: %q", r.stderr)
	}
}

func TestFlagsOverrideEnvironment(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	env := append(f.without("VEM_URL", "VEM_USERNAME"), "VEM_URL=https://"+closedPort(t), "VEM_USERNAME=nobody")
	r := mustRun(t, 0, env, "--url", f.URL, "--username", f.Username, "task-session", "get", seedID)
	checkSeed(t, decodeJSON[taskJSON](t, r.stdout))
}

func TestPasswordStdin(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	env := f.without("VEM_PASSWORD")
	r := runVem(t, env, f.Password+"\n", "--password-stdin", "task-session", "get", seedID)
	if r.code != 0 {
		t.Fatalf("--password-stdin: %s", r)
	}
	checkSeed(t, decodeJSON[taskJSON](t, r.stdout))
	// Stdin wins over VEM_PASSWORD.
	if r := runVem(t, f.with("VEM_PASSWORD=wrong"), f.Password, "--password-stdin", "task-session", "get", seedID); r.code != 0 {
		t.Errorf("stdin does not win over VEM_PASSWORD: %s", r)
	}
	if r := runVem(t, env, "", "--password-stdin", "task-session", "get", seedID); r.code != 2 || !strings.Contains(r.stderr, "--password-stdin") {
		t.Errorf("empty stdin: %s", r)
	}
	if r := runVem(t, env, "wrong\n", "--password-stdin", "task-session", "get", seedID); r.code != 4 {
		t.Errorf("wrong password on stdin: %s", r)
	}
}
