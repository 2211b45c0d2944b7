package monitoringdocs

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// dashboard is the part of a Grafana dashboard the tests read.
type dashboard struct {
	Templating struct {
		List []struct {
			Name  string `json:"name"`
			Type  string `json:"type"`
			Query any    `json:"query"`
		} `json:"list"`
	} `json:"templating"`
	Panels []panel `json:"panels"`
}

type panel struct {
	ID      int    `json:"id"`
	Type    string `json:"type"`
	Title   string `json:"title"`
	Targets []struct {
		RefID        string `json:"refId"`
		Expr         string `json:"expr"`
		LegendFormat string `json:"legendFormat"`
	} `json:"targets"`
	Panels []panel `json:"panels"` // a collapsed row's
}

func readDashboard(t *testing.T) dashboard {
	t.Helper()
	var d dashboard
	require.NoError(t, json.Unmarshal([]byte(readDoc(t, "monitoring/grafana-dashboard.json")), &d))
	return d
}

// variableQuery is the query of a query variable: a string, or an object
// with a query field.
func variableQuery(q any) string {
	switch q := q.(type) {
	case string:
		return q
	case map[string]any:
		s, _ := q["query"].(string)
		return s
	}
	return ""
}

// filterVariables are the dashboard variables that filter series, each on
// the label of its name. Every vem series has instance (the target label).
var filterVariables = []string{"instance", "backup_server", "backup_job", "kind", "repository"}

var (
	// selectorRE finds a vem metric and its optional label matchers.
	selectorRE = regexp.MustCompile(`\b(vem_[A-Za-z0-9_]+)\b(\s*\{([^}]*)\})?`)
	// matcherRE is a matcher on a dashboard variable: label=~"$variable".
	matcherRE = regexp.MustCompile(`^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=~\s*"\$([A-Za-z_][A-Za-z0-9_]*)"\s*$`)
	// legacyJobRE is the backup job's old label in PromQL.
	legacyJobRE = regexp.MustCompile(`\bjob\s*(=|!=|=~|!~)|\b(by|on|without|ignoring)\s*\([^)]*\bjob\b`)
)

// checkSelectors checks that every vem metric in expr is in the contract
// and is filtered by every variable whose label it has, and returns the
// variables used.
func checkSelectors(t *testing.T, where, expr string, contract map[string][]string) map[string]bool {
	t.Helper()
	used := make(map[string]bool)
	matches := selectorRE.FindAllStringSubmatch(expr, -1)
	assert.NotEmpty(t, matches, "%s: no vem metric in %q", where, expr)
	for _, m := range matches {
		name, matchers := m[1], m[3]
		labels, ok := contract[name]
		if !assert.True(t, ok, "%s: %s is not in the metrics tables of docs/monitoring.md", where, name) {
			continue
		}
		has := make(map[string]string)
		for part := range strings.SplitSeq(matchers, ",") {
			if strings.TrimSpace(part) == "" {
				continue
			}
			mm := matcherRE.FindStringSubmatch(part)
			if assert.NotNil(t, mm, "%s: %s: matcher %q is not label=~\"$variable\"", where, name, part) {
				has[mm[1]] = mm[2]
				used[mm[2]] = true
			}
		}
		want := []string{"instance"}
		for _, v := range filterVariables[1:] {
			for _, l := range labels {
				if l == v {
					want = append(want, v)
				}
			}
		}
		for _, v := range want {
			assert.Equal(t, v, has[v], "%s: %s has the label %s but is not filtered by $%s: %q", where, name, v, v, expr)
		}
		for l := range has {
			assert.Contains(t, want, l, "%s: %s has no label %s: %q", where, name, l, expr)
		}
	}
	return used
}

func allPanels(ps []panel) []panel {
	var out []panel
	for _, p := range ps {
		out = append(out, p)
		out = append(out, allPanels(p.Panels)...)
	}
	return out
}

func TestDashboardPanelsUseTheVariables(t *testing.T) {
	contract := metricsContract(t)
	d := readDashboard(t)

	vars := make(map[string]string)
	for _, v := range d.Templating.List {
		vars[v.Name] = variableQuery(v.Query)
	}
	for _, v := range filterVariables {
		require.Contains(t, vars, v, "dashboard variable")
	}

	used := make(map[string]bool)
	panels := allPanels(d.Panels)
	require.NotEmpty(t, panels)
	ids := make(map[int]bool)
	for _, p := range panels {
		require.False(t, ids[p.ID], "panel id %d twice", p.ID)
		ids[p.ID] = true
		if p.Type == "row" {
			continue
		}
		where := fmt.Sprintf("panel %d %q", p.ID, p.Title)
		require.NotEmpty(t, p.Targets, "%s has no query", where)
		for _, tg := range p.Targets {
			require.NotEmpty(t, tg.Expr, "%s %s", where, tg.RefID)
			for v := range checkSelectors(t, where+" "+tg.RefID, tg.Expr, contract) {
				used[v] = true
			}
			assert.NotRegexp(t, legacyJobRE, tg.Expr, "%s: the backup job is backup_job", where)
			assert.NotContains(t, tg.LegendFormat, "{{job}}", "%s: the backup job is backup_job", where)
		}
	}
	for _, v := range filterVariables {
		assert.True(t, used[v], "no panel is filtered by $%s", v)
	}
}

// labelValuesRE is a variable's query: label_values(selector, label).
var labelValuesRE = regexp.MustCompile(`^label_values\((.*),\s*([A-Za-z_][A-Za-z0-9_]*)\)$`)

func TestDashboardVariables(t *testing.T) {
	contract := metricsContract(t)
	d := readDashboard(t)
	// Each variable lists the values of its label, narrowed by the
	// variables before it, from metrics that have that label.
	narrowedBy := map[string][]string{
		"instance":      nil,
		"backup_server": {"instance"},
		"kind":          {"instance", "backup_server"},
		"backup_job":    {"instance", "backup_server", "kind"},
		"repository":    {"instance", "backup_server"},
	}
	seen := 0
	for _, v := range d.Templating.List {
		before, ok := narrowedBy[v.Name]
		if !ok {
			continue
		}
		seen++
		q := variableQuery(v.Query)
		m := labelValuesRE.FindStringSubmatch(q)
		require.NotNil(t, m, "variable %s: %q is not label_values(selector, label)", v.Name, q)
		require.Equal(t, v.Name, m[2], "variable %s lists another label", v.Name)
		names := regexp.MustCompile(`vem_[A-Za-z0-9_]+`).FindAllString(m[1], -1)
		require.NotEmpty(t, names, "variable %s", v.Name)
		for _, n := range names {
			labels, ok := contract[n]
			require.True(t, ok, "variable %s: %s is not in the contract", v.Name, n)
			if v.Name != "instance" {
				assert.Contains(t, labels, v.Name, "variable %s: %s has no label %s", v.Name, n, v.Name)
			}
		}
		for _, b := range before {
			assert.Contains(t, m[1], b+`=~"$`+b+`"`, "variable %s is not narrowed by $%s", v.Name, b)
		}
	}
	require.Equal(t, len(narrowedBy), seen)
}

// TestDashboardPromQL checks with promtool that every query of the
// dashboard parses, the variables replaced by what Grafana puts there.
func TestDashboardPromQL(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not found: the dashboard's PromQL is not checked (install the prometheus package)")
	}
	d := readDashboard(t)
	expand := strings.NewReplacer(`"$instance"`, `".*"`, `"$backup_server"`, `".*"`, `"$backup_job"`, `".*"`,
		`"$kind"`, `".*"`, `"$repository"`, `".*"`, `$__rate_interval`, `5m`, `$__interval`, `1m`, `$__range`, `1d`)
	type rule struct {
		Record string `json:"record"`
		Expr   string `json:"expr"`
	}
	var rules []rule
	for _, p := range allPanels(d.Panels) {
		for _, tg := range p.Targets {
			rules = append(rules, rule{fmt.Sprintf("dashboard:panel_%d_%s", p.ID, tg.RefID), expand.Replace(tg.Expr)})
		}
	}
	for _, v := range d.Templating.List {
		if m := labelValuesRE.FindStringSubmatch(variableQuery(v.Query)); m != nil {
			rules = append(rules, rule{"dashboard:variable_" + v.Name, expand.Replace(m[1])})
		}
	}
	for _, r := range rules {
		require.NotContains(t, r.Expr, "$", "%s: a variable left in %q", r.Record, r.Expr)
	}
	// JSON is YAML: a rule file promtool reads.
	b, err := json.Marshal(map[string]any{"groups": []any{map[string]any{"name": "dashboard", "rules": rules}}})
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "dashboard-rules.yml")
	require.NoError(t, os.WriteFile(file, b, 0o600))
	out, err := exec.Command(promtool, "check", "rules", file).CombinedOutput()
	require.NoError(t, err, "promtool check rules:\n%s", out)
	require.Contains(t, string(out), fmt.Sprintf("SUCCESS: %d rules found", len(rules)))
}
