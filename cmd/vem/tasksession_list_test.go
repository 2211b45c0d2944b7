package main

import (
	"encoding/xml"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vemkit/vem/vemtest"
)

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
