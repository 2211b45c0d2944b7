package main

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	"github.com/vemkit/vem/health"
)

// healthView is a health report as vem health prints it: the verdicts per
// (job, VM), and their roll-up per VM, where a VM in two jobs counts once,
// with its worse verdict.
type healthView struct {
	rep    *health.Report
	opts   health.Options // as given: the filters, for the messages
	status health.Status  // worst verdict; Unknown when nothing is in scope
	vms    health.Counts  // distinct VMs by their worst verdict
	// recovered and running count the (job, VM) verdicts recovered by a
	// retry and with a task in progress.
	recovered, running int
}

func newHealthView(rep *health.Report, opts health.Options) *healthView {
	v := &healthView{rep: rep, opts: opts, status: rep.Status}
	worst := make(map[string]health.Status, len(rep.VMs))
	order := make([]string, 0, len(rep.VMs))
	for i := range rep.VMs {
		vm := &rep.VMs[i]
		k := vmIdentity(vm)
		s, seen := worst[k]
		if !seen {
			order = append(order, k)
		}
		worst[k] = max(s, vm.Status)
		if vm.RecoveredByRetry {
			v.recovered++
		}
		if vm.Running {
			v.running++
		}
	}
	for _, k := range order {
		switch worst[k] {
		case health.StatusOK:
			v.vms.OK++
		case health.StatusWarning:
			v.vms.Warning++
		case health.StatusCritical:
			v.vms.Critical++
		default:
			v.vms.Unknown++
		}
	}
	if len(rep.VMs) == 0 {
		v.status = health.StatusUnknown
	}
	return v
}

// vmIdentity tells VMs apart across jobs: by EM's VM UID when it gives one,
// else by backup server and name.
func vmIdentity(vm *health.VM) string {
	if vm.UID != "" {
		return "uid\x00" + strings.ToLower(vm.UID)
	}
	return "name\x00" + vm.BackupServer + "\x00" + vm.Name
}

// summary is one sentence on the whole report: "3 of 512 VMs critical, 5
// warning", "512 of 512 VMs ok", or why nothing was judged.
func (v *healthView) summary() string {
	total := v.vms.Total()
	if total == 0 {
		s := "no task session of any VM in the last " + shortDuration(v.rep.Window)
		var filters []string
		if v.opts.Jobs != nil {
			filters = append(filters, "--job "+strconv.Quote(v.opts.Jobs.String()))
		}
		if v.opts.VMs != nil {
			filters = append(filters, "--vm "+strconv.Quote(v.opts.VMs.String()))
		}
		if len(filters) > 0 {
			s += " matches " + strings.Join(filters, " ")
		}
		return s
	}
	var parts []string
	for _, s := range []health.Status{health.StatusUnknown, health.StatusCritical, health.StatusWarning} {
		n := v.vms.Of(s)
		if n == 0 {
			continue
		}
		if len(parts) == 0 {
			parts = append(parts, fmt.Sprintf("%d of %d %s %s", n, total, plural(total, "VM", "VMs"), s))
		} else {
			parts = append(parts, fmt.Sprintf("%d %s", n, s))
		}
	}
	if len(parts) == 0 {
		parts = append(parts, fmt.Sprintf("%d of %d %s ok", total, total, plural(total, "VM", "VMs")))
	}
	s := strings.Join(parts, ", ")
	if v.recovered > 0 {
		s += fmt.Sprintf("; %d recovered by a retry", v.recovered)
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// shortDuration writes d as the flags take it: "7d", "1d12h", "26h", "90m".
func shortDuration(d time.Duration) string {
	const day = 24 * time.Hour
	if d >= day && d%day == 0 {
		return strconv.FormatInt(int64(d/day), 10) + "d"
	}
	s := d.String()
	s = strings.TrimSuffix(s, "0s")
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	if s == "" {
		return "0s"
	}
	return s
}

// ---- JSON

// healthVMJSON is one (job, VM) verdict in -o json and -o jsonl. Like the
// other JSON of vem, it is a promise to scripts (docs/cli.md): fields are
// added, never renamed, retyped or removed; a value EM did not give is null.
type healthVMJSON struct {
	VM                 string        `json:"vm"`
	VMUID              *string       `json:"vmUid"`
	Job                string        `json:"job"`
	JobUID             *string       `json:"jobUid"`
	BackupServer       *string       `json:"backupServer"`
	Status             health.Status `json:"status"`
	Why                string        `json:"why"`
	LastResult         *string       `json:"lastResult"`
	LastSuccess        *string       `json:"lastSuccess"`
	AgeSeconds         *float64      `json:"ageSeconds"`
	Attempts           int           `json:"attempts"`
	RecoveredByRetry   bool          `json:"recoveredByRetry"`
	Running            bool          `json:"running"`
	Reason             *string       `json:"reason"`
	LastRun            *string       `json:"lastRun"`
	LastTaskSessionUID *string       `json:"lastTaskSessionUid"`
}

func newHealthVMJSON(vm *health.VM) healthVMJSON {
	out := healthVMJSON{
		VM:               vm.Name,
		VMUID:            str(vm.UID),
		Job:              vm.JobName,
		JobUID:           str(vm.JobUID),
		BackupServer:     str(vm.BackupServer),
		Status:           vm.Status,
		Why:              vm.Why,
		LastResult:       str(vm.LastResult),
		LastSuccess:      jsonTime(vm.LastSuccess),
		Attempts:         vm.Attempts,
		RecoveredByRetry: vm.RecoveredByRetry,
		Running:          vm.Running,
		Reason:           str(strings.TrimSpace(vm.Reason)),
	}
	if !vm.LastSuccess.IsZero() {
		s := math.Round(vm.Age.Seconds()*1000) / 1000
		out.AgeSeconds = &s
	}
	if ts := vm.LastSession; ts != nil {
		out.LastRun = jsonTime(ts.CreationTime)
		out.LastTaskSessionUID = str(ts.UID)
	}
	return out
}

// writeHealthJSON writes every verdict as one JSON array, an element at a
// time, indented as the other commands' JSON.
func writeHealthJSON(w io.Writer, v *healthView) error {
	if len(v.rep.VMs) == 0 {
		_, err := io.WriteString(w, "[]\n")
		return err
	}
	if _, err := io.WriteString(w, "["); err != nil {
		return err
	}
	var b strings.Builder
	for i := range v.rep.VMs {
		b.Reset()
		if err := writeJSON(&b, newHealthVMJSON(&v.rep.VMs[i])); err != nil {
			return err
		}
		sep := ",\n  "
		if i == 0 {
			sep = "\n  "
		}
		elem := strings.ReplaceAll(strings.TrimSuffix(b.String(), "\n"), "\n", "\n  ")
		if _, err := io.WriteString(w, sep+elem); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, "\n]\n")
	return err
}

// writeHealthJSONL writes one verdict per line.
func writeHealthJSONL(w io.Writer, v *healthView) error {
	for i := range v.rep.VMs {
		if err := writeJSONLine(w, newHealthVMJSON(&v.rep.VMs[i])); err != nil {
			return err
		}
	}
	return nil
}

// ---- table

var healthColumns = []string{"STATUS", "VM", "JOB", "BACKUP SERVER", "LAST SUCCESS (UTC)", "ATTEMPTS", "WHY"}

// writeHealthTable writes a line per (job, VM) that is not ok, worst first,
// then the summary.
func writeHealthTable(w io.Writer, v *healthView) error {
	var rows [][]string
	for i := range v.rep.VMs {
		vm := &v.rep.VMs[i]
		if vm.Status == health.StatusOK {
			continue
		}
		rows = append(rows, []string{
			strings.ToUpper(vm.Status.String()),
			dash(vm.Name),
			dash(vm.JobName),
			dash(vm.BackupServer),
			tableTime(vm.LastSuccess),
			strconv.Itoa(vm.Attempts),
			dash(vm.Why),
		})
	}
	if len(rows) > 0 {
		if err := writeRows(w, healthColumns, rows); err != nil {
			return err
		}
		if _, err := io.WriteString(w, "\n"); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintf(w, "%s: %s (%d %s; last %s, warning after %s, critical after %s)\n",
		strings.ToUpper(v.status.String()), v.summary(), len(v.rep.Jobs), plural(len(v.rep.Jobs), "job", "jobs"),
		shortDuration(v.rep.Window), shortDuration(v.rep.WarnAge), shortDuration(v.rep.CritAge))
	return err
}

// ---- Nagios

// writeHealthNagios writes a Monitoring Plugins check result: the status
// line "VEM CRITICAL - <summary> | <perfdata>", then one line per (job, VM)
// that is not ok, worst first. All performance data is on the first line,
// so that a monitoring system that cuts long output keeps it.
func writeHealthNagios(w io.Writer, v *healthView) error {
	var b strings.Builder
	b.WriteString("VEM " + strings.ToUpper(v.status.String()) + " - " + pluginText(v.summary()) + " |")
	total := strconv.Itoa(v.vms.Total())
	for _, s := range []health.Status{health.StatusOK, health.StatusWarning, health.StatusCritical, health.StatusUnknown} {
		b.WriteString(" " + perfData(s.String(), strconv.Itoa(v.vms.Of(s)), "", "", "0", total))
	}
	b.WriteString(" " + perfData("recovered_by_retry", strconv.Itoa(v.recovered), "", "", "0", ""))
	b.WriteString(" " + perfData("running", strconv.Itoa(v.running), "", "", "0", ""))
	b.WriteString(" " + perfData("jobs", strconv.Itoa(len(v.rep.Jobs)), "", "", "0", ""))
	var oldest time.Duration
	seen := false
	for i := range v.rep.VMs {
		if vm := &v.rep.VMs[i]; !vm.LastSuccess.IsZero() && (!seen || vm.Age > oldest) {
			oldest, seen = vm.Age, true
		}
	}
	if seen {
		b.WriteString(" " + perfData("oldest_success_age", strconv.FormatInt(int64(oldest/time.Second), 10)+"s",
			strconv.FormatInt(int64(v.rep.WarnAge/time.Second), 10),
			strconv.FormatInt(int64(v.rep.CritAge/time.Second), 10), "0", ""))
	}
	b.WriteString("\n")
	for i := range v.rep.VMs {
		vm := &v.rep.VMs[i]
		if vm.Status == health.StatusOK {
			continue
		}
		where := vm.JobName
		if vm.BackupServer != "" {
			where += " on " + vm.BackupServer
		}
		fmt.Fprintf(&b, "%s: %s (%s): %s\n", strings.ToUpper(vm.Status.String()),
			pluginText(dash(vm.Name)), pluginText(where), pluginText(vm.Why))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// perfData formats one performance data item of the Monitoring Plugins
// guidelines, 'label'=value[UOM];[warn];[crit];[min];[max], with trailing
// empty fields kept up to min.
func perfData(label, value, warn, crit, minimum, maximum string) string {
	s := perfLabel(label) + "=" + value + ";" + warn + ";" + crit + ";" + minimum
	if maximum != "" {
		s += ";" + maximum
	}
	return s
}

// perfLabel quotes a label that needs it: one with spaces or a quote. A
// label may not hold "=", and a quote inside is doubled.
func perfLabel(label string) string {
	label = strings.ReplaceAll(label, "=", "_")
	label = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\t' {
			return ' '
		}
		return r
	}, label)
	if !strings.ContainsAny(label, " '|") {
		return label
	}
	return "'" + strings.ReplaceAll(strings.ReplaceAll(label, "'", "''"), "|", "/") + "'"
}

// pluginText keeps text of a check result on its line and out of the
// performance data: "|" starts performance data, so it becomes "/".
func pluginText(s string) string {
	s = strings.ReplaceAll(s, "|", "/")
	return strings.Join(strings.Fields(s), " ")
}

// ---- Prometheus

// Labels of the Prometheus metrics: stable names only, never a UID, a
// session name or a time.
var (
	vmLabels  = []string{"backup_server", "job", "vm"}
	jobLabels = []string{"backup_server", "job"}
)

// writeHealthPrometheus writes the report in the Prometheus text exposition
// format, for node_exporter's textfile collector: the metrics of
// healthMetrics, which vem exporter serves as well.
func writeHealthPrometheus(w io.Writer, v *healthView) error {
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(&metricsCollector{descs: healthDescs, metrics: healthMetrics(v.rep)}); err != nil {
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

// unixSeconds is t as Unix time in seconds, to the millisecond.
func unixSeconds(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// writeRows writes a header and rows in aligned columns, cells cleaned of
// control characters.
func writeRows(w io.Writer, header []string, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(cleanCells(r), "\t"))
	}
	return tw.Flush()
}
