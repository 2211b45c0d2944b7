package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vemkit/vem/vemtest"
)

// These tests run vem in the test process, through run, for what the
// binary tests cannot reach easily.

func envFunc(kv ...string) func(string) string {
	m := map[string]string{}
	for _, s := range kv {
		k, v, _ := strings.Cut(s, "=")
		m[k] = v
	}
	return func(k string) string { return m[k] }
}

func TestRunInProcess(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"task-session", "get", seedID, "-o", "jsonl"}, strings.NewReader(""), &stdout, &stderr, envFunc(f.env...))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	checkSeed(t, decodeJSON[taskJSON](t, stdout.String()))
	if f.Stats().Logouts != 1 {
		t.Errorf("%d logouts, want 1", f.Stats().Logouts)
	}
}

func TestRunInterrupted(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	f.SetFaults(vemtest.Faults{DelayRate: 1, Delay: 30 * time.Second})
	ctx, cancel := context.WithCancelCause(context.Background())
	go func() {
		for f.Stats().Delays == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		f.SetFaults(vemtest.Faults{})
		cancel(&interruptedError{Sig: os.Interrupt})
	}()
	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"task-session", "list"}, strings.NewReader(""), &stdout, &stderr, envFunc(f.env...))
	if code != 130 {
		t.Fatalf("exit %d, want 130: %s", code, stderr.String())
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout after interrupt: %q", stdout.String())
	}
	if f.Stats().Logouts != 1 {
		t.Errorf("%d logouts, want 1", f.Stats().Logouts)
	}
}
