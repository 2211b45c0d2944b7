// Package healthmetrics defines the backup health metrics of "vem health
// -o prometheus" and "vem exporter", and turns a health.Report into them.
// Their names and labels are a promise to dashboards and alerting rules
// (docs/monitoring.md): metrics are added, never renamed.
package healthmetrics

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	"github.com/vemkit/vem"
	"github.com/vemkit/vem/health"
)

// The health metrics, shared by "vem health -o prometheus" and "vem
// exporter". Their names and labels are a promise to dashboards and alerting
// rules (docs/monitoring.md): metrics are added, never renamed.
var (
	descVMStatus = prometheus.NewDesc("vem_vm_backup_status",
		"Backup health of a VM in a job: 0 ok, 1 warning, 2 critical, 3 unknown.", vmLabels, nil)
	descVMLastSuccess = prometheus.NewDesc("vem_vm_last_success_timestamp_seconds",
		"Unix time at which the newest successful backup of a VM in a job ended; absent when none in the window.", vmLabels, nil)
	descVMLastRun = prometheus.NewDesc("vem_vm_last_run_timestamp_seconds",
		"Unix time at which the newest backup task of a VM in a job started.", vmLabels, nil)
	descVMLastResult = prometheus.NewDesc("vem_vm_last_result",
		"Result of the newest completed backup task of a VM in a job: 0 success, 1 warning, 2 failed, 3 other; absent when none completed in the window.", vmLabels, nil)
	descVMAttempts = prometheus.NewDesc("vem_vm_backup_attempts",
		"Task sessions of the newest run of a VM in a job, retries included.", vmLabels, nil)
	descVMRecovered = prometheus.NewDesc("vem_vm_recovered_by_retry",
		"1 when the newest backup of a VM in a job succeeded in an automatic retry after a failed attempt, else 0.", vmLabels, nil)
	descVMRunning = prometheus.NewDesc("vem_vm_backup_running",
		"1 when a backup task of a VM in a job is in progress, else 0.", vmLabels, nil)
	descVMLastRunBytes = prometheus.NewDesc("vem_vm_last_run_bytes",
		"Size in bytes that the newest backup task of a VM in a job processed (EM's TotalSize).", vmLabels, nil)
	descVMLastRunDuration = prometheus.NewDesc("vem_vm_last_run_duration_seconds",
		"How long the newest backup task of a VM in a job ran; absent while it runs.", vmLabels, nil)

	descJobStatus = prometheus.NewDesc("vem_job_backup_status",
		"Worst backup health of the VMs of a job: 0 ok, 1 warning, 2 critical, 3 unknown.", jobLabels, nil)
	descJobVMs = [...]*prometheus.Desc{
		health.StatusOK:       prometheus.NewDesc("vem_job_vms_ok", "VMs of a job whose backup health is ok.", jobLabels, nil),
		health.StatusWarning:  prometheus.NewDesc("vem_job_vms_warning", "VMs of a job whose backup health is warning.", jobLabels, nil),
		health.StatusCritical: prometheus.NewDesc("vem_job_vms_critical", "VMs of a job whose backup health is critical.", jobLabels, nil),
		health.StatusUnknown:  prometheus.NewDesc("vem_job_vms_unknown", "VMs of a job whose backup health is unknown.", jobLabels, nil),
	}
	descJobLastRun = prometheus.NewDesc("vem_job_last_run_timestamp_seconds",
		"Unix time at which the newest session of a job started.", jobLabels, nil)
	descJobLastRunDuration = prometheus.NewDesc("vem_job_last_run_duration_seconds",
		"How long the newest session of a job ran; absent while it runs.", jobLabels, nil)
	descJobRunning = prometheus.NewDesc("vem_job_running",
		"1 when a session of a job is running, else 0.", jobLabels, nil)

	descEvaluated = prometheus.NewDesc("vem_health_evaluation_timestamp_seconds",
		"Unix time of the evaluation that wrote these metrics.", nil, nil)
	descStatus = prometheus.NewDesc("vem_health_status",
		"Worst backup health of all VMs in scope: 0 ok, 1 warning, 2 critical, 3 unknown (3 also when none is in scope).", nil, nil)

	// Descs are the descriptions of every health metric.
	Descs = append([]*prometheus.Desc{
		descVMStatus, descVMLastSuccess, descVMLastRun, descVMLastResult, descVMAttempts, descVMRecovered,
		descVMRunning, descVMLastRunBytes, descVMLastRunDuration,
		descJobStatus, descJobLastRun, descJobLastRunDuration, descJobRunning,
		descEvaluated, descStatus,
	}, descJobVMs[:]...)
)

// resultValue is the value of vem_vm_last_result.
func resultValue(r vem.Result) float64 {
	switch r {
	case vem.ResultSuccess:
		return 0
	case vem.ResultWarning:
		return 1
	case vem.ResultFailed:
		return 2
	}
	return 3
}

// Metrics turns a report into constant metrics: gauges per (job, VM)
// and per job, and the time and status of the evaluation. Two verdicts with
// the same labels (two VMs of one name in one job) give one series, the
// worse one; so do two jobs of one name on one backup server.
func Metrics(rep *health.Report) []prometheus.Metric {
	out := make([]prometheus.Metric, 0, 9*len(rep.VMs)+8*len(rep.Jobs)+2)
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		out = append(out, prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...))
	}
	gauge(descEvaluated, UnixSeconds(rep.Now))
	gauge(descStatus, float64(rep.Status))

	seen := make(map[[3]string]bool, len(rep.VMs))
	for i := range rep.VMs { // worst first: a duplicate label set keeps the worse verdict
		vm := &rep.VMs[i]
		l := [3]string{validUTF8(vm.BackupServer), validUTF8(vm.JobName), validUTF8(vm.Name)}
		if seen[l] {
			continue
		}
		seen[l] = true
		gauge(descVMStatus, float64(vm.Status), l[:]...)
		gauge(descVMAttempts, float64(vm.Attempts), l[:]...)
		gauge(descVMRecovered, boolFloat(vm.RecoveredByRetry), l[:]...)
		gauge(descVMRunning, boolFloat(vm.Running), l[:]...)
		if !vm.LastSuccess.IsZero() {
			gauge(descVMLastSuccess, UnixSeconds(vm.LastSuccess), l[:]...)
		}
		if vm.LastResult != "" {
			gauge(descVMLastResult, resultValue(vm.LastResult), l[:]...)
		}
		if s := vm.LastSession; s != nil {
			if !s.CreationTime.IsZero() {
				gauge(descVMLastRun, UnixSeconds(s.CreationTime), l[:]...)
			}
			gauge(descVMLastRunBytes, float64(s.TotalSize), l[:]...)
			if !s.EndTime.IsZero() {
				gauge(descVMLastRunDuration, s.Duration().Seconds(), l[:]...)
			}
		}
	}

	seenJobs := make(map[[2]string]bool, len(rep.Jobs))
	for i := range rep.Jobs { // worst first as well
		job := &rep.Jobs[i]
		l := [2]string{validUTF8(job.BackupServer), validUTF8(job.Name)}
		if seenJobs[l] {
			continue
		}
		seenJobs[l] = true
		gauge(descJobStatus, float64(job.Status), l[:]...)
		for s, d := range descJobVMs {
			gauge(d, float64(job.VMs.Of(health.Status(s))), l[:]...)
		}
		gauge(descJobRunning, boolFloat(job.Running), l[:]...)
		if !job.LastRun.IsZero() {
			gauge(descJobLastRun, UnixSeconds(job.LastRun), l[:]...)
			if !job.LastRunEnd.IsZero() {
				gauge(descJobLastRunDuration, job.LastRunDuration.Seconds(), l[:]...)
			}
		}
	}
	return out
}

// Collector serves fixed metrics: the health metrics of one report.
type Collector struct {
	Descs   []*prometheus.Desc
	Metrics []prometheus.Metric
}

// Describe sends the descriptions of every metric the collector may serve.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.Descs {
		ch <- d
	}
}

// Collect sends the metrics.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	for _, m := range c.Metrics {
		ch <- m
	}
}

// Labels of the Prometheus metrics: stable names only, never a UID, a
// session name or a time.
var (
	vmLabels  = []string{"backup_server", "job", "vm"}
	jobLabels = []string{"backup_server", "job"}
)

// WriteText writes the report in the Prometheus text exposition format,
// for node_exporter's textfile collector: the metrics of Metrics, which vem
// exporter serves as well.
func WriteText(w io.Writer, rep *health.Report) error {
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(&Collector{Descs: Descs, Metrics: Metrics(rep)}); err != nil {
		return fmt.Errorf("prometheus output: %w", err)
	}
	families, err := reg.Gather()
	if err != nil {
		return fmt.Errorf("prometheus output: %w", err)
	}
	var b strings.Builder
	for _, mf := range families {
		if _, err := expfmt.MetricFamilyToText(&b, mf); err != nil {
			return fmt.Errorf("prometheus output: %w", err)
		}
	}
	_, err = io.WriteString(w, b.String())
	return err
}

// validUTF8 makes a label value valid UTF-8, as Prometheus requires.
func validUTF8(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }

// UnixSeconds is t as Unix time in seconds, to the millisecond.
func UnixSeconds(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
