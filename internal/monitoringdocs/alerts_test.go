package monitoringdocs

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestAlertsUseTheContract checks the alerting rules and their unit tests
// against the metrics contract: every vem metric they name is in it, and
// every series of the unit tests has the labels of the contract (plus the
// target labels), so that the tests feed the rules what vem serves.
// promtool checks and runs them (.ci/run).
func TestAlertsUseTheContract(t *testing.T) {
	contract := metricsContract(t)
	name := regexp.MustCompile(`\bvem_[A-Za-z0-9_]*[A-Za-z0-9]\b`)
	for _, file := range []string{"monitoring/alerts.yml", "monitoring/alerts_test.yml", "monitoring/prometheus.yml"} {
		text := readDoc(t, file)
		for _, n := range name.FindAllString(text, -1) {
			assert.Contains(t, contract, n, "%s names %s, which is not in the metrics tables of docs/monitoring.md", file, n)
		}
		assert.NotContains(t, text, "honor_labels: true", file)
	}

	// The backup job is backup_job: the label job (the scrape job's) is
	// used by the exporter's alerts only.
	rules := readDoc(t, "monitoring/alerts.yml")
	i := strings.Index(rules, "- name: vem-exporter")
	assert.Greater(t, i, 0, "alerts.yml: the group vem-exporter")
	health := rules[:max(i, 0)]
	assert.Contains(t, health, "$labels.backup_job", "alerts.yml")
	assert.NotRegexp(t, `\$labels\.job\b`, health, "alerts.yml")
	assert.NotRegexp(t, legacyJobRE, health, "alerts.yml")

	series := regexp.MustCompile(`series: ['"](vem_[A-Za-z0-9_]+)\{(.*)\}['"]`)
	label := regexp.MustCompile(`([A-Za-z_][A-Za-z0-9_]*)=\\?"`)
	n := 0
	for _, m := range series.FindAllStringSubmatch(readDoc(t, "monitoring/alerts_test.yml"), -1) {
		n++
		want := map[string]bool{"instance": true, "job": true}
		for _, l := range contract[m[1]] {
			want[l] = true
		}
		got := make(map[string]bool)
		for _, l := range label.FindAllStringSubmatch(m[2], -1) {
			got[l[1]] = true
			assert.True(t, want[l[1]], "alerts_test.yml: %s has no label %s in the contract", m[1], l[1])
		}
		for _, l := range contract[m[1]] {
			assert.True(t, got[l], "alerts_test.yml: a series of %s without its label %s", m[1], l)
		}
	}
	assert.Greater(t, n, 20, "series read from alerts_test.yml")
}
