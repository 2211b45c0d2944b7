package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vemkit/vem/vemtest"
)

// vemBin is the vem binary built once by TestMain; the tests run it as
// users do.
var vemBin string

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "vem-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	vemBin = filepath.Join(dir, "vem")
	// Built without -race even under "go test -race": the binary is the
	// subject, not the test process, and a race build is slow to start.
	build := exec.Command("go", "build", "-o", vemBin, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building vem:", err)
		return 1
	}
	return m.Run()
}

// result is what one run of the binary produced.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// baseEnv is the environment every run gets: nothing of the developer's
// own VEM_* settings, only a HOME and a PATH.
func baseEnv(t *testing.T) []string {
	return []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH")}
}

// runVem runs vem in the test process, through run, with env as its whole
// environment and stdin, as the binary would; a test of signals, pipes or
// the process exit itself uses runBinary.
func runVem(t *testing.T, env []string, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	code := run(ctx, args, strings.NewReader(stdin), &stdout, &stderr, envFunc(env...))
	return result{stdout: stdout.String(), stderr: stderr.String(), code: code}
}

// runBinary runs the vem binary with env added to baseEnv and stdin, and
// waits for it (at most 60 s).
func runBinary(t *testing.T, env []string, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, vemBin, args...)
	cmd.Env = append(baseEnv(t), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("running vem %v: %v", args, err)
		}
		r.code = ee.ExitCode()
	}
	return r
}

// mustRun runs vem and fails the test unless it exits with want.
func mustRun(t *testing.T, want int, env []string, args ...string) result {
	t.Helper()
	r := runVem(t, env, "", args...)
	if r.code != want {
		t.Fatalf("vem %s: want exit %d, got %s", strings.Join(args, " "), want, r)
	}
	return r
}

// fake is a vemtest server and the environment that points vem at it.
type fake struct {
	*vemtest.Server
	caFile string
	env    []string // VEM_URL, VEM_USERNAME, VEM_PASSWORD, VEM_CA_FILE
}

func newFake(t *testing.T, opts ...vemtest.Option) *fake {
	t.Helper()
	s := vemtest.NewServer(opts...)
	t.Cleanup(s.Close)
	// NewServer sets some of its fields after the server has started to
	// serve. The binary's requests reach the handlers through the kernel,
	// which the race detector does not see as synchronisation; one request
	// from this goroutine (a socket write) orders those writes before every
	// later handler run.
	resp, err := s.Client().Get(s.URL + "/api/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	f := &fake{Server: s}
	f.env = []string{"VEM_URL=" + s.URL, "VEM_USERNAME=" + s.Username, "VEM_PASSWORD=" + s.Password}
	if pem := s.CertificatePEM(); pem != nil {
		f.caFile = filepath.Join(t.TempDir(), "ca.pem")
		if err := os.WriteFile(f.caFile, pem, 0o600); err != nil {
			t.Fatal(err)
		}
		f.env = append(f.env, "VEM_CA_FILE="+f.caFile)
	}
	return f
}

// with returns f's environment plus extra variables.
func (f *fake) with(extra ...string) []string {
	return append(append([]string{}, f.env...), extra...)
}

// without returns f's environment without the named variables.
func (f *fake) without(names ...string) []string {
	var out []string
next:
	for _, kv := range f.env {
		for _, n := range names {
			if strings.HasPrefix(kv, n+"=") {
				continue next
			}
		}
		out = append(out, kv)
	}
	return out
}
