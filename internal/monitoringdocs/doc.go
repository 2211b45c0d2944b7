// Package monitoringdocs holds the tests of vem's monitoring documentation
// and configuration in docs/: that the Grafana dashboard and the alerting
// rules use the metrics and labels of the metrics contract in
// docs/monitoring.md, that every dashboard panel is filtered by the
// dashboard's variables, that their PromQL parses (with promtool, where it
// is installed), and that the systemd unit docs/monitoring.md shows passes
// systemd-analyze verify (where it is installed). It has no code of its own.
package monitoringdocs
