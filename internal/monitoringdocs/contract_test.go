package monitoringdocs

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// docsDir is the repository's docs directory, from this package's.
const docsDir = "../../docs"

// readDoc returns the text of a file under docs/.
func readDoc(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(docsDir, name))
	require.NoError(t, err)
	return string(b)
}

// section returns the text of the markdown section that starts with the
// heading line, up to the next heading of the same or a higher level.
func section(t *testing.T, doc, heading string) string {
	t.Helper()
	i := strings.Index(doc, "\n"+heading+"\n")
	require.GreaterOrEqual(t, i, 0, "heading %q", heading)
	rest := doc[i+1+len(heading)+1:]
	level := strings.Repeat("#", strings.IndexByte(heading, ' '))
	for off := 0; ; {
		j := strings.Index(rest[off:], "\n#")
		if j < 0 {
			return rest
		}
		line := rest[off+j+1:]
		hashes := len(line) - len(strings.TrimLeft(line, "#"))
		if hashes <= len(level) && strings.HasPrefix(line[hashes:], " ") {
			return rest[:off+j]
		}
		off += j + 1
	}
}

var backticked = regexp.MustCompile("`([^`]*)`")

// metricsContract reads the metric tables of the Metrics section of
// docs/monitoring.md: every metric name with its labels (Prometheus' target
// labels job and instance not included).
func metricsContract(t *testing.T) map[string][]string {
	t.Helper()
	sec := section(t, readDoc(t, "monitoring.md"), "## Metrics")
	out := make(map[string][]string)
	for line := range strings.SplitSeq(sec, "\n") {
		if !strings.HasPrefix(line, "| `vem_") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), " | ")
		require.GreaterOrEqual(t, len(cells), 2, "row %q", line)
		var names []string
		var braceLabels []string
		for _, m := range backticked.FindAllStringSubmatch(cells[0], -1) {
			name := m[1]
			if b := strings.IndexByte(name, '{'); b >= 0 {
				braceLabels = strings.Split(strings.TrimSuffix(name[b+1:], "}"), ",")
				name = name[:b]
			}
			if strings.HasPrefix(name, "_") { // `vem_job_vms_ok`, `_warning`
				require.NotEmpty(t, names, "row %q", line)
				first := names[0]
				name = first[:strings.LastIndexByte(first, '_')] + name
			}
			names = append(names, name)
		}
		labels := braceLabels
		if typ := strings.TrimSpace(cells[1]); typ != "gauge" && typ != "counter" {
			labels = nil
			for l := range strings.SplitSeq(typ, ",") {
				if l = strings.TrimSpace(l); l != "" {
					labels = append(labels, l)
				}
			}
		}
		for _, n := range names {
			require.NotContains(t, out, n, "metric %s twice in the tables", n)
			out[n] = labels
		}
	}
	return out
}

func TestMetricsContract(t *testing.T) {
	c := metricsContract(t)
	// Spot checks that would fail if the tables or their reading broke.
	require.Equal(t, []string{"backup_server", "backup_job", "kind", "vm"}, c["vem_vm_backup_status"])
	require.Equal(t, []string{"backup_server", "backup_job", "kind"}, c["vem_job_vms_critical"])
	require.Equal(t, []string{"backup_server", "repository", "repository_kind"}, c["vem_repository_days_until_full"])
	require.Equal(t, []string{"result"}, c["vem_summary_job_runs_by_result"])
	require.Equal(t, []string{"outcome"}, c["vem_em_requests_total"])
	require.Contains(t, c, "vem_summary_backed_up_vms")
	require.Empty(t, c["vem_health_status"])

	var names []string
	for name, labels := range c {
		names = append(names, name)
		for _, l := range labels {
			// Prometheus' target labels: a vem label of that name is
			// renamed or overwritten at the scrape.
			require.NotContains(t, []string{"job", "instance"}, l, "metric %s", name)
		}
		// Counters and only counters end in _total; the tables say which.
		if strings.HasSuffix(name, "_total") {
			require.Contains(t, []string{"vem_refreshes_total", "vem_em_requests_total", "vem_em_logons_total"}, name)
		}
	}
	sort.Strings(names)
	t.Logf("%d metrics in the contract", len(names))
}
