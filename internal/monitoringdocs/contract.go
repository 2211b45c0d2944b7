package monitoringdocs

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// Metric is a metric of the metrics contract: its labels, Prometheus'
// target labels (job, instance) not included, and whether the contract
// marks it new (not served yet by the code the contract was written for).
type Metric struct {
	Labels []string
	New    bool
}

// ErrNoMetrics is returned when a document has no metric tables in a
// "## Metrics" section.
var ErrNoMetrics = errors.New("monitoringdocs: no metric tables in a \"## Metrics\" section")

var backticked = regexp.MustCompile("`([^`]*)`")

// ReadMetrics reads the metrics contract from the file at path, normally
// docs/monitoring.md. See ParseMetrics.
func ReadMetrics(path string) (map[string]Metric, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("monitoringdocs: %w", err)
	}
	return ParseMetrics(string(b))
}

// ParseMetrics reads the metric tables of the "## Metrics" section of a
// markdown document: every row whose first cell starts with a `vem_` name.
// The first cell holds one or more names (`vem_job_vms_ok`, `_warning`
// stands for vem_job_vms_warning) and **new** for a metric not served yet,
// as does a heading over the table; the second holds the labels, comma
// separated, or the metric's type (gauge, counter), the labels then being
// in braces after the name (`vem_refreshes_total{result}`).
func ParseMetrics(doc string) (map[string]Metric, error) {
	start := strings.Index(doc, "\n## Metrics\n")
	if start < 0 {
		return nil, ErrNoMetrics
	}
	sec := doc[start+len("\n## Metrics\n"):]
	if end := strings.Index(sec, "\n## "); end >= 0 {
		sec = sec[:end]
	}
	out := make(map[string]Metric)
	sectionNew := false
	for line := range strings.SplitSeq(sec, "\n") {
		if strings.HasPrefix(line, "#") {
			sectionNew = strings.Contains(line, "**new**")
			continue
		}
		if !strings.HasPrefix(line, "| `vem_") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), " | ")
		if len(cells) < 2 {
			return nil, fmt.Errorf("monitoringdocs: row %q: want at least two cells", line)
		}
		var names, braceLabels []string
		for _, m := range backticked.FindAllStringSubmatch(cells[0], -1) {
			name := m[1]
			if b := strings.IndexByte(name, '{'); b >= 0 {
				braceLabels = strings.Split(strings.TrimSuffix(name[b+1:], "}"), ",")
				name = name[:b]
			}
			if strings.HasPrefix(name, "_") {
				if len(names) == 0 {
					return nil, fmt.Errorf("monitoringdocs: row %q: a suffix before a name", line)
				}
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
		isNew := sectionNew || strings.Contains(cells[0], "**new**")
		for _, n := range names {
			if _, dup := out[n]; dup {
				return nil, fmt.Errorf("monitoringdocs: metric %s twice in the tables", n)
			}
			out[n] = Metric{Labels: labels, New: isNew}
		}
	}
	if len(out) == 0 {
		return nil, ErrNoMetrics
	}
	return out, nil
}
