package health

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	vemhealth "github.com/vemkit/vem/health"
)

// healthView is a health report as vem health prints it: the verdicts per
// (job, VM), and their roll-up per VM, where a VM in two jobs counts once,
// with its worse verdict.
type healthView struct {
	rep    *vemhealth.Report
	opts   vemhealth.Options // as given: the filters, for the messages
	status vemhealth.Status  // worst verdict; Unknown when nothing is in scope
	vms    vemhealth.Counts  // distinct VMs by their worst verdict
	// recovered and running count the (job, VM) verdicts recovered by a
	// retry and with a task in progress.
	recovered, running int
}

func newHealthView(rep *vemhealth.Report, opts vemhealth.Options) *healthView {
	v := &healthView{rep: rep, opts: opts, status: rep.Status}
	worst := make(map[string]vemhealth.Status, len(rep.VMs))
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
		case vemhealth.StatusOK:
			v.vms.OK++
		case vemhealth.StatusWarning:
			v.vms.Warning++
		case vemhealth.StatusCritical:
			v.vms.Critical++
		default:
			v.vms.Unknown++
		}
	}
	if len(rep.VMs) == 0 {
		v.status = vemhealth.StatusUnknown
	}
	return v
}

// vmIdentity tells VMs apart across jobs: by EM's VM UID when it gives one,
// else by backup server and name.
func vmIdentity(vm *vemhealth.VM) string {
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
	for _, s := range []vemhealth.Status{vemhealth.StatusUnknown, vemhealth.StatusCritical, vemhealth.StatusWarning} {
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
