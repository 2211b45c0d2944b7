package vemtest

import (
	"cmp"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/vemkit/vem"
)

// Fleet describes a generated estate of VMs backed up daily, for health
// checks and load tests: backup jobs with daily runs, failures and
// automatic retries, warnings with reasons, runs in progress, a job that
// stopped running, and backup copy jobs that put VMs in two jobs. It is
// deterministic for a given Seed and evaluation time, and relative to that
// time, so that every health status appears whatever the day and hour.
//
// Zero counts take defaults (see DefaultFleet); rates are probabilities
// used as given, so Fleet{VMs: 100} has no random failures, only the
// scenarios below. With at least 9 backup jobs of at least 2 VMs, the
// fleet always holds, relative to now:
//   - Backup Job 02: its newest run started 20 minutes ago and is running,
//     its first VMs done, some in progress, the others not started;
//   - Backup Job 03: its newest run failed for its first VM and the
//     automatic retry is running now;
//   - Backup Job 04: it missed its last run (last success about 30 hours
//     ago);
//   - Backup Job 05: its second VM failed in every run and every retry;
//   - Backup Job 06: its first VM failed in the newest run and succeeded on
//     the retry;
//   - Backup Job 07: its first VM failed in the newest run and in every
//     retry;
//   - Backup Job 08: its first VM ended with a warning in the newest run;
//   - the last backup job: it stopped running three days ago;
//   - backup copy jobs copying half of the VMs of other jobs, so that these
//     VMs are in two jobs.
type Fleet struct {
	// VMs is the number of VMs (default 500).
	VMs int
	// Jobs is the number of backup jobs (default VMs/20, at least 10 and
	// at most VMs). VMs are spread evenly across them.
	Jobs int
	// CopyJobs is the number of backup copy jobs (default Jobs/10, at least
	// 1; negative: none). Copy job i copies the first half of the VMs of
	// backup job 9+i (counting from 1, modulo Jobs).
	CopyJobs int
	// Servers is the number of backup servers (default Jobs/10, at least 1);
	// jobs are spread across them.
	Servers int
	// Days is how many days of daily runs there are (default 8).
	Days int
	// FailRate is the probability that a VM's task fails in a run,
	// WarnRate that it ends with a warning.
	FailRate float64
	WarnRate float64
	// RetryRecoverRate is the probability that a failed VM succeeds on an
	// automatic retry.
	RetryRecoverRate float64
	// Retries is the number of automatic retries of a run with failed VMs
	// (default 2; negative: none), ten minutes apart, as Veeam does.
	Retries int
	// Seed selects the random data.
	Seed uint64
}

// DefaultFleet returns the fleet of n VMs with realistic rates: 4% of tasks
// fail, 3% warn, 70% of retried VMs recover.
func DefaultFleet(n int) Fleet {
	return Fleet{VMs: n, FailRate: 0.04, WarnRate: 0.03, RetryRecoverRate: 0.7, Seed: 1}
}

// FleetData is what a Fleet generates: backup servers, job sessions and task
// sessions, each job session before its task sessions, task sessions in
// creation order.
type FleetData struct {
	Servers      []vem.BackupServer
	JobSessions  []vem.BackupJobSession
	TaskSessions []vem.BackupTaskSession
}

// WithFleet loads the fleet f, generated relative to the server's time (see
// WithNow and WithClock), instead of the generated data set: it sets
// WithDataset(0), so a WithDataset after it adds that data set back.
func WithFleet(f Fleet) Option {
	return func(c *config) {
		c.fleet = &f
		c.dataset = 0
	}
}

// loadFleet stores the fleet through the server's own Add methods.
func (s *Server) loadFleet(now time.Time, f Fleet) {
	d := f.Generate(now)
	for _, bs := range d.Servers {
		s.AddBackupServer(bs)
	}
	for _, js := range d.JobSessions {
		s.AddBackupJobSession(js)
	}
	for _, ts := range d.TaskSessions {
		s.AddBackupTaskSession(ts) // in creation order: each one appends
	}
}

// withDefaults fills in the zero counts.
func (f Fleet) withDefaults() Fleet {
	if f.VMs <= 0 {
		f.VMs = 500
	}
	if f.Jobs <= 0 {
		f.Jobs = min(max(f.VMs/20, 10), f.VMs)
	}
	f.Jobs = min(f.Jobs, f.VMs)
	if f.CopyJobs == 0 {
		f.CopyJobs = max(f.Jobs/10, 1)
	}
	f.CopyJobs = max(f.CopyJobs, 0)
	if f.Servers <= 0 {
		f.Servers = max(f.Jobs/10, 1)
	}
	if f.Days <= 0 {
		f.Days = 8
	}
	if f.Retries == 0 {
		f.Retries = 2
	}
	f.Retries = max(f.Retries, 0)
	return f
}

// fleetNameTime is the layout of the time in session names.
const fleetNameTime = "2006-01-02 15:04:05"

// Fleet scenario jobs (indexes into the backup jobs).
const (
	fleetRunning     = 1
	fleetRetryNow    = 2
	fleetMissedRun   = 3
	fleetNeverOK     = 4
	fleetRecovered   = 5
	fleetFailedAgain = 6
	fleetWarning     = 7
	fleetScenarios   = 8 // scenario jobs run when there are more jobs than this
)

var (
	fleetWarnings = []string{
		`Changed block tracking is disabled for "Hard disk 2"; a full scan was performed.`,
		"Snapshot removal took longer than expected.",
		"Avertissement : le disque « Données » est presque plein (92 %).",
		"Unable to truncate Microsoft SQL Server transaction logs.",
	}
	fleetFailures = []string{
		"Error: There is not enough space on the disk.",
		"Failed to create VM snapshot: the operation is not allowed in the current state.",
		"Échec de la sauvegarde : hôte « esx07 » injoignable",
		"VSS error 0x800423f4 & retry limit reached.",
	}
)

// plannedTask is one VM's task of a run, relative to the run's start.
type plannedTask struct {
	vm       int
	off, dur time.Duration
	result   vem.Result
	reason   string
}

type fleetJob struct {
	name, uid string
	jobType   vem.JobType
	server    int
	vms       []int
	offset    time.Duration // of the newest run before now
	firstDay  int           // runs on days firstDay..Days-1 before the newest slot
}

type fleetGen struct {
	f        Fleet
	now      time.Time
	rng      *rand.Rand
	out      FleetData
	servers  []vem.BackupServer
	vmNames  []string
	vmUIDs   []string
	warnings int
	failures int
}

// Generate returns the fleet's data relative to now (truncated to the
// millisecond). Equal fleets and times give equal data.
func (f Fleet) Generate(now time.Time) FleetData {
	f = f.withDefaults()
	g := &fleetGen{f: f, now: now.UTC().Truncate(time.Millisecond), rng: rand.New(rand.NewPCG(f.Seed, 0x9E3779B97F4A7C15))}
	for i := range f.Servers {
		id := g.guid()
		name := fmt.Sprintf("vbr%02d.fleet.example", i+1)
		g.servers = append(g.servers, vem.BackupServer{
			UID: vem.UID(fleetUID(vem.KindBackupServer, id)), Name: name, Description: "Fleet backup server " + strconv.Itoa(i+1),
			Port: 9392, Version: "13.0.1.1071",
			Links: vem.Links{{Rel: vem.RelAlternate, Type: "BackupServerReference", Href: "/api/backupServers/" + id, Name: name}},
		})
	}
	g.out.Servers = g.servers
	vcenter := g.guid()
	width := len(strconv.Itoa(f.VMs))
	for i := range f.VMs {
		g.vmNames = append(g.vmNames, fmt.Sprintf("vm-%0*d", width, i+1))
		g.vmUIDs = append(g.vmUIDs, fmt.Sprintf("urn:VMware:Vm:%s.vm-%d", vcenter, 1000+i))
	}

	jobs := make([]*fleetJob, f.Jobs)
	for j := range f.Jobs {
		jb := &fleetJob{
			name: fmt.Sprintf("Backup Job %02d", j+1), uid: fleetUID("Job", g.guid()), jobType: vem.JobTypeBackup,
			server: j % f.Servers,
			offset: 2*time.Hour + time.Duration(j)*20*time.Hour/time.Duration(f.Jobs),
		}
		for v := j; v < f.VMs; v += f.Jobs {
			jb.vms = append(jb.vms, v)
		}
		jobs[j] = jb
	}
	scenarios := f.Jobs > fleetScenarios
	if scenarios {
		jobs[fleetRunning].offset = 20 * time.Minute
		jobs[fleetMissedRun].offset = 6 * time.Hour
		jobs[fleetMissedRun].firstDay = 1
		for _, j := range []int{fleetNeverOK, fleetRecovered, fleetFailedAgain, fleetWarning} {
			jobs[j].offset = time.Duration(10+j) * time.Hour
		}
		jobs[f.Jobs-1].firstDay = 3 // stopped three days ago
	}
	for i := range f.CopyJobs {
		src := jobs[(fleetScenarios+i)%f.Jobs]
		jb := &fleetJob{
			name: fmt.Sprintf("Backup Copy %02d", i+1), uid: fleetUID("Job", g.guid()), jobType: vem.JobTypeBackupCopy,
			server: src.server, vms: src.vms[:(len(src.vms)+1)/2],
			offset: time.Duration(3+i%18)*time.Hour + 30*time.Minute,
		}
		jobs = append(jobs, jb)
	}

	for j, jb := range jobs {
		for day := f.Days - 1; day >= jb.firstDay; day-- {
			plan := g.plan(jb.vms, f.FailRate, f.WarnRate)
			newest := day == 0 && scenarios
			start := g.now.Add(-jb.offset - time.Duration(day)*24*time.Hour)
			switch {
			case newest && j == fleetRetryNow:
				plan[0].result, plan[0].reason = vem.ResultFailed, g.failure()
				// the run ended 11 minutes ago, its retry started 1 minute ago
				start = g.now.Add(-planEnd(plan) - time.Minute - 11*time.Minute)
			case scenarios && j == fleetNeverOK && len(plan) > 1:
				plan[1].result, plan[1].reason = vem.ResultFailed, fleetFailures[0]
			case newest && (j == fleetRecovered || j == fleetFailedAgain):
				plan[0].result, plan[0].reason = vem.ResultFailed, g.failure()
			case newest && j == fleetWarning:
				plan[0].result, plan[0].reason = vem.ResultWarning, g.warning()
			}
			end, ok := g.run(jb, start, false, plan)
			if !ok || jb.jobType != vem.JobTypeBackup {
				continue
			}
			for try := range f.Retries {
				var failed []int
				for _, p := range plan {
					if p.result == vem.ResultFailed {
						failed = append(failed, p.vm)
					}
				}
				if len(failed) == 0 {
					break
				}
				plan = g.plan(failed, 1-f.RetryRecoverRate, 0)
				for k := range plan {
					switch {
					case scenarios && j == fleetNeverOK && len(jb.vms) > 1 && plan[k].vm == jb.vms[1]:
						plan[k].result, plan[k].reason = vem.ResultFailed, fleetFailures[0]
					case newest && k == 0 && j == fleetRecovered:
						plan[k].result, plan[k].reason = vem.ResultSuccess, ""
					case newest && k == 0 && j == fleetFailedAgain:
						plan[k].result, plan[k].reason = vem.ResultFailed, g.failure()
					case newest && k == 0 && j == fleetRetryNow && try == 0:
						plan[k].dur = 20 * time.Minute // still running
					}
				}
				if end, ok = g.run(jb, end.Add(10*time.Minute), true, plan); !ok {
					break
				}
			}
		}
	}
	slices.SortStableFunc(g.out.TaskSessions, func(a, b vem.BackupTaskSession) int {
		return cmp.Or(a.CreationTime.Compare(b.CreationTime), cmp.Compare(a.UID, b.UID))
	})
	return g.out
}

// plan draws the tasks of one run of vms: four at a time, 3 to 12 minutes
// each, failing with probability fail, warning with probability warn.
func (g *fleetGen) plan(vms []int, fail, warn float64) []plannedTask {
	var lanes [4]time.Duration
	out := make([]plannedTask, 0, len(vms))
	for k, vm := range vms {
		lane := k % len(lanes)
		p := plannedTask{
			vm:     vm,
			off:    lanes[lane] + 20*time.Second + time.Duration(g.rng.IntN(30000))*time.Millisecond,
			dur:    3*time.Minute + time.Duration(g.rng.Int64N(int64(9*time.Minute))).Truncate(time.Millisecond),
			result: vem.ResultSuccess,
		}
		switch r := g.rng.Float64(); {
		case r < fail:
			p.result, p.reason = vem.ResultFailed, g.failure()
		case r < fail+warn:
			p.result, p.reason = vem.ResultWarning, g.warning()
		}
		lanes[lane] = p.off + p.dur
		out = append(out, p)
	}
	return out
}

func planEnd(plan []plannedTask) time.Duration {
	var end time.Duration
	for _, p := range plan {
		end = max(end, p.off+p.dur)
	}
	return end
}

// run stores one job session starting at start with the planned tasks, as
// far as they have happened by now. It returns the session's end and
// whether it has ended.
func (g *fleetGen) run(jb *fleetJob, start time.Time, retry bool, plan []plannedTask) (time.Time, bool) {
	if start.After(g.now) {
		return time.Time{}, false
	}
	id := g.guid()
	srv := g.servers[jb.server]
	js := vem.BackupJobSession{
		UID:          vem.UID(fleetUID(vem.KindBackupJobSession, id)),
		Name:         jb.name + "@" + start.Format(fleetNameTime),
		JobUID:       vem.UID(jb.uid),
		JobName:      jb.name,
		JobType:      jb.jobType,
		CreationTime: start,
		State:        vem.StateWorking,
		Result:       vem.ResultNone,
		IsRetry:      retry,
		Links: vem.Links{
			{Rel: vem.RelUp, Type: vem.TypeBackupServerReference, Href: "/api/backupServers/" + srv.UID.ID(), Name: srv.Name},
			{Rel: vem.RelUp, Type: vem.TypeJobReference, Href: "/api/jobs/" + vem.UID(jb.uid).ID(), Name: jb.name},
			{Rel: vem.RelAlternate, Type: vem.TypeBackupJobSessionReference, Href: "/api/backupSessions/" + id, Name: jb.name + "@" + start.Format(fleetNameTime)},
			{Rel: vem.RelDown, Type: vem.TypeBackupTaskSessionReferenceList, Href: "/api/backupSessions/" + id + "/taskSessions"},
		},
	}
	done, failed, worst := 0, 0, vem.ResultSuccess
	for _, p := range plan {
		created := start.Add(p.off)
		if created.After(g.now) {
			continue
		}
		ts := vem.BackupTaskSession{
			UID:           vem.UID(fleetUID(vem.KindBackupTaskSession, g.guid())),
			Name:          g.vmNames[p.vm] + "@" + created.Format(fleetNameTime),
			VMDisplayName: g.vmNames[p.vm],
			JobSessionUID: js.UID,
			CreationTime:  created,
			State:         vem.StateInProgress,
			Result:        vem.ResultNone,
			TotalSize:     1<<30 + g.rng.Int64N(1<<37),
			VMUID:         g.vmUIDs[p.vm],
		}
		if end := created.Add(p.dur); !end.After(g.now) {
			ts.EndTime, ts.State, ts.Result, ts.Reason = end, vem.StateCompleted, p.result, p.reason
			done++
			switch p.result {
			case vem.ResultFailed:
				failed++
				worst = vem.ResultFailed
			case vem.ResultWarning:
				if worst == vem.ResultSuccess {
					worst = vem.ResultWarning
				}
			}
		}
		g.out.TaskSessions = append(g.out.TaskSessions, ts)
	}
	end := start.Add(planEnd(plan) + time.Minute)
	ended := done == len(plan) && !end.After(g.now)
	if ended {
		js.EndTime, js.State, js.Result, js.Progress = end, vem.StateStopped, worst, 100
		if failed > 0 {
			js.FailureMessage = fmt.Sprintf("%d of %d VMs failed to process.", failed, len(plan))
		}
	} else {
		js.Progress = 100 * done / max(len(plan), 1)
	}
	g.out.JobSessions = append(g.out.JobSessions, js)
	return end, ended
}

func (g *fleetGen) warning() string {
	g.warnings++
	return fleetWarnings[g.warnings%len(fleetWarnings)]
}

func (g *fleetGen) failure() string {
	g.failures++
	return fleetFailures[g.failures%len(fleetFailures)]
}

func (g *fleetGen) guid() string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], g.rng.Uint64())
	binary.LittleEndian.PutUint64(b[8:], g.rng.Uint64())
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func fleetUID(kind, id string) string { return "urn:veeam:" + kind + ":" + id }
