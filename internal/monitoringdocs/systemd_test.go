package monitoringdocs

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const unitName = "vem-exporter.service"

// documentedUnit returns the systemd unit that docs/monitoring.md shows:
// the ini block after "`/etc/systemd/system/vem-exporter.service`:".
func documentedUnit(t *testing.T) string {
	t.Helper()
	doc := readDoc(t, "monitoring.md")
	marker := "`/etc/systemd/system/" + unitName + "`:\n\n```ini\n"
	i := strings.Index(doc, marker)
	require.GreaterOrEqual(t, i, 0, "docs/monitoring.md has no unit after %q", marker)
	unit := doc[i+len(marker):]
	end := strings.Index(unit, "\n```\n")
	require.Greater(t, end, 0, "the unit's block does not end")
	return unit[:end+1]
}

// directives returns the values of a directive of the unit, in order.
func directives(unit, key string) []string {
	var out []string
	for line := range strings.SplitSeq(unit, "\n") {
		if v, ok := strings.CutPrefix(line, key+"="); ok {
			out = append(out, v)
		}
	}
	return out
}

// TestSystemdUnitCredentials checks what systemd-analyze cannot: that a
// DynamicUser, which cannot read a root-owned mode-0600 file, is given
// every file the exporter opens as a credential.
func TestSystemdUnitCredentials(t *testing.T) {
	unit := documentedUnit(t)
	require.Equal(t, []string{"yes"}, directives(unit, "DynamicUser"))

	creds := make(map[string]string)
	for _, v := range directives(unit, "LoadCredential") {
		id, path, ok := strings.Cut(v, ":")
		require.True(t, ok, "LoadCredential=%s: want ID:PATH", v)
		require.True(t, filepath.IsAbs(path), "LoadCredential=%s", v)
		creds[id] = path
	}
	start := directives(unit, "ExecStart")
	require.Len(t, start, 1)
	// Every file flag points into the credentials directory, at a loaded
	// credential.
	fileFlag := regexp.MustCompile(`--(ca-file|web\.config\.file)[= ](\S+)`)
	flags := fileFlag.FindAllStringSubmatch(start[0], -1)
	require.Len(t, flags, 2, "ExecStart=%s: --ca-file and --web.config.file", start[0])
	used := make(map[string]bool)
	for _, f := range flags {
		id, ok := strings.CutPrefix(f[2], "%d/")
		require.True(t, ok, "--%s=%s: a DynamicUser cannot read a root-owned 0600 file; want %%d/ID", f[1], f[2])
		require.Contains(t, creds, id, "--%s=%s: no LoadCredential=%s:...", f[1], f[2], id)
		used[id] = true
	}
	// The web configuration names its certificate and key relative to
	// itself, that is in the credentials directory: they must be loaded.
	web := readWebConfigExample(t)
	for _, key := range []string{"cert_file", "key_file"} {
		m := regexp.MustCompile(`(?m)^\s*` + key + `:\s*(\S+)$`).FindStringSubmatch(web)
		require.NotNil(t, m, "web.yml example: %s", key)
		require.False(t, filepath.IsAbs(m[1]), "web.yml %s: %s is outside the credentials directory", key, m[1])
		require.Contains(t, creds, m[1], "web.yml %s: %s is not a credential", key, m[1])
		used[m[1]] = true
	}
	for id := range creds {
		assert.True(t, used[id], "LoadCredential=%s: not used", id)
	}
	// No file the exporter opens comes from the environment file.
	assert.NotContains(t, readDocSection(t, "`/etc/vem/exporter.env`"), "VEM_CA_FILE=")
	require.Len(t, directives(unit, "MemoryMax"), 1)
}

// readWebConfigExample returns the web.yml example that follows the unit.
func readWebConfigExample(t *testing.T) string {
	t.Helper()
	doc := readDoc(t, "monitoring.md")
	i := strings.Index(doc, "`/etc/vem/web.yml`")
	require.GreaterOrEqual(t, i, 0)
	j := strings.Index(doc[i:], "```yaml\n")
	require.GreaterOrEqual(t, j, 0)
	block := doc[i+j+len("```yaml\n"):]
	return block[:strings.Index(block, "```")]
}

// readDocSection returns the first code block after the text marker.
func readDocSection(t *testing.T, marker string) string {
	t.Helper()
	doc := readDoc(t, "monitoring.md")
	i := strings.Index(doc, marker)
	require.GreaterOrEqual(t, i, 0, marker)
	j := strings.Index(doc[i:], "```")
	require.GreaterOrEqual(t, j, 0, marker)
	block := doc[i+j+3:]
	return block[:strings.Index(block, "```")]
}

// TestSystemdUnitVerifies runs systemd-analyze verify on the documented
// unit, its ExecStart binary replaced by a temporary executable (verify
// checks that it exists). verify exits 0 on an unknown key or a bad value,
// which it only reports ("Unknown key ..., ignoring"), so any line about
// the unit fails the test.
func TestSystemdUnitVerifies(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not found: the documented unit is not verified (install systemd)")
	}
	unit := documentedUnit(t)
	const bin = "/usr/local/bin/vem"
	require.Contains(t, unit, "ExecStart="+bin+" ")

	dir := t.TempDir()
	fake := filepath.Join(dir, "vem")
	require.NoError(t, os.WriteFile(fake, []byte("#!/bin/sh\nexit 0\n"), 0o755))
	unit = strings.ReplaceAll(unit, "ExecStart="+bin+" ", "ExecStart="+fake+" ")
	file := filepath.Join(dir, unitName)
	require.NoError(t, os.WriteFile(file, []byte(unit), 0o644))

	out, err := exec.Command(analyze, "verify", file).CombinedOutput()
	require.NoError(t, err, "systemd-analyze verify:\n%s", out)
	for line := range strings.SplitSeq(string(out), "\n") {
		assert.NotContains(t, line, unitName, "systemd-analyze verify")
	}
}

// TestSystemdVerifyCatchesMistakes checks that the test above would fail:
// systemd-analyze reports a misspelt key and a bad value, and the unit's
// name is on the lines that say so.
func TestSystemdVerifyCatchesMistakes(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not found")
	}
	dir := t.TempDir()
	fake := filepath.Join(dir, "vem")
	require.NoError(t, os.WriteFile(fake, []byte("#!/bin/sh\nexit 0\n"), 0o755))
	unit := "[Service]\nExecStart=" + fake + " exporter\nLoadCredentail=web.yml:/etc/vem/web.yml\nMemoryMax=512Q\n"
	file := filepath.Join(dir, unitName)
	require.NoError(t, os.WriteFile(file, []byte(unit), 0o644))
	out, _ := exec.Command(analyze, "verify", file).CombinedOutput()
	require.Contains(t, string(out), unitName+":3")
	require.Contains(t, string(out), unitName+":4")
}
