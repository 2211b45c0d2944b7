package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vemkit/vem"
	"github.com/vemkit/vem/vemtest"
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

func TestTaskSessionGetJSON(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	r := mustRun(t, 0, f.env, "task-session", "get", seedID, "-o", "json")
	checkSeed(t, decodeJSON[taskJSON](t, r.stdout))
	if r.stderr != "" {
		t.Errorf("stderr not empty: %q", r.stderr)
	}
	// Every documented key is present; absent values are null, not "".
	m := decodeJSON[map[string]any](t, r.stdout)
	for _, k := range []string{"uid", "id", "name", "vmDisplayName", "vmUid", "state", "finished", "result", "reason",
		"creationTime", "endTime", "durationSeconds", "totalSize", "jobSessionUid", "jobName", "backupServerName", "links"} {
		if _, ok := m[k]; !ok {
			t.Errorf("key %q missing", k)
		}
	}
	if len(m) != 17 {
		t.Errorf("%d keys, want 17 (update the docs when adding one)", len(m))
	}
	if _, ok := m["jobSession"]; ok {
		t.Error("jobSession present without --follow")
	}
	// By UID, over the JSON wire format, and from an EM 13 camelCase server:
	// the same output.
	for _, args := range [][]string{
		{"task-session", "get", seedUID, "-o", "json"},
		{"task-session", "get", strings.ToUpper(seedID), "-o", "json", "--format", "json"},
		{"ts", "get", seedID, "--format=JSON", "--output=json"},
	} {
		if r2 := mustRun(t, 0, f.env, args...); r2.stdout != r.stdout {
			t.Errorf("vem %v differs:\n%s\nwant\n%s", args, r2.stdout, r.stdout)
		}
	}
	f13 := newFake(t, vemtest.WithJSONStyle(vemtest.JSONStyleEM13CamelCase))
	if r2 := mustRun(t, 0, f13.env, "task-session", "get", seedID, "--format", "json"); !strings.Contains(r2.stdout, `"totalSize": 12884901888`) {
		t.Errorf("EM 13 JSON: %s", r2)
	}
	// Default output is json; VEM_OUTPUT and VEM_FORMAT are read.
	if r2 := mustRun(t, 0, f.env, "task-session", "get", seedID); r2.stdout != r.stdout {
		t.Errorf("default output differs from -o json:\n%s", r2.stdout)
	}
	if r2 := mustRun(t, 0, f.with("VEM_OUTPUT=jsonl", "VEM_FORMAT=json"), "task-session", "get", seedID); strings.Count(r2.stdout, "\n") != 1 {
		t.Errorf("VEM_OUTPUT=jsonl: %s", r2)
	}
}

func TestTaskSessionGetFollow(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	r := mustRun(t, 0, f.env, "task-session", "get", seedID, "--follow", "-o", "json")
	type followed struct {
		taskJSON
		JobSession   *jobSessionJSON   `json:"jobSession"`
		BackupServer *backupServerJSON `json:"backupServer"`
		RestorePoint *restorePointJSON `json:"restorePoint"`
	}
	v := decodeJSON[followed](t, r.stdout)
	checkSeed(t, v.taskJSON)
	if js := v.JobSession; js == nil || js.ID != "0d3a8230-3db1-4cc1-a7b2-3b0b5c8f784c" || deref(js.JobName) != seedJobName ||
		deref(js.State) != "Stopped" || !js.Finished || deref(js.CreationTime) == "" {
		t.Errorf("jobSession = %+v", js)
	}
	if bs := v.BackupServer; bs == nil || bs.ID != "a490c017-2c1c-40ee-8bcf-73bcce6ab36f" || deref(bs.Name) != "enterprise01.tech.local" || deref(bs.Port) == 0 {
		t.Errorf("backupServer = %+v", bs)
	}
	if rp := v.RestorePoint; rp == nil || rp.ID != "a3571c27-a3a9-4ac8-8dfb-71a2336b3218" || deref(rp.VMDisplayName) != seedVM {
		t.Errorf("restorePoint = %+v", rp)
	}

	// A running task session has no restore point yet, no end time and no
	// duration: null, not absent.
	r = mustRun(t, 0, f.env, "task-session", "list", "--state", "InProgress", "--limit", "1", "-o", "jsonl")
	running := decodeJSON[taskJSON](t, r.stdout)
	r = mustRun(t, 0, f.env, "task-session", "get", running.ID, "--follow", "-o", "json")
	m := decodeJSON[map[string]any](t, r.stdout)
	for _, k := range []string{"restorePoint", "endTime", "durationSeconds"} {
		if v, ok := m[k]; !ok || v != nil {
			t.Errorf("%s = %v (present %v), want null", k, v, ok)
		}
	}
	if m["jobSession"] == nil || m["backupServer"] == nil {
		t.Errorf("running session lacks its job session or server: %s", r.stdout)
	}

	r = mustRun(t, 0, f.env, "task-session", "get", seedID, "--follow", "-o", "table")
	for _, want := range []string{"Job session", "vCD Job Template@2025-10-11 20:00:04", "Restore point", "AnT_VM2-bFpa@2025-10-11 20:06:23"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, r.stdout)
		}
	}
}

func TestTaskSessionGetJSONLAndTable(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	r := mustRun(t, 0, f.env, "task-session", "get", seedID, "-o", "jsonl")
	if strings.Count(r.stdout, "\n") != 1 || !strings.HasSuffix(r.stdout, "}\n") {
		t.Errorf("jsonl is not one line: %q", r.stdout)
	}
	checkSeed(t, decodeJSON[taskJSON](t, r.stdout))

	r = mustRun(t, 0, f.env, "task-session", "get", seedID, "-o", "table")
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	col := -1
	for _, l := range lines {
		i := strings.Index(l, "  ")
		j := i + len(l[i:]) - len(strings.TrimLeft(l[i:], " "))
		if col == -1 {
			col = j
		} else if j != col {
			t.Errorf("values not aligned at column %d: %q", col, l)
		}
	}
	for _, want := range []string{seedID, "AnT_VM2", "Completed", "Success", "2025-10-11 20:06:09", "12.0 GiB (12884901888 bytes)"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, r.stdout)
		}
	}
}

// xmlTask is the seed values read back from EM's XML.
type xmlTask struct {
	XMLName       xml.Name
	UID           string `xml:"UID,attr"`
	VMDisplayName string `xml:"VmDisplayName,attr"`
	CreationTime  string `xml:"CreationTimeUTC"`
	State         string `xml:"State"`
	Result        string `xml:"Result"`
	TotalSize     int64  `xml:"TotalSize"`
}

func TestTaskSessionGetXML(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	// The server's own XML, whatever the wire format for typed calls.
	for _, format := range []string{"xml", "json"} {
		r := mustRun(t, 0, f.env, "task-session", "get", seedID, "-o", "xml", "--format", format)
		var v xmlTask
		if err := xml.Unmarshal([]byte(r.stdout), &v); err != nil {
			t.Fatalf("not XML: %v\n%s", err, r.stdout)
		}
		if v.XMLName.Local != "BackupTaskSession" || v.XMLName.Space != emNamespace || v.UID != seedUID ||
			v.VMDisplayName != seedVM || v.CreationTime != seedCreation || v.State != "Completed" ||
			v.Result != "Success" || v.TotalSize != seedSize {
			t.Errorf("XML = %+v", v)
		}
		wellFormed(t, r.stdout)
	}

	r := mustRun(t, 0, f.env, "task-session", "get", seedID, "--follow", "-o", "xml")
	wellFormed(t, r.stdout)
	var doc struct {
		XMLName      xml.Name
		Task         xmlTask                  `xml:"http://www.veeam.com/ent/v1.0 BackupTaskSession"`
		JobSession   struct{ JobName string } `xml:"http://www.veeam.com/ent/v1.0 BackupJobSession"`
		BackupServer struct{ Port int }       `xml:"http://www.veeam.com/ent/v1.0 BackupServer"`
		RestorePoint struct {
			VMName string `xml:"VmName"`
		} `xml:"http://www.veeam.com/ent/v1.0 VmRestorePoint"`
	}
	if err := xml.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("not XML: %v\n%s", err, r.stdout)
	}
	if doc.XMLName.Local != followWrapper || doc.Task.TotalSize != seedSize || doc.JobSession.JobName != seedJobName ||
		doc.BackupServer.Port == 0 || doc.RestorePoint.VMName == "" {
		t.Errorf("follow XML = %+v", doc)
	}
}

// wellFormed checks that s is one well-formed XML document.
func wellFormed(t *testing.T, s string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(s))
	roots := 0
	depth := 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%.500s", err, s)
		}
		switch tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
			}
			depth++
		case xml.EndElement:
			depth--
		}
	}
	if roots != 1 {
		t.Errorf("%d root elements, want 1", roots)
	}
}

func TestTaskSessionList(t *testing.T) {
	t.Parallel()
	f := newFake(t, vemtest.WithDataset(60))
	total := f.BackupTaskSessionCount()

	r := mustRun(t, 0, f.env, "task-session", "list", "-o", "json")
	all := decodeJSON[[]taskJSON](t, r.stdout)
	if len(all) != total {
		t.Fatalf("%d task sessions, want %d", len(all), total)
	}
	if r.stderr != "" {
		t.Errorf("stderr is not a terminal, yet got %q", r.stderr)
	}
	if !slices.IsSortedFunc(all, func(a, b taskJSON) int { return strings.Compare(deref(b.CreationTime), deref(a.CreationTime)) }) {
		t.Error("default order is not newest first")
	}
	i := slices.IndexFunc(all, func(ts taskJSON) bool { return ts.ID == seedID })
	if i < 0 {
		t.Fatal("seed task session missing")
	}
	checkSeed(t, all[i])

	r = mustRun(t, 0, f.env, "task-session", "list", "-o", "jsonl")
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) != total {
		t.Fatalf("%d jsonl lines, want %d", len(lines), total)
	}
	for i, l := range lines {
		if ts := decodeJSON[taskJSON](t, l); ts.ID != all[i].ID {
			t.Errorf("line %d: %s, want %s", i, ts.ID, all[i].ID)
		}
	}

	r = mustRun(t, 0, f.env, "task-session", "list", "-o", "table")
	rows := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(rows) != total+1 {
		t.Fatalf("%d table lines, want header + %d", len(rows), total)
	}
	header := rows[0]
	if !strings.HasPrefix(header, "ID ") {
		t.Errorf("header = %q", header)
	}
	for _, col := range []string{"CREATED (UTC)", "VM", "JOB", "STATE", "RESULT", "DURATION", "SIZE"} {
		// Columns align in characters (runes), as a terminal shows them.
		at := len([]rune(header[:strings.Index(header, col)]))
		if at <= 0 {
			t.Fatalf("header lacks %s: %q", col, header)
		}
		for _, row := range rows[1:] {
			r := []rune(row)
			if at >= len(r) || string(r[at-2:at]) != "  " || r[at] == ' ' {
				t.Errorf("column %s not aligned at %d in %q", col, at, row)
			}
		}
	}
	if !strings.Contains(r.stdout, "12.0 GiB") {
		t.Error("table lacks the seed's size")
	}

	r = mustRun(t, 0, f.env, "task-session", "list", "-o", "xml")
	wellFormed(t, r.stdout)
	var doc struct {
		XMLName xml.Name
		Tasks   []xmlTask `xml:"Entities>BackupTaskSessions>BackupTaskSession"`
	}
	if err := xml.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.XMLName.Local != "QueryResult" || doc.XMLName.Space != emNamespace || len(doc.Tasks) != total {
		t.Fatalf("xml: root %v, %d task sessions, want %d", doc.XMLName, len(doc.Tasks), total)
	}
	for i, ts := range doc.Tasks {
		if ts.UID != all[i].UID {
			t.Errorf("xml item %d = %s, want %s", i, ts.UID, all[i].UID)
		}
	}
}

func TestTaskSessionListPaging(t *testing.T) {
	t.Parallel()
	f := newFake(t, vemtest.WithDataset(60))
	total := f.BackupTaskSessionCount()
	r := mustRun(t, 0, f.env, "task-session", "list", "--page-size", "7", "-o", "jsonl")
	seen := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n") {
		seen[decodeJSON[taskJSON](t, l).ID] = true
	}
	if len(seen) != total {
		t.Errorf("%d distinct task sessions over pages of 7, want %d", len(seen), total)
	}
	pages := (total + 6) / 7
	if got := f.Stats().Routes["GET /api/query"]; got != pages {
		t.Errorf("%d query requests, want %d pages", got, pages)
	}
	r = mustRun(t, 0, f.env, "task-session", "list", "--page-size", "7", "-o", "xml")
	if n := strings.Count(r.stdout, "<BackupTaskSession "); n != total {
		t.Errorf("xml over pages: %d task sessions, want %d", n, total)
	}
	wellFormed(t, r.stdout)
}

func TestTaskSessionListLimit(t *testing.T) {
	t.Parallel()
	f := newFake(t, vemtest.WithDataset(250))
	for _, output := range []string{"json", "jsonl", "table", "xml"} {
		before := f.Stats().Routes["GET /api/query"]
		r := mustRun(t, 0, f.env, "task-session", "list", "--limit", "3", "-o", output)
		var n int
		switch output {
		case "json":
			n = len(decodeJSON[[]taskJSON](t, r.stdout))
		case "jsonl":
			n = strings.Count(r.stdout, "\n")
		case "table":
			n = strings.Count(r.stdout, "\n") - 1
		case "xml":
			wellFormed(t, r.stdout)
			n = strings.Count(r.stdout, "<BackupTaskSession ")
		}
		if n != 3 {
			t.Errorf("-o %s --limit 3: %d results", output, n)
		}
		if got := f.Stats().Routes["GET /api/query"] - before; got != 1 {
			t.Errorf("-o %s --limit 3: %d query requests, want 1", output, got)
		}
	}
	// A limit beyond the first page reads only the pages it needs.
	before := f.Stats().Routes["GET /api/query"]
	r := mustRun(t, 0, f.env, "task-session", "list", "--limit", "120", "-o", "jsonl")
	if n := strings.Count(r.stdout, "\n"); n != 120 {
		t.Errorf("--limit 120: %d results", n)
	}
	if got := f.Stats().Routes["GET /api/query"] - before; got != 2 {
		t.Errorf("--limit 120: %d query requests, want 2 pages of 100", got)
	}
}

func TestTaskSessionListFilters(t *testing.T) {
	t.Parallel()
	f := newFake(t, vemtest.WithDataset(120))
	now := time.Now().UTC()
	until := "2026-01-01T00:00:00Z"
	sinceAbs := now.Add(-10 * 24 * time.Hour).Format(time.RFC3339)
	for _, tc := range []struct {
		name string
		args []string
		ok   func(taskJSON) bool
		// min is the least number of results the data set must give, so
		// that a filter that drops everything does not pass.
		min int
	}{
		{"state", []string{"--state", "completed"}, func(ts taskJSON) bool { return deref(ts.State) == "Completed" }, 10},
		{"state list", []string{"--state", "InProgress,pending"}, func(ts taskJSON) bool {
			return deref(ts.State) == "InProgress" || deref(ts.State) == "Pending"
		}, 1},
		{"result", []string{"--result", "FAILED"}, func(ts taskJSON) bool { return deref(ts.Result) == "Failed" }, 1},
		{"results", []string{"--result", "failed", "--result", "warning"}, func(ts taskJSON) bool {
			return deref(ts.Result) == "Failed" || deref(ts.Result) == "Warning"
		}, 2},
		{"vm", []string{"--vm", seedVM}, func(ts taskJSON) bool { return deref(ts.VMDisplayName) == seedVM }, 1},
		{"job", []string{"--job", seedJobName}, func(ts taskJSON) bool { return deref(ts.JobName) == seedJobName }, 2},
		{"since duration", []string{"--since", "7d"}, func(ts taskJSON) bool {
			c, _ := time.Parse(time.RFC3339Nano, deref(ts.CreationTime))
			return !c.Before(now.Add(-7*24*time.Hour - time.Minute))
		}, 1},
		{"since time", []string{"--since", sinceAbs}, func(ts taskJSON) bool { return deref(ts.CreationTime) >= sinceAbs }, 1},
		{"until", []string{"--until", until}, func(ts taskJSON) bool { return deref(ts.CreationTime) < until }, 1},
		{"until date", []string{"--until", "2026-01-01"}, func(ts taskJSON) bool { return deref(ts.CreationTime) < until }, 1},
		{"raw filter", []string{"--filter", "TotalSize>1000000000"}, func(ts taskJSON) bool { return ts.TotalSize > 1e9 }, 2},
		{"raw or filter with others", []string{"--filter", "Result==Failed,Result==Warning", "--state", "Completed"}, func(ts taskJSON) bool {
			return deref(ts.State) == "Completed" && (deref(ts.Result) == "Failed" || deref(ts.Result) == "Warning")
		}, 2},
		{"combined", []string{"--job", seedJobName, "--result", "success", "--since", "400d"}, func(ts taskJSON) bool {
			return deref(ts.JobName) == seedJobName && deref(ts.Result) == "Success"
		}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"task-session", "list", "-o", "json"}, tc.args...)
			got := decodeJSON[[]taskJSON](t, mustRun(t, 0, f.env, args...).stdout)
			if len(got) < tc.min {
				t.Fatalf("%d results, want at least %d", len(got), tc.min)
			}
			for _, ts := range got {
				if !tc.ok(ts) {
					t.Errorf("result does not match the filter: %+v", ts)
				}
			}
		})
	}

	t.Run("sort", func(t *testing.T) {
		t.Parallel()
		for _, tc := range []struct {
			sort string
			cmp  func(a, b taskJSON) int
		}{
			{"CreationTime", func(a, b taskJSON) int { return strings.Compare(deref(a.CreationTime), deref(b.CreationTime)) }},
			{"-totalsize", func(a, b taskJSON) int { return int(b.TotalSize - a.TotalSize) }},
			{"+TotalSize", func(a, b taskJSON) int { return int(a.TotalSize - b.TotalSize) }},
		} {
			got := decodeJSON[[]taskJSON](t, mustRun(t, 0, f.env, "task-session", "list", "--sort", tc.sort, "-o", "json").stdout)
			if len(got) < 2 || !slices.IsSortedFunc(got, tc.cmp) {
				t.Errorf("--sort %s: not sorted", tc.sort)
			}
		}
	})

	t.Run("no match", func(t *testing.T) {
		t.Parallel()
		r := mustRun(t, 0, f.env, "task-session", "list", "--vm", "no such vm", "-o", "json")
		if strings.TrimSpace(r.stdout) != "[]" {
			t.Errorf("empty list: %q, want []", r.stdout)
		}
		r = mustRun(t, 0, f.env, "task-session", "list", "--vm", "no such vm", "-o", "jsonl")
		if r.stdout != "" {
			t.Errorf("empty jsonl: %q", r.stdout)
		}
		r = mustRun(t, 0, f.env, "task-session", "list", "--vm", "no such vm", "-o", "xml")
		wellFormed(t, r.stdout)
	})
}

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
