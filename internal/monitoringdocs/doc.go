// Package monitoringdocs reads the metrics contract of docs/monitoring.md
// (ReadMetrics: every metric with its labels), so that the tests of the code
// that serves the metrics can compare what it serves with the contract, and
// holds the tests of vem's monitoring documentation and configuration in
// docs/: that the Grafana dashboard and the alerting rules use the metrics
// and labels of the contract, that every dashboard panel is filtered by the
// dashboard's variables, that their PromQL parses (with promtool, where it
// is installed), and that the systemd unit docs/monitoring.md shows passes
// systemd-analyze verify (where it is installed).
package monitoringdocs
