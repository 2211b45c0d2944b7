package main

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

func TestFakeServer(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(vemBin, "fake-server", "--addr", "127.0.0.1:0", "--dataset", "5")
	cmd.Env = baseEnv(t)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })

	// Read the exports, as "eval" or "." would.
	vars := map[string]string{}
	var env []string
	sc := bufio.NewScanner(stdout)
	for len(vars) < 4 && sc.Scan() {
		line := sc.Text()
		kv, ok := strings.CutPrefix(line, "export ")
		name, quoted, ok2 := strings.Cut(kv, "=")
		if !ok || !ok2 || !strings.HasPrefix(quoted, "'") || !strings.HasSuffix(quoted, "'") {
			t.Fatalf("not an export line: %q", line)
		}
		vars[name] = strings.Trim(quoted, "'")
		env = append(env, name+"="+vars[name])
	}
	addr, ok := strings.CutPrefix(vars["VEM_URL"], "https://127.0.0.1:")
	if !ok || addr == "0" || vars["VEM_USERNAME"] == "" || vars["VEM_PASSWORD"] == "" || vars["VEM_CA_FILE"] == "" {
		t.Fatalf("exports: %v (stderr %s)", vars, stderr.String())
	}

	r := mustRun(t, 0, env, "task-session", "get", seedID, "-o", "json")
	checkSeed(t, decodeJSON[taskJSON](t, r.stdout))
	if n := len(decodeJSON[[]taskJSON](t, mustRun(t, 0, env, "task-session", "list").stdout)); n != 6 {
		t.Errorf("--dataset 5: %d task sessions, want 6", n)
	}

	// The README's pipeline, through a shell and jq.
	if _, err := exec.LookPath("jq"); err == nil {
		sh := exec.Command("sh", "-c", `"$VEM" task-session get `+seedID+` -o json | jq -r '.totalSize, .state, .result, .creationTime'`)
		sh.Env = append(append(baseEnv(t), env...), "VEM="+vemBin)
		out, err := sh.CombinedOutput()
		if err != nil {
			t.Fatalf("vem | jq: %v\n%s", err, out)
		}
		if want := "12884901888\nCompleted\nSuccess\n" + seedCreation + "\n"; string(out) != want {
			t.Errorf("vem | jq printed %q, want %q", out, want)
		}
	} else {
		t.Log("jq not installed: the pipeline through jq is not tested")
	}

	// A second server on the same address fails cleanly.
	if r := runVem(t, nil, "", "fake-server", "--addr", "127.0.0.1:"+addr); r.code != 1 || !strings.Contains(r.stderr, "address already in use") {
		t.Errorf("address in use: %s", r)
	}

	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("fake-server after SIGINT: %v\nstderr: %s", err, stderr.String())
	}
	if _, err := os.Stat(vars["VEM_CA_FILE"]); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("CA file left behind: %v", err)
	}
	mustRun(t, 2, nil, "fake-server", "--addr", "no-port")
}

// TestBinaryExitCodes checks that the process exits with the codes run
// returns, for a few of them, through the real binary.
func TestBinaryExitCodes(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"version"}, 0},
		{[]string{"bogus"}, 2},
		{[]string{"task-session", "get", unknownID}, 3},
		{[]string{"task-session", "list", "--since", ""}, 2},
	} {
		if r := runBinary(t, f.env, "", tc.args...); r.code != tc.code {
			t.Errorf("vem %q: want exit %d, got %s", tc.args, tc.code, r)
		}
	}
	if st := f.Stats(); st.Logons != st.Logouts {
		t.Errorf("%d logons, %d logouts", st.Logons, st.Logouts)
	}
}
