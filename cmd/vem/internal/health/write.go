package health

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/vemkit/vem/cmd/vem/internal/output"
	vemhealth "github.com/vemkit/vem/health"
)

// ---- JSON

// healthVMJSON is one (job, VM) verdict in -o json and -o jsonl. Like the
// other JSON of vem, it is a promise to scripts (docs/cli.md): fields are
// added, never renamed, retyped or removed; a value EM did not give is null.
type healthVMJSON struct {
	VM                 string           `json:"vm"`
	VMUID              *string          `json:"vmUid"`
	Job                string           `json:"job"`
	JobUID             *string          `json:"jobUid"`
	BackupServer       *string          `json:"backupServer"`
	Status             vemhealth.Status `json:"status"`
	Why                string           `json:"why"`
	LastResult         *string          `json:"lastResult"`
	LastSuccess        *string          `json:"lastSuccess"`
	AgeSeconds         *float64         `json:"ageSeconds"`
	Attempts           int              `json:"attempts"`
	RecoveredByRetry   bool             `json:"recoveredByRetry"`
	Running            bool             `json:"running"`
	Reason             *string          `json:"reason"`
	LastRun            *string          `json:"lastRun"`
	LastTaskSessionUID *string          `json:"lastTaskSessionUid"`
}

func newHealthVMJSON(vm *vemhealth.VM) healthVMJSON {
	out := healthVMJSON{
		VM:               vm.Name,
		VMUID:            output.Str(vm.UID),
		Job:              vm.JobName,
		JobUID:           output.Str(vm.JobUID),
		BackupServer:     output.Str(vm.BackupServer),
		Status:           vm.Status,
		Why:              vm.Why,
		LastResult:       output.Str(vm.LastResult),
		LastSuccess:      output.JSONTime(vm.LastSuccess),
		Attempts:         vm.Attempts,
		RecoveredByRetry: vm.RecoveredByRetry,
		Running:          vm.Running,
		Reason:           output.Str(strings.TrimSpace(vm.Reason)),
	}
	if !vm.LastSuccess.IsZero() {
		s := math.Round(vm.Age.Seconds()*1000) / 1000
		out.AgeSeconds = &s
	}
	if ts := vm.LastSession; ts != nil {
		out.LastRun = output.JSONTime(ts.CreationTime)
		out.LastTaskSessionUID = output.Str(ts.UID)
	}
	return out
}

// writeHealthJSON writes every verdict as one JSON array, an element at a
// time, through the one JSON encoder.
func writeHealthJSON(w io.Writer, v *healthView) error {
	a := &output.ArrayWriter[*vemhealth.VM]{W: w, Conv: func(vm *vemhealth.VM) any { return newHealthVMJSON(vm) }}
	for i := range v.rep.VMs {
		if err := a.Write(&v.rep.VMs[i]); err != nil {
			return err
		}
	}
	return a.Close()
}

// writeHealthJSONL writes one verdict per line.
func writeHealthJSONL(w io.Writer, v *healthView) error {
	for i := range v.rep.VMs {
		if err := output.WriteJSONLine(w, newHealthVMJSON(&v.rep.VMs[i])); err != nil {
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
		if vm.Status == vemhealth.StatusOK {
			continue
		}
		rows = append(rows, []string{
			strings.ToUpper(vm.Status.String()),
			output.Dash(vm.Name),
			output.Dash(vm.JobName),
			output.Dash(vm.BackupServer),
			output.Time(vm.LastSuccess),
			strconv.Itoa(vm.Attempts),
			output.Dash(vm.Why),
		})
	}
	if len(rows) > 0 {
		if err := output.WriteRows(w, healthColumns, rows); err != nil {
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
	for _, s := range []vemhealth.Status{vemhealth.StatusOK, vemhealth.StatusWarning, vemhealth.StatusCritical, vemhealth.StatusUnknown} {
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
		if vm.Status == vemhealth.StatusOK {
			continue
		}
		where := vm.JobName
		if vm.BackupServer != "" {
			where += " on " + vm.BackupServer
		}
		fmt.Fprintf(&b, "%s: %s (%s): %s\n", strings.ToUpper(vm.Status.String()),
			pluginText(output.Dash(vm.Name)), pluginText(where), pluginText(vm.Why))
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
