package monitoringdocs

import (
	"os"
	"path/filepath"
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

// metricsContract reads the metric tables of docs/monitoring.md: every
// metric name with its labels.
func metricsContract(t *testing.T) map[string][]string {
	t.Helper()
	c, err := ReadMetrics(filepath.Join(docsDir, "monitoring.md"))
	require.NoError(t, err)
	out := make(map[string][]string, len(c))
	for n, m := range c {
		out[n] = m.Labels
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

	full, err := ReadMetrics(filepath.Join(docsDir, "monitoring.md"))
	require.NoError(t, err)
	require.False(t, full["vem_vm_backup_status"].New)
	require.True(t, full["vem_repository_free_bytes"].New, "under a heading marked new")
	require.True(t, full["vem_summary_job_runs"].New, "under a heading marked new")
	require.True(t, full["vem_job_rpo_seconds"].New, "a row marked new")
	require.False(t, full["vem_up"].New)

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

func TestParseMetricsErrors(t *testing.T) {
	for name, doc := range map[string]string{
		"no section":   "# Title\n\n| `vem_up` | gauge | |\n",
		"empty":        "# Title\n\n## Metrics\n\nNothing yet.\n\n## Next\n",
		"table after":  "# T\n\n## Metrics\n\n## Next\n\n| `vem_up` | gauge | |\n",
		"suffix first": "# T\n\n## Metrics\n\n| `_warning` | a | |\n",
		"twice":        "# T\n\n## Metrics\n\n| `vem_up` | gauge | |\n| `vem_up` | gauge | |\n",
		"one cell":     "# T\n\n## Metrics\n\n| `vem_up` |\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseMetrics(doc)
			require.Error(t, err)
		})
	}
	_, err := ParseMetrics("x\n## Metrics\n\n## Next\n")
	require.ErrorIs(t, err, ErrNoMetrics)
	_, err = ReadMetrics(filepath.Join(t.TempDir(), "missing.md"))
	require.ErrorIs(t, err, os.ErrNotExist)
}
