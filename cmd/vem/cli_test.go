package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vemkit/vem"
)

// The documented seed task session every vemtest server serves.
const (
	seedID       = "88322206-a645-4aa3-9228-028ce51e7c0f"
	seedUID      = "urn:veeam:BackupTaskSession:" + seedID
	seedJobName  = "vCD Job Template"
	seedVM       = "AnT_VM2"
	seedSize     = 12884901888
	seedCreation = "2025-10-11T20:06:09.627Z"
	seedEnd      = "2025-10-11T20:07:09.347Z"
	unknownID    = "00000000-0000-4000-8000-000000000001"
	emNamespace  = "http://www.veeam.com/ent/v1.0"
)

// taskJSON is the JSON a test reads back; decoded into maps as well where
// null-versus-absent matters.
type taskJSON struct {
	UID             string     `json:"uid"`
	ID              string     `json:"id"`
	Name            *string    `json:"name"`
	VMDisplayName   *string    `json:"vmDisplayName"`
	VMUID           *string    `json:"vmUid"`
	State           *string    `json:"state"`
	Finished        bool       `json:"finished"`
	Result          *string    `json:"result"`
	Reason          *string    `json:"reason"`
	CreationTime    *string    `json:"creationTime"`
	EndTime         *string    `json:"endTime"`
	DurationSeconds *float64   `json:"durationSeconds"`
	TotalSize       int64      `json:"totalSize"`
	JobSessionUID   *string    `json:"jobSessionUid"`
	JobName         *string    `json:"jobName"`
	BackupServer    *string    `json:"backupServerName"`
	Links           []linkJSON `json:"links"`
}

func decodeJSON[T any](t *testing.T, s string) T {
	t.Helper()
	var v T
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("output is not the expected JSON: %v\n%s", err, s)
	}
	if dec.More() {
		t.Fatalf("more than one JSON document:\n%s", s)
	}
	return v
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func checkSeed(t *testing.T, ts taskJSON) {
	t.Helper()
	if ts.UID != seedUID || ts.ID != seedID {
		t.Errorf("uid/id = %q/%q", ts.UID, ts.ID)
	}
	if ts.TotalSize != seedSize {
		t.Errorf("totalSize = %d, want %d", ts.TotalSize, int64(seedSize))
	}
	if deref(ts.State) != "Completed" || deref(ts.Result) != "Success" || !ts.Finished {
		t.Errorf("state/result/finished = %v/%v/%v", deref(ts.State), deref(ts.Result), ts.Finished)
	}
	if deref(ts.CreationTime) != seedCreation || deref(ts.EndTime) != seedEnd {
		t.Errorf("creationTime/endTime = %q/%q", deref(ts.CreationTime), deref(ts.EndTime))
	}
	if deref(ts.DurationSeconds) != 59.72 {
		t.Errorf("durationSeconds = %v, want 59.72", deref(ts.DurationSeconds))
	}
	if deref(ts.VMDisplayName) != seedVM || deref(ts.Name) != "AnT_VM2@2025-10-11 20:06:09" {
		t.Errorf("vmDisplayName/name = %q/%q", deref(ts.VMDisplayName), deref(ts.Name))
	}
	if deref(ts.VMUID) != "urn:VMware:Vm:a87d15db-dd70-4769-acd6-41bae88219d4.vm-91826" {
		t.Errorf("vmUid = %q", deref(ts.VMUID))
	}
	if ts.Reason != nil {
		t.Errorf("reason = %q, want null for an empty <Reason />", *ts.Reason)
	}
	if deref(ts.JobSessionUID) != "urn:veeam:BackupJobSession:0d3a8230-3db1-4cc1-a7b2-3b0b5c8f784c" {
		t.Errorf("jobSessionUid = %q", deref(ts.JobSessionUID))
	}
	if deref(ts.JobName) != seedJobName || deref(ts.BackupServer) != "enterprise01.tech.local" {
		t.Errorf("jobName/backupServerName = %q/%q", deref(ts.JobName), deref(ts.BackupServer))
	}
	if len(ts.Links) != 4 || ts.Links[0].Rel != "Up" || deref(ts.Links[0].Type) != "BackupServerReference" {
		t.Errorf("links = %+v", ts.Links)
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	r := mustRun(t, 0, nil, "version")
	if r.stdout != "vem "+vem.Version+"\n" || r.stderr != "" {
		t.Errorf("vem version: %s", r)
	}
	r = mustRun(t, 0, nil, "--version")
	if r.stdout != "vem "+vem.Version+"\n" {
		t.Errorf("vem --version: %s", r)
	}
	r = mustRun(t, 0, nil, "version", "-o", "json")
	v := decodeJSON[versionJSON](t, r.stdout)
	if v.Version != vem.Version || v.GoVersion == "" || v.Platform == "" {
		t.Errorf("vem version -o json: %+v", v)
	}
}

func TestHelp(t *testing.T) {
	t.Parallel()
	r := mustRun(t, 0, nil, "--help")
	for _, want := range []string{"task-session", "logon", "logout", "fake-server", "version", "completion", "--url", "--password-stdin"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("vem --help lacks %q:\n%s", want, r.stdout)
		}
	}
	r = mustRun(t, 0, nil, "task-session", "list", "--help")
	for _, want := range []string{"--state", "--result", "--since", "--until", "--vm", "--job", "--filter", "--sort", "--limit"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("vem task-session list --help lacks %q", want)
		}
	}
}

func TestCompletion(t *testing.T) {
	t.Parallel()
	for _, shell := range []string{"bash", "zsh", "fish"} {
		r := mustRun(t, 0, nil, "completion", shell)
		if len(r.stdout) < 500 || !strings.Contains(r.stdout, "vem") || !strings.Contains(r.stdout, "__complete") {
			t.Errorf("vem completion %s: %.300s", shell, r.stdout)
		}
	}
	// The scripts ask the binary; check the answers they get.
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"__complete", ""}, []string{"task-session", "logon", "logout", "fake-server", "version"}},
		{[]string{"__complete", "task-session", ""}, []string{"get", "list"}},
		{[]string{"__complete", "task-session", "list", "--state", ""}, stateValues},
		{[]string{"__complete", "task-session", "list", "--result", ""}, resultValues},
		{[]string{"__complete", "task-session", "get", "x", "-o", ""}, []string{"json", "jsonl", "table", "xml"}},
	} {
		r := mustRun(t, 0, nil, tc.args...)
		for _, w := range tc.want {
			if !slices.Contains(strings.Split(r.stdout, "\n"), w) && !strings.Contains(r.stdout, w+"\t") {
				t.Errorf("vem %v: %q missing from\n%s", tc.args, w, r.stdout)
			}
		}
	}
}

// TestBashCompletionScript sources "vem completion bash" in bash and asks
// it for completions as bash would, through the real binary.
func TestBashCompletionScript(t *testing.T) {
	t.Parallel()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not installed")
	}
	script := `
if [ -f /usr/share/bash-completion/bash_completion ]; then
	. /usr/share/bash-completion/bash_completion
else
	# The two bash-completion functions the script uses, reduced.
	_get_comp_words_by_ref() { cur="${COMP_WORDS[COMP_CWORD]}"; prev="${COMP_WORDS[COMP_CWORD-1]}"; words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD; }
fi
compopt() { :; }
source <("$VEM" completion bash) || exit 1
complete -p vem >/dev/null || exit 1
ask() {
	COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
	read -ra COMP_WORDS <<<"$*"
	case "$COMP_LINE" in *" ") COMP_WORDS+=("") ;; esac
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	__start_vem
	echo "${COMPREPLY[*]}"
}
ask "vem ta"
ask "vem task-session "
ask "vem task-session list --result "
ask "vem task-session get x -o "
`
	cmd := exec.Command(bash, "--norc", "--noprofile", "-c", script)
	// The script runs "vem __complete ...", found in PATH as users have it.
	cmd.Env = []string{"HOME=" + t.TempDir(), "PATH=" + filepath.Dir(vemBin) + string(os.PathListSeparator) + os.Getenv("PATH"), "VEM=" + vemBin}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("bash: %v\n%s", err, out)
	}
	want := "task-session\nget list wait\nNone Success Warning Failed\njson jsonl table xml\n"
	if string(out) != want {
		t.Errorf("bash completions:\n%s\nwant\n%s", out, want)
	}
}
