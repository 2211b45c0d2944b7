package vem

import (
	"strings"
	"testing"
)

func FuzzLinkID(f *testing.F) {
	for _, s := range []string{
		"https://localhost:9398/api/vmRestorePoints/a3571c27-a3a9-4ac8-8dfb-71a2336b3218?format=Entity",
		"https://localhost:9398/api/backupSessions/a057c2c3-f3bd-4ab4-9fb7-24058cccb4f6/taskSessions",
		"https://localhost:9398/api/", "", "::::", "https://[::1", "%zz", "/" + strings.ToUpper(seedGUID),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, href string) {
		id := Link{Href: href}.ID()
		if id == "" {
			return
		}
		if !isGUID(id) || id != strings.ToLower(id) {
			t.Fatalf("Link{%q}.ID() = %q, not a lower-case GUID", href, id)
		}
	})
}
