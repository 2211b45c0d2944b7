package vem

import (
	"os"
	"testing"

	"github.com/vemkit/vem/internal/em"
)

// Fuzz targets for the decoders of the related resources, reference lists,
// query pages and logon sessions. Each must never panic, and whatever it
// accepts must be the kind of document it was asked for. CI runs the seeds;
// `go test -fuzz FuzzX` explores.

func addSeeds(f *testing.F, files ...string) {
	f.Helper()
	for _, name := range files {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, false)
		f.Add(b, true)
	}
	f.Add([]byte(`{}`), true)
	f.Add([]byte(`null`), true)
	f.Add([]byte("\ufeff<x/>"), false)
	f.Add([]byte(""), false)
}

func contentType(json bool) string {
	if json {
		return "application/json; charset=utf-8"
	}
	return "application/xml"
}

func FuzzDecodeBackupJobSession(f *testing.F) {
	addSeeds(f, "backupjobsession.xml", "backuptasksession.xml")
	f.Fuzz(func(t *testing.T, body []byte, json bool) {
		if s, err := jobSessions.decode(contentType(json), body, ""); err == nil && s.UID.Kind() != KindBackupJobSession {
			t.Fatalf("accepted a %q UID", s.UID)
		}
	})
}

func FuzzDecodeBackupServer(f *testing.F) {
	addSeeds(f, "backupserver-resource-doc.xml")
	f.Fuzz(func(t *testing.T, body []byte, json bool) {
		if s, err := backupServers.decode(contentType(json), body, ""); err == nil && s.UID.Kind() != KindBackupServer {
			t.Fatalf("accepted a %q UID", s.UID)
		}
	})
}

func FuzzDecodeJob(f *testing.F) {
	addSeeds(f, "job.xml")
	f.Fuzz(func(t *testing.T, body []byte, json bool) {
		if j, err := jobs.decode(contentType(json), body, ""); err == nil && j.UID.Kind() != KindJob {
			t.Fatalf("accepted a %q UID", j.UID)
		}
	})
}

func FuzzDecodeVMRestorePoint(f *testing.F) {
	addSeeds(f, "vmrestorepoint.xml")
	f.Fuzz(func(t *testing.T, body []byte, json bool) {
		if p, err := vmRestorePoints.decode(contentType(json), body, ""); err == nil && p.UID.Kind() != KindVMRestorePoint {
			t.Fatalf("accepted a %q UID", p.UID)
		}
	})
}

func FuzzDecodeEntityRefs(f *testing.F) {
	addSeeds(f, "entityreferences-backuptasksessions-fixed.xml", "backuptasksession-ref-v9.xml")
	f.Fuzz(func(t *testing.T, body []byte, json bool) {
		var w entityRefsWire
		if decodeWire(contentType(json), body, &w) != nil {
			return
		}
		for i := range w.Refs {
			if r, err := w.Refs[i].toPublic(""); err == nil && r.UID.Kind() == "" {
				t.Fatalf("accepted a reference without a valid UID: %q", r.UID)
			}
		}
		var one entityRefWire
		if decodeWire(contentType(json), body, &one) == nil {
			if r, err := one.toPublic("EntityRef"); err == nil && r.ID() == "" {
				t.Fatalf("accepted a reference without an ID: %q", r.UID)
			}
		}
	})
}

func FuzzDecodeQueryPage(f *testing.F) {
	addSeeds(f, "query-backuptasksession.xml", "query-backuptasksession-v12.json")
	f.Fuzz(func(t *testing.T, body []byte, json bool) {
		p, err := taskSessions.decodePage(contentType(json), body, 1)
		if err != nil {
			return
		}
		for _, s := range p.items {
			if s.UID.Kind() != KindBackupTaskSession {
				t.Fatalf("accepted a %q UID", s.UID)
			}
		}
	})
}

func FuzzDecodeLogonSession(f *testing.F) {
	addSeeds(f, "logonsession.xml")
	f.Fuzz(func(t *testing.T, body []byte, json bool) {
		var w logonSessionWire
		_ = decodeWire(contentType(json), body, &w)
		var l logonSessionsWire
		_ = decodeWire(contentType(json), body, &l)
	})
}

// FuzzFilterRender checks that rendering never panics and that a string
// value always comes out either bare (with no character of the syntax) or
// quoted with its quotes doubled, so it cannot change the expression's
// structure.
func FuzzFilterRender(f *testing.F) {
	for _, s := range []string{"dbserver01", "Fileserver Backup", `a"b`, "a;b,c", "", "(x)", "Überserver"} {
		f.Add("JobName", s, int64(3), uint8(0))
	}
	f.Fuzz(func(t *testing.T, field, value string, n int64, op uint8) {
		ops := []func(Field, any) Filter{Eq, Ne, Gt, Ge, Lt, Le}
		mk := ops[int(op)%len(ops)]
		fl := And(mk(Field(field), value), Or(mk("TotalSize", n), Eq("Result", ResultFailed)))
		s := fl.String()
		if fl.Err() != nil {
			return // invalid field names are reported, not rendered into a query
		}
		rendered := em.QuoteValue(value)
		if rendered != value {
			inner := rendered[1 : len(rendered)-1]
			if rendered[0] != '"' || rendered[len(rendered)-1] != '"' || unescapedQuote(inner) {
				t.Fatalf("bad quoting of %q: %s", value, rendered)
			}
		} else if value == "" || containsSyntax(value) {
			t.Fatalf("value %q left bare", value)
		}
		if len(s) == 0 {
			t.Fatal("empty rendering")
		}
	})
}

func unescapedQuote(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			if i+1 >= len(s) || s[i+1] != '"' {
				return true
			}
			i++
		}
	}
	return false
}

func containsSyntax(s string) bool {
	for _, r := range s {
		if em.NeedsQuote(r) {
			return true
		}
	}
	return false
}
