package main

import (
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/vemkit/vem/vemtest"
)

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
