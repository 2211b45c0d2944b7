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
	acc := newAccumulator(opts.Now, opts)
	if err := read(ctx, src, acc); err != nil {
		return nil, err
	}
	return acc.report(), nil
}

// evaluate judges the task sessions by the rules of the package
// documentation. opts must have its defaults filled in; now is the
// evaluation time. It does not modify the sessions.
func evaluate(now time.Time, opts Options, tasks []*vem.BackupTaskSession, jobSessions []*vem.BackupJobSession) *Report {
	acc := newAccumulator(now, opts)
	for _, js := range jobSessions {
		acc.addJobSession(js)
	}
	for _, ts := range tasks {
		acc.addTask(ts)
	}
	return acc.report()
}

// jobGroup is one job: its job sessions (oldest first once sorted) and its
// (job, VM) pairs.
type jobGroup struct {
	uid      vem.UID
	name     string
	sessions []*vem.BackupJobSession
	pairs    map[string]*pair
}

// pair is one VM in one job: what the rules need of its task sessions
// (oldest first once sorted), and the newest task session itself.
type pair struct {
	job    *jobGroup
	recs   []rec
	newest *vem.BackupTaskSession
}

// rec is what the rules need of one task session. Evaluate keeps a rec per
// task session and the task session itself only for the newest of each
// (job, VM): memory grows with VMs, not with sessions.
type rec struct {
	created, ended time.Time
	uid            vem.UID // for a stable order
	jobSession     vem.UID // normalized
	state          vem.State
	result         vem.Result
	reason         string
	vmUID          string
}

func recOf(ts *vem.BackupTaskSession, jobSession vem.UID, intern func(string) string) rec {
	return rec{
		created: ts.CreationTime, ended: ts.EndTime, uid: ts.UID,
		jobSession: vem.UID(intern(string(jobSession))),
		state:      vem.State(intern(string(ts.State))), result: vem.Result(intern(string(ts.Result))),
		reason: intern(ts.Reason), vmUID: intern(ts.VMUID),
	}
}

func (r *rec) completed() bool { return r.state == vem.StateCompleted }

// succeeded reports whether a completed task left a restore point: Success
// or Warning.
func (r *rec) succeeded() bool { return r.result == vem.ResultSuccess || r.result == vem.ResultWarning }

// accumulator takes job sessions and task sessions one by one, in any
// order, and judges them in report.
type accumulator struct {
	now     time.Time
	opts    Options
	since   time.Time
	byUID   map[vem.UID]*vem.BackupJobSession
	groups  map[string]*jobGroup
	pending []*vem.BackupTaskSession // tasks whose job session is not known yet
	strs    map[string]string
	tasks   int
}

func newAccumulator(now time.Time, opts Options) *accumulator {
	return &accumulator{
		now: now, opts: opts, since: now.Add(-opts.Window),
		byUID:  make(map[vem.UID]*vem.BackupJobSession),
		groups: make(map[string]*jobGroup),
		strs:   make(map[string]string),
	}
}

// intern returns one copy of each distinct string: reasons, states and
// UIDs repeat across thousands of task sessions.
func (a *accumulator) intern(s string) string {
	if v, ok := a.strs[s]; ok {
		return v
	}
	a.strs[s] = s
	return s
}

func (a *accumulator) group(key string, uid vem.UID, name string) *jobGroup {
	g := a.groups[key]
	if g == nil {
		g = &jobGroup{uid: uid, name: name, pairs: make(map[string]*pair)}
		a.groups[key] = g
	}
	return g
}

// knows reports whether the job session with this UID was added.
func (a *accumulator) knows(u vem.UID) bool { return a.byUID[normUID(u)] != nil }

func (a *accumulator) addJobSession(js *vem.BackupJobSession) {
	u := normUID(js.UID)
	if a.byUID[u] != nil {
		return
	}
	a.byUID[u] = js
	g := a.group(jobKey(js.JobUID, js.JobName), js.JobUID, js.JobName)
	g.sessions = append(g.sessions, js)
}

// addTask takes one task session; one whose job session is not known yet
// waits in pending until report.
func (a *accumulator) addTask(ts *vem.BackupTaskSession) {
	a.tasks++
	if ts.CreationTime.Before(a.since) {
		return
	}
	u := normUID(jobSessionUIDOf(ts))
	if a.byUID[u] == nil {
		a.pending = append(a.pending, ts)
		return
	}
	a.place(ts, u)
}

// pendingJobSessions returns the UIDs of the job sessions that pending
// tasks point at, each once.
func (a *accumulator) pendingJobSessions() []vem.UID {
	seen := make(map[vem.UID]bool)
	var out []vem.UID
	for _, ts := range a.pending {
		u := jobSessionUIDOf(ts)
		if u != "" && !seen[normUID(u)] && !a.knows(u) {
			seen[normUID(u)] = true
			out = append(out, u)
		}
	}
	return out
}

// place files a task session, whose job session has the normalized UID u,
// under its (job, VM); a task without a known job session goes under the
// job its link names, without a job UID.
func (a *accumulator) place(ts *vem.BackupTaskSession, u vem.UID) {
	var g *jobGroup
	if js := a.byUID[u]; js != nil {
		g = a.groups[jobKey(js.JobUID, js.JobName)]
	} else {
		name := ""
		if l, ok := ts.BackupJobSessionLink(); ok {
			name, _, _ = strings.Cut(l.Name, "@")
		}
		g = a.group(jobKey("", name), "", name)
	}
	if a.opts.Jobs != nil && !a.opts.Jobs.MatchString(g.name) {
		return
	}
	if a.opts.VMs != nil && !a.opts.VMs.MatchString(ts.VMDisplayName) {
		return
	}
	k := vmKey(ts)
	p := g.pairs[k]
	if p == nil {
		p = &pair{job: g}
		g.pairs[k] = p
	}
	p.recs = append(p.recs, recOf(ts, u, a.intern))
	if p.newest == nil || compareTasks(ts, p.newest) > 0 {
		p.newest = ts
	}
}

// report judges what was added.
func (a *accumulator) report() *Report {
	for _, ts := range a.pending {
		a.place(ts, normUID(jobSessionUIDOf(ts)))
	}
	a.pending = nil
	rep := &Report{
		Now: a.now, Window: a.opts.Window, WarnAge: a.opts.WarnAge, CritAge: a.opts.CritAge,
		TaskSessions: a.tasks, JobSessions: len(a.byUID),
	}
	for _, g := range a.groups {
		slices.SortFunc(g.sessions, compareJobSessions)
	}
	for _, g := range a.groups {
		if len(g.pairs) == 0 {
			continue
		}
		job := Job{Name: g.name, UID: g.uid}
		var newestVM *VM
		for _, p := range g.pairs {
			vm := judge(a.now, a.opts, p, a.byUID)
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
			if !last.EndTime.IsZero() && last.State.Ended() {
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
	rep.Status = StatusUnknown
	if len(rep.VMs) > 0 {
		rep.Status = StatusOK
	}
	for i := range rep.VMs {
		rep.Counts.add(rep.VMs[i].Status)
		rep.Status = max(rep.Status, rep.VMs[i].Status)
	}
	return rep
}

// judge applies the rules to one (job, VM).
func judge(now time.Time, opts Options, p *pair, byUID map[vem.UID]*vem.BackupJobSession) VM {
	slices.SortFunc(p.recs, compareRecs)
	last := p.newest
	vm := VM{
		Name:        last.VMDisplayName,
		JobName:     p.job.name,
		JobUID:      p.job.uid,
		LastSession: last,
	}
	done, success := -1, -1 // newest completed, newest successful
	for i := len(p.recs) - 1; i >= 0; i-- {
		r := &p.recs[i]
		if vm.UID == "" {
			vm.UID = r.vmUID
		}
		if !r.completed() {
			vm.Running = true
			continue
		}
		if done < 0 {
			done = i
		}
		if success < 0 && r.succeeded() {
			success = i
		}
	}
	if l, ok := last.BackupServerLink(); ok {
		vm.BackupServer = l.Name
	} else if js := byUID[normUID(jobSessionUIDOf(last))]; js != nil {
		if l, ok := js.BackupServerLink(); ok {
			vm.BackupServer = l.Name
		}
	}
	vm.Attempts = runOf(p, p.recs[len(p.recs)-1].jobSession, byUID).count(p.recs)
	var d *rec
	if done >= 0 {
		d = &p.recs[done]
		vm.LastResult = d.result
		if d.result != vem.ResultSuccess {
			vm.Reason = d.reason
		}
		if d.succeeded() {
			if failed := runOf(p, d.jobSession, byUID).lastFailureBefore(p.recs[:done]); failed != nil {
				vm.RecoveredByRetry = true
				if vm.Reason == "" {
					vm.Reason = failed.reason
				}
			}
		}
	}
	if success >= 0 {
		vm.LastSuccess = p.recs[success].ended
		vm.Age = max(now.Sub(vm.LastSuccess), 0)
	}

	lastSuccess := func() string {
		if success < 0 {
			return ""
		}
		return "; last success " + fmtDuration(vm.Age) + " ago"
	}
	switch {
	case success < 0: // rule 1
		vm.Status = StatusCritical
		vm.Why = "no successful backup in " + fmtDuration(opts.Window)
		switch {
		case d == nil && vm.Running:
			vm.Why += "; no attempt completed, one is running"
		case d == nil:
			vm.Why += "; no attempt completed"
		default:
			vm.Why += "; last attempt " + outcome(d)
		}
	case !d.succeeded(): // rule 2
		vm.Status = StatusCritical
		vm.Why = "last attempt " + outcome(d) + lastSuccess()
		if newerRunRunning(p, d, byUID) {
			vm.Status = StatusWarning
			vm.Why = "last attempt " + outcome(d) + "; a newer run of the job is under way" + lastSuccess()
		}
	case vm.Age > opts.CritAge: // rule 3
		vm.Status = StatusCritical
		vm.Why = "last successful backup " + fmtDuration(vm.Age) + " ago, older than " + fmtDuration(opts.CritAge)
	case vm.Age > opts.WarnAge:
		vm.Status = StatusWarning
		vm.Why = "last successful backup " + fmtDuration(vm.Age) + " ago, older than " + fmtDuration(opts.WarnAge)
	case d.result == vem.ResultWarning: // rule 4
		vm.Status = StatusWarning
		vm.Why = "last backup " + fmtDuration(vm.Age) + " ago " + outcome(d)
	default: // rule 5
		vm.Status = StatusOK
		vm.Why = "last backup succeeded " + fmtDuration(vm.Age) + " ago"
		if vm.RecoveredByRetry {
			vm.Why += ", after a retry"
		}
	}
	return vm
}

// outcome describes a completed task's result with its reason.
func outcome(r *rec) string {
	var s string
	switch r.result {
	case vem.ResultFailed:
		s = "failed"
	case vem.ResultWarning:
		s = "ended with a warning"
	case vem.ResultSuccess:
		s = "succeeded"
	default:
		s = fmt.Sprintf("ended with result %q", string(r.result))
	}
	if reason := strings.TrimRight(oneLine(r.reason), "."); reason != "" {
		s += ": " + reason
	}
	return s
}

func running(js *vem.BackupJobSession) bool { return !js.State.Ended() }

// run is the job sessions of one run: a job session that is not a retry
// and the retries after it.
type run map[vem.UID]bool

// runOf returns the run of the job session with normalized UID u; without
// a known job session, the run is that job session alone.
func runOf(p *pair, u vem.UID, byUID map[vem.UID]*vem.BackupJobSession) run {
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

// count returns how many of recs belong to the run.
func (r run) count(recs []rec) int {
	n := 0
	for i := range recs {
		if r[recs[i].jobSession] {
			n++
		}
	}
	return n
}

// lastFailureBefore returns the newest completed task of the run among
// before (oldest first) that did not succeed, or nil.
func (r run) lastFailureBefore(before []rec) *rec {
	for i := len(before) - 1; i >= 0; i-- {
		if t := &before[i]; t.completed() && !t.succeeded() && r[t.jobSession] {
			return t
		}
	}
	return nil
}

// newerRunRunning reports whether the job has a job session, newer than
// the one of t, that is still running: a retry or the next run is under
// way.
func newerRunRunning(p *pair, t *rec, byUID map[vem.UID]*vem.BackupJobSession) bool {
	after := t.created
	if js := byUID[t.jobSession]; js != nil {
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

func compareRecs(a, b rec) int {
	return cmp.Or(a.created.Compare(b.created), compareEnd(a.ended, b.ended),
		cmp.Compare(normUID(a.uid), normUID(b.uid)))
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
