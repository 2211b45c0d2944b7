package health

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vemkit/vem"
)

func evaluateFrom(ctx context.Context, src source, opts Options) (*Report, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	tasks, jobs, err := read(ctx, src, opts.Now, opts.Window)
	if err != nil {
		return nil, err
	}
	return evaluate(opts.Now, opts, tasks, jobs), nil
}

// jobGroup is one job: its job sessions, oldest first, and its (job, VM)
// pairs.
type jobGroup struct {
	uid      vem.UID
	name     string
	sessions []*vem.BackupJobSession
	pairs    map[string]*pair
}

// pair is one VM in one job: its task sessions, oldest first.
type pair struct {
	job   *jobGroup
	tasks []*vem.BackupTaskSession
}

// evaluate judges the task sessions by the rules of the package
// documentation. opts must have its defaults filled in; now is the
// evaluation time. It does not modify the sessions.
func evaluate(now time.Time, opts Options, tasks []*vem.BackupTaskSession, jobSessions []*vem.BackupJobSession) *Report {
	rep := &Report{
		Now: now, Window: opts.Window, WarnAge: opts.WarnAge, CritAge: opts.CritAge,
		TaskSessions: len(tasks), JobSessions: len(jobSessions),
	}
	since := now.Add(-opts.Window)

	byUID := make(map[vem.UID]*vem.BackupJobSession, len(jobSessions))
	groups := make(map[string]*jobGroup)
	group := func(key string, uid vem.UID, name string) *jobGroup {
		g := groups[key]
		if g == nil {
			g = &jobGroup{uid: uid, name: name, pairs: make(map[string]*pair)}
			groups[key] = g
		}
		return g
	}
	for _, js := range jobSessions {
		u := normUID(js.UID)
		if _, dup := byUID[u]; dup {
			continue
		}
		byUID[u] = js
		g := group(jobKey(js.JobUID, js.JobName), js.JobUID, js.JobName)
		g.sessions = append(g.sessions, js)
	}
	for _, g := range groups {
		slices.SortFunc(g.sessions, compareJobSessions)
	}

	for _, ts := range tasks {
		if ts.CreationTime.Before(since) {
			continue
		}
		js := byUID[normUID(jobSessionUIDOf(ts))]
		var g *jobGroup
		if js != nil {
			g = groups[jobKey(js.JobUID, js.JobName)]
		} else {
			name := ""
			if l, ok := ts.JobSessionLink(); ok {
				name, _, _ = strings.Cut(l.Name, "@")
			}
			g = group(jobKey("", name), "", name)
		}
		if opts.Jobs != nil && !opts.Jobs.MatchString(g.name) {
			continue
		}
		if opts.VMs != nil && !opts.VMs.MatchString(ts.VMDisplayName) {
			continue
		}
		k := vmKey(ts)
		p := g.pairs[k]
		if p == nil {
			p = &pair{job: g}
			g.pairs[k] = p
		}
		p.tasks = append(p.tasks, ts)
	}

	for _, g := range groups {
		if len(g.pairs) == 0 {
			continue
		}
		job := Job{Name: g.name, UID: g.uid}
		var newestVM *VM
		for _, p := range g.pairs {
			vm := judge(now, opts, p, byUID)
			rep.VMs = append(rep.VMs, vm)
			job.VMs.add(vm.Status)
			job.Status = max(job.Status, vm.Status)
			if newestVM == nil || compareTasks(vm.LastSession, newestVM.LastSession) > 0 {
				newestVM = &vm
			}
		}
		if n := len(g.sessions); n > 0 {
			last := g.sessions[n-1]
			job.LastRun, job.LastRunEnd = last.CreationTime, last.EndTime
			job.LastRunState, job.LastRunResult, job.LastRunIsRetry = last.State, last.Result, last.IsRetry
			if !last.EndTime.IsZero() && last.State.Finished() {
				job.LastRunDuration = last.EndTime.Sub(last.CreationTime)
			}
			if l, ok := last.BackupServerLink(); ok {
				job.BackupServer = l.Name
			}
			job.Running = slices.ContainsFunc(g.sessions, running)
		}
		if job.BackupServer == "" {
			job.BackupServer = newestVM.BackupServer
		}
		rep.Jobs = append(rep.Jobs, job)
	}

	slices.SortFunc(rep.VMs, func(a, b VM) int {
		return cmp.Or(cmp.Compare(b.Status, a.Status), cmp.Compare(a.JobName, b.JobName),
			cmp.Compare(a.Name, b.Name), cmp.Compare(a.JobUID, b.JobUID), cmp.Compare(a.UID, b.UID))
	})
	slices.SortFunc(rep.Jobs, func(a, b Job) int {
		return cmp.Or(cmp.Compare(b.Status, a.Status), cmp.Compare(a.Name, b.Name), cmp.Compare(a.UID, b.UID))
	})
	rep.Status = Unknown
	if len(rep.VMs) > 0 {
		rep.Status = OK
	}
	for i := range rep.VMs {
		rep.Counts.add(rep.VMs[i].Status)
		rep.Status = max(rep.Status, rep.VMs[i].Status)
	}
	return rep
}

// judge applies the rules to one (job, VM).
func judge(now time.Time, opts Options, p *pair, byUID map[vem.UID]*vem.BackupJobSession) VM {
	slices.SortFunc(p.tasks, compareTasks)
	last := p.tasks[len(p.tasks)-1]
	vm := VM{
		Name:        last.VMDisplayName,
		JobName:     p.job.name,
		JobUID:      p.job.uid,
		LastSession: last,
	}
	var done, success *vem.BackupTaskSession // newest completed, newest successful
	for i := len(p.tasks) - 1; i >= 0; i-- {
		ts := p.tasks[i]
		if vm.UID == "" {
			vm.UID = ts.VMUID
		}
		if ts.State != vem.StateCompleted {
			vm.Running = true
			continue
		}
		if done == nil {
			done = ts
		}
		if success == nil && succeeded(ts) {
			success = ts
		}
	}
	if l, ok := last.BackupServerLink(); ok {
		vm.BackupServer = l.Name
	} else if js := byUID[normUID(jobSessionUIDOf(last))]; js != nil {
		if l, ok := js.BackupServerLink(); ok {
			vm.BackupServer = l.Name
		}
	}
	run := runOf(p, last, byUID)
	vm.Attempts = run.count(p.tasks)
	if done != nil {
		vm.LastResult = done.Result
		if done.Result != vem.ResultSuccess {
			vm.Reason = done.Reason
		}
		if succeeded(done) {
			if failed := runOf(p, done, byUID).lastFailureBefore(p.tasks, done); failed != nil {
				vm.RecoveredByRetry = true
				if vm.Reason == "" {
					vm.Reason = failed.Reason
				}
			}
		}
	}
	if success != nil {
		vm.LastSuccess = success.EndTime
		vm.Age = max(now.Sub(success.EndTime), 0)
	}

	lastSuccess := func() string {
		if success == nil {
			return ""
		}
		return "; last success " + fmtDuration(vm.Age) + " ago"
	}
	switch {
	case success == nil: // rule 1
		vm.Status = Critical
		vm.Why = "no successful backup in " + fmtDuration(opts.Window)
		switch {
		case done == nil && vm.Running:
			vm.Why += "; no attempt completed, one is running"
		case done == nil:
			vm.Why += "; no attempt completed"
		default:
			vm.Why += "; last attempt " + outcome(done)
		}
	case !succeeded(done): // rule 2
		vm.Status = Critical
		vm.Why = "last attempt " + outcome(done) + lastSuccess()
		if newerRunRunning(p, done, byUID) {
			vm.Status = Warning
			vm.Why = "last attempt " + outcome(done) + "; a newer run of the job is under way" + lastSuccess()
		}
	case vm.Age > opts.CritAge: // rule 3
		vm.Status = Critical
		vm.Why = "last successful backup " + fmtDuration(vm.Age) + " ago, older than " + fmtDuration(opts.CritAge)
	case vm.Age > opts.WarnAge:
		vm.Status = Warning
		vm.Why = "last successful backup " + fmtDuration(vm.Age) + " ago, older than " + fmtDuration(opts.WarnAge)
	case done.Result == vem.ResultWarning: // rule 4
		vm.Status = Warning
		vm.Why = "last backup " + fmtDuration(vm.Age) + " ago " + outcome(done)
	default: // rule 5
		vm.Status = OK
		vm.Why = "last backup succeeded " + fmtDuration(vm.Age) + " ago"
		if vm.RecoveredByRetry {
			vm.Why += ", after a retry"
		}
	}
	return vm
}

// outcome describes a completed task's result with its reason.
func outcome(ts *vem.BackupTaskSession) string {
	var s string
	switch ts.Result {
	case vem.ResultFailed:
		s = "failed"
	case vem.ResultWarning:
		s = "ended with a warning"
	case vem.ResultSuccess:
		s = "succeeded"
	default:
		s = fmt.Sprintf("ended with result %q", string(ts.Result))
	}
	if r := strings.TrimRight(oneLine(ts.Reason), "."); r != "" {
		s += ": " + r
	}
	return s
}

// succeeded reports whether a completed task left a restore point: Success
// or Warning.
func succeeded(ts *vem.BackupTaskSession) bool {
	return ts.Result == vem.ResultSuccess || ts.Result == vem.ResultWarning
}

func running(js *vem.BackupJobSession) bool { return !js.State.Finished() }

// run is the job sessions of one run: a job session that is not a retry
// and the retries after it.
type run map[vem.UID]bool

// runOf returns the run of ts's job session; without a known job session,
// the run is that job session alone.
func runOf(p *pair, ts *vem.BackupTaskSession, byUID map[vem.UID]*vem.BackupJobSession) run {
	u := normUID(jobSessionUIDOf(ts))
	js := byUID[u]
	if js == nil {
		return run{u: true}
	}
	ss := p.job.sessions
	i := slices.Index(ss, js)
	if i < 0 {
		return run{u: true}
	}
	for i > 0 && ss[i].IsRetry {
		i--
	}
	r := run{normUID(ss[i].UID): true}
	for j := i + 1; j < len(ss) && ss[j].IsRetry; j++ {
		r[normUID(ss[j].UID)] = true
	}
	return r
}

// count returns how many of tasks belong to the run.
func (r run) count(tasks []*vem.BackupTaskSession) int {
	n := 0
	for _, ts := range tasks {
		if r[normUID(jobSessionUIDOf(ts))] {
			n++
		}
	}
	return n
}

// lastFailureBefore returns the newest completed task of the run, before
// ts, that did not succeed, or nil.
func (r run) lastFailureBefore(tasks []*vem.BackupTaskSession, ts *vem.BackupTaskSession) *vem.BackupTaskSession {
	var out *vem.BackupTaskSession
	for _, t := range tasks {
		if t == ts {
			break
		}
		if t.State == vem.StateCompleted && !succeeded(t) && r[normUID(jobSessionUIDOf(t))] {
			out = t
		}
	}
	return out
}

// newerRunRunning reports whether the job has a job session, newer than
// the one of ts, that is still running: a retry or the next run is under
// way.
func newerRunRunning(p *pair, ts *vem.BackupTaskSession, byUID map[vem.UID]*vem.BackupJobSession) bool {
	after := ts.CreationTime
	if js := byUID[normUID(jobSessionUIDOf(ts))]; js != nil {
		after = js.CreationTime
	}
	for _, js := range p.job.sessions {
		if js.CreationTime.After(after) && running(js) {
			return true
		}
	}
	return false
}

// jobKey identifies a job: its UID, else its name.
func jobKey(uid vem.UID, name string) string {
	if uid != "" {
		return string(normUID(uid))
	}
	return "name:" + name
}

// vmKey identifies a VM within a job: its VM UID when EM gives one, else
// its display name.
func vmKey(ts *vem.BackupTaskSession) string {
	if ts.VMUID != "" {
		return "uid:" + strings.ToLower(ts.VMUID)
	}
	return "name:" + ts.VMDisplayName
}

// compareTasks orders task sessions oldest first: by creation time, end
// time (a running task, without one, last), then UID.
func compareTasks(a, b *vem.BackupTaskSession) int {
	return cmp.Or(a.CreationTime.Compare(b.CreationTime), compareEnd(a.EndTime, b.EndTime),
		cmp.Compare(normUID(a.UID), normUID(b.UID)))
}

func compareJobSessions(a, b *vem.BackupJobSession) int {
	return cmp.Or(a.CreationTime.Compare(b.CreationTime), compareEnd(a.EndTime, b.EndTime),
		cmp.Compare(normUID(a.UID), normUID(b.UID)))
}

func compareEnd(a, b time.Time) int {
	switch {
	case a.IsZero() && b.IsZero():
		return 0
	case a.IsZero():
		return 1
	case b.IsZero():
		return -1
	}
	return a.Compare(b)
}

// fmtDuration writes d the way people say it: "7d", "2d3h", "26h" below
// two days... kept short: days and hours, hours and minutes, minutes, or
// seconds.
func fmtDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	day := 24 * time.Hour
	switch {
	case d >= 2*day || d >= day && d%day == 0:
		s := fmt.Sprintf("%dd", d/day)
		if h := (d % day) / time.Hour; h > 0 {
			s += fmt.Sprintf("%dh", h)
		}
		return s
	case d >= time.Hour:
		s := fmt.Sprintf("%dh", d/time.Hour)
		if m := (d % time.Hour) / time.Minute; m > 0 {
			s += fmt.Sprintf("%dm", m)
		}
		return s
	case d >= time.Minute:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return fmt.Sprintf("%ds", d/time.Second)
}

// oneLine folds a reason's lines and runs of spaces into single spaces.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
