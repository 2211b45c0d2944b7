package health

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vemkit/vem"
)

var testNow = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

// fixture builds job and task sessions relative to testNow.
type fixture struct {
	n     int
	tasks []*vem.BackupTaskSession
	jobs  []*vem.BackupJobSession
}

func guid(kind byte, n int) string { return fmt.Sprintf("%08x-0000-4000-8000-%c%011x", n, kind, n) }

// run adds a job session of job that started ago before testNow and ran
// for dur (0: still running).
func (f *fixture) run(job string, ago, dur time.Duration, retry bool) *vem.BackupJobSession {
	f.n++
	start := testNow.Add(-ago)
	js := &vem.BackupJobSession{
		UID:          vem.UID("urn:veeam:BackupJobSession:" + guid('a', f.n)),
		Name:         job + "@" + start.Format("2006-01-02 15:04:05"),
		JobUID:       vem.UID("urn:veeam:Job:" + guid('b', jobNumber(job))),
		JobName:      job,
		JobType:      "Backup",
		CreationTime: start,
		State:        vem.StateWorking,
		IsRetry:      retry,
		Links: vem.Links{{Rel: vem.RelUp, Type: vem.TypeBackupServerReference, Name: "vbr-" + job,
			Href: "https://em:9398/api/backupServers/" + guid('c', 1)}},
	}
	if dur > 0 {
		js.EndTime, js.State, js.Result = start.Add(dur), vem.StateStopped, vem.ResultSuccess
	}
	f.jobs = append(f.jobs, js)
	return js
}

// task adds vm's task session in js, starting after off and running for
// dur (0: still running) with result res.
func (f *fixture) task(js *vem.BackupJobSession, vm string, off, dur time.Duration, res vem.Result, reason string) *vem.BackupTaskSession {
	f.n++
	start := js.CreationTime.Add(off)
	ts := &vem.BackupTaskSession{
		UID:           vem.UID("urn:veeam:BackupTaskSession:" + guid('d', f.n)),
		Name:          vm + "@" + start.Format("2006-01-02 15:04:05"),
		VMDisplayName: vm,
		JobSessionUID: js.UID,
		CreationTime:  start,
		State:         vem.StateInProgress,
		Result:        vem.ResultNone,
		VMUID:         "urn:VMware:Vm:root." + vm,
		Links: vem.Links{
			{Rel: vem.RelUp, Type: vem.TypeBackupServerReference, Name: "vbr-" + js.JobName, Href: "https://em:9398/api/backupServers/" + guid('c', 1)},
			{Rel: vem.RelUp, Type: vem.TypeBackupJobSessionReference, Name: js.Name, Href: "https://em:9398/api/backupSessions/" + js.UID.ID()},
		},
	}
	if dur > 0 {
		ts.EndTime, ts.State, ts.Result, ts.Reason = start.Add(dur), vem.StateCompleted, res, reason
	}
	f.tasks = append(f.tasks, ts)
	return ts
}

// jobNumber numbers a job by its name.
func jobNumber(name string) int {
	n := 0
	for _, c := range name {
		n = n*31 + int(c)
	}
	return n & 0xffffff
}

const (
	h = time.Hour
	m = time.Minute
)

// want is the expected verdict on one (job, VM); zero fields of the optional
// kind (Why, Reason) are checked as given.
type want struct {
	job, vm    string
	status     Status
	why        string
	lastResult vem.Result
	age        time.Duration // of the last success; -1: no success
	attempts   int
	recovered  bool
	running    bool
	reason     string
}

func TestEvaluateRules(t *testing.T) {
	tests := []struct {
		name  string
		opts  Options
		build func(f *fixture)
		want  []want
	}{{
		name: "rule 5: success",
		build: func(f *fixture) {
			js := f.run("Daily", 5*h, h, false)
			f.task(js, "web01", m, 30*m, vem.ResultSuccess, "")
		},
		want: []want{{job: "Daily", vm: "web01", status: StatusOK, why: "last backup succeeded 4h29m ago",
			lastResult: vem.ResultSuccess, age: 4*h + 29*m, attempts: 1}},
	}, {
		name: "rule 5: retry recovered",
		build: func(f *fixture) {
			js := f.run("Daily", 6*h, h, false)
			f.task(js, "web01", m, 10*m, vem.ResultFailed, "Snapshot\nfailed")
			r := f.run("Daily", 4*h, h, true)
			f.task(r, "web01", m, 10*m, vem.ResultSuccess, "")
		},
		want: []want{{job: "Daily", vm: "web01", status: StatusOK, why: "last backup succeeded 3h49m ago, after a retry",
			lastResult: vem.ResultSuccess, age: 3*h + 49*m, attempts: 2, recovered: true, reason: "Snapshot\nfailed"}},
	}, {
		name: "rule 2: retry failed again",
		build: func(f *fixture) {
			ok := f.run("Daily", 30*h, h, false)
			f.task(ok, "web01", m, 10*m, vem.ResultSuccess, "")
			js := f.run("Daily", 6*h, h, false)
			f.task(js, "web01", m, 10*m, vem.ResultFailed, "Snapshot failed")
			r := f.run("Daily", 4*h, h, true)
			f.task(r, "web01", m, 10*m, vem.ResultFailed, "Host unreachable")
		},
		want: []want{{job: "Daily", vm: "web01", status: StatusCritical,
			why:        "last attempt failed: Host unreachable; last success 29h49m ago",
			lastResult: vem.ResultFailed, age: 29*h + 49*m, attempts: 2, reason: "Host unreachable"}},
	}, {
		name: "rule 2: retry under way",
		build: func(f *fixture) {
			ok := f.run("Daily", 25*h, h, false)
			f.task(ok, "web01", m, 10*m, vem.ResultSuccess, "")
			js := f.run("Daily", 2*h, h, false)
			f.task(js, "web01", m, 10*m, vem.ResultFailed, "Snapshot failed")
			f.run("Daily", 10*m, 0, true) // the retry started, no task yet
		},
		want: []want{{job: "Daily", vm: "web01", status: StatusWarning,
			why:        "last attempt failed: Snapshot failed; a newer run of the job is under way; last success 24h49m ago",
			lastResult: vem.ResultFailed, age: 24*h + 49*m, attempts: 1, reason: "Snapshot failed"}},
	}, {
		name: "rule 2: the failed task's own job session still running is no retry",
		build: func(f *fixture) {
			ok := f.run("Daily", 25*h, h, false)
			f.task(ok, "web01", m, 10*m, vem.ResultSuccess, "")
			js := f.run("Daily", 2*h, 0, false)
			f.task(js, "web01", m, 10*m, vem.ResultFailed, "Snapshot failed")
		},
		want: []want{{job: "Daily", vm: "web01", status: StatusCritical,
			why:        "last attempt failed: Snapshot failed; last success 24h49m ago",
			lastResult: vem.ResultFailed, age: 24*h + 49*m, attempts: 1, reason: "Snapshot failed"}},
	}, {
		name: "rule 5: running with an older success",
		build: func(f *fixture) {
			ok := f.run("Daily", 25*h, h, false)
			f.task(ok, "web01", m, 10*m, vem.ResultSuccess, "")
			js := f.run("Daily", 30*m, 0, false)
			f.task(js, "web01", m, 0, "", "")
		},
		want: []want{{job: "Daily", vm: "web01", status: StatusOK, why: "last backup succeeded 24h49m ago",
			lastResult: vem.ResultSuccess, age: 24*h + 49*m, attempts: 1, running: true}},
	}, {
		name: "rule 3: running does not hide a stale success",
		build: func(f *fixture) {
			ok := f.run("Daily", 50*h, h, false)
			f.task(ok, "web01", m, 10*m, vem.ResultSuccess, "")
			js := f.run("Daily", 30*m, 0, false)
			f.task(js, "web01", m, 0, "", "")
		},
		want: []want{{job: "Daily", vm: "web01", status: StatusCritical, why: "last successful backup 2d1h ago, older than 2d",
			lastResult: vem.ResultSuccess, age: 49*h + 49*m, attempts: 1, running: true}},
	}, {
		name: "rule 4: warning",
		build: func(f *fixture) {
			js := f.run("Daily", 5*h, h, false)
			f.task(js, "web01", m, 30*m, vem.ResultWarning, "Changed block tracking disabled")
		},
		want: []want{{job: "Daily", vm: "web01", status: StatusWarning,
			why:        "last backup 4h29m ago ended with a warning: Changed block tracking disabled",
			lastResult: vem.ResultWarning, age: 4*h + 29*m, attempts: 1, reason: "Changed block tracking disabled"}},
	}, {
		name: "rule 3: stale success, WarnAge",
		build: func(f *fixture) {
			js := f.run("Daily", 30*h, h, false)
			f.task(js, "web01", m, 29*m, vem.ResultSuccess, "")
		},
		want: []want{{job: "Daily", vm: "web01", status: StatusWarning, why: "last successful backup 29h30m ago, older than 26h",
			lastResult: vem.ResultSuccess, age: 29*h + 30*m, attempts: 1}},
	}, {
		name: "rule 3: stale success, CritAge",
		build: func(f *fixture) {
			js := f.run("Daily", 80*h, h, false)
			f.task(js, "web01", m, 59*m, vem.ResultSuccess, "")
		},
		want: []want{{job: "Daily", vm: "web01", status: StatusCritical, why: "last successful backup 3d7h ago, older than 2d",
			lastResult: vem.ResultSuccess, age: 79 * h, attempts: 1}},
	}, {
		name: "rule 3 before rule 4: stale warning",
		opts: Options{WarnAge: 2 * h, CritAge: 3 * h},
		build: func(f *fixture) {
			js := f.run("Daily", 5*h, h, false)
			f.task(js, "web01", m, 59*m, vem.ResultWarning, "CBT off")
		},
		want: []want{{job: "Daily", vm: "web01", status: StatusCritical, why: "last successful backup 4h ago, older than 3h",
			lastResult: vem.ResultWarning, age: 4 * h, attempts: 1, reason: "CBT off"}},
	}, {
		name: "rule 1: no success in the window",
		build: func(f *fixture) {
			old := f.run("Daily", 8*24*h, h, false)
			f.task(old, "web01", m, 10*m, vem.ResultSuccess, "") // before the window
			js := f.run("Daily", 3*24*h, h, false)
			f.task(js, "web01", m, 10*m, vem.ResultFailed, "Datastore full")
		},
		want: []want{{job: "Daily", vm: "web01", status: StatusCritical,
			why:        "no successful backup in 7d; last attempt failed: Datastore full",
			lastResult: vem.ResultFailed, age: -1, attempts: 1, reason: "Datastore full"}},
	}, {
		name: "rule 1: only a running attempt",
		build: func(f *fixture) {
			js := f.run("Daily", h, 0, false)
			f.task(js, "new01", m, 0, "", "")
		},
		want: []want{{job: "Daily", vm: "new01", status: StatusCritical,
			why: "no successful backup in 7d; no attempt completed, one is running", age: -1, attempts: 1, running: true}},
	}, {
		name: "rule 1 before rule 2: a retry under way does not soften no success",
		opts: Options{Window: 36 * h},
		build: func(f *fixture) {
			js := f.run("Daily", 2*h, h, false)
			f.task(js, "web01", m, 10*m, vem.ResultFailed, "")
			f.run("Daily", 10*m, 0, true)
		},
		want: []want{{job: "Daily", vm: "web01", status: StatusCritical,
			why: "no successful backup in 36h; last attempt failed", lastResult: vem.ResultFailed, age: -1, attempts: 1}},
	}, {
		name: "VM in two jobs: judged per job, worst first",
		build: func(f *fixture) {
			b := f.run("Daily", 5*h, h, false)
			f.task(b, "db01", m, 30*m, vem.ResultSuccess, "")
			c := f.run("Copy to DR", 3*h, h, false)
			f.task(c, "db01", m, 30*m, vem.ResultFailed, "Target offline")
		},
		want: []want{
			{job: "Copy to DR", vm: "db01", status: StatusCritical, why: "no successful backup in 7d; last attempt failed: Target offline",
				lastResult: vem.ResultFailed, age: -1, attempts: 1, reason: "Target offline"},
			{job: "Daily", vm: "db01", status: StatusOK, why: "last backup succeeded 4h29m ago",
				lastResult: vem.ResultSuccess, age: 4*h + 29*m, attempts: 1},
		},
	}, {
		name: "sorted worst first, then job and VM names",
		build: func(f *fixture) {
			js := f.run("Daily", 5*h, h, false)
			f.task(js, "c", m, 30*m, vem.ResultSuccess, "")
			f.task(js, "b", m, 30*m, vem.ResultWarning, "w")
			f.task(js, "a", m, 30*m, vem.ResultSuccess, "")
			f.task(js, "d", m, 30*m, vem.ResultFailed, "f")
		},
		want: []want{
			{job: "Daily", vm: "d", status: StatusCritical, why: "no successful backup in 7d; last attempt failed: f", lastResult: vem.ResultFailed, age: -1, attempts: 1, reason: "f"},
			{job: "Daily", vm: "b", status: StatusWarning, why: "last backup 4h29m ago ended with a warning: w", lastResult: vem.ResultWarning, age: 4*h + 29*m, attempts: 1, reason: "w"},
			{job: "Daily", vm: "a", status: StatusOK, why: "last backup succeeded 4h29m ago", lastResult: vem.ResultSuccess, age: 4*h + 29*m, attempts: 1},
			{job: "Daily", vm: "c", status: StatusOK, why: "last backup succeeded 4h29m ago", lastResult: vem.ResultSuccess, age: 4*h + 29*m, attempts: 1},
		},
	}, {
		name: "scope: Jobs and VMs filters",
		opts: Options{Jobs: regexp.MustCompile(`^Daily$`), VMs: regexp.MustCompile(`^web`)},
		build: func(f *fixture) {
			js := f.run("Daily", 5*h, h, false)
			f.task(js, "web01", m, 30*m, vem.ResultSuccess, "")
			f.task(js, "db01", m, 30*m, vem.ResultFailed, "x")
			c := f.run("Copy", 5*h, h, false)
			f.task(c, "web01", m, 30*m, vem.ResultFailed, "x")
		},
		want: []want{{job: "Daily", vm: "web01", status: StatusOK, why: "last backup succeeded 4h29m ago",
			lastResult: vem.ResultSuccess, age: 4*h + 29*m, attempts: 1}},
	}, {
		name: "attempts count the newest run only, three attempts",
		build: func(f *fixture) {
			y := f.run("Daily", 26*h, h, false)
			f.task(y, "web01", m, 10*m, vem.ResultFailed, "a")
			f.task(f.run("Daily", 25*h, 10*m, true), "web01", m, 5*m, vem.ResultSuccess, "")
			js := f.run("Daily", 3*h, h, false)
			f.task(js, "web01", m, 10*m, vem.ResultFailed, "b")
			f.task(f.run("Daily", 2*h, 10*m, true), "web01", m, 5*m, vem.ResultFailed, "c")
			f.task(f.run("Daily", h, 10*m, true), "web01", m, 5*m, vem.ResultSuccess, "")
		},
		want: []want{{job: "Daily", vm: "web01", status: StatusOK, why: "last backup succeeded 54m ago, after a retry",
			lastResult: vem.ResultSuccess, age: 54 * m, attempts: 3, recovered: true, reason: "c"}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fixture{}
			tt.build(f)
			opts := tt.opts
			opts.Now = testNow
			opts, err := opts.withDefaults()
			require.NoError(t, err)
			rep := evaluate(testNow, opts, f.tasks, f.jobs)
			require.Len(t, rep.VMs, len(tt.want))
			worst := StatusOK
			for i, w := range tt.want {
				got := rep.VMs[i]
				assert.Equal(t, w.job, got.JobName, "VM %d job", i)
				assert.Equal(t, w.vm, got.Name, "VM %d name", i)
				assert.Equal(t, "urn:VMware:Vm:root."+w.vm, got.UID)
				assert.Equal(t, w.status, got.Status, "VM %d status (%s)", i, got.Why)
				assert.Equal(t, w.why, got.Why, "VM %d why", i)
				assert.Equal(t, w.lastResult, got.LastResult, "VM %d last result", i)
				if w.age < 0 {
					assert.True(t, got.LastSuccess.IsZero(), "VM %d last success", i)
					assert.Zero(t, got.Age)
				} else {
					assert.Equal(t, w.age, got.Age, "VM %d age", i)
					assert.Equal(t, testNow.Add(-w.age), got.LastSuccess)
				}
				assert.Equal(t, w.attempts, got.Attempts, "VM %d attempts", i)
				assert.Equal(t, w.recovered, got.RecoveredByRetry, "VM %d recovered", i)
				assert.Equal(t, w.running, got.Running, "VM %d running", i)
				assert.Equal(t, w.reason, got.Reason, "VM %d reason", i)
				assert.Equal(t, "vbr-"+w.job, got.BackupServer)
				require.NotNil(t, got.LastSession)
				assert.Equal(t, w.vm, got.LastSession.VMDisplayName)
				worst = max(worst, w.status)
			}
			assert.Equal(t, worst, rep.Status)
			assert.Equal(t, len(tt.want), rep.Counts.Total())
		})
	}
}

func TestEvaluateJobs(t *testing.T) {
	f := &fixture{}
	y := f.run("Daily", 26*h, h, false)
	f.task(y, "web01", m, 10*m, vem.ResultSuccess, "")
	f.task(y, "db01", m, 10*m, vem.ResultSuccess, "")
	js := f.run("Daily", 3*h, 90*m, false)
	f.task(js, "web01", m, 10*m, vem.ResultSuccess, "")
	f.task(js, "db01", m, 10*m, vem.ResultWarning, "CBT off")
	c := f.run("Copy", 2*h, 0, false) // running
	f.task(c, "db01", m, 10*m, vem.ResultFailed, "Target offline")
	f.run("Empty", 2*h, h, false) // no task: not a job of the report

	opts, err := Options{Now: testNow}.withDefaults()
	require.NoError(t, err)
	rep := evaluate(testNow, opts, f.tasks, f.jobs)

	require.Len(t, rep.Jobs, 2)
	cp, daily := rep.Jobs[0], rep.Jobs[1]
	assert.Equal(t, "Copy", cp.Name)
	assert.Equal(t, StatusCritical, cp.Status)
	assert.Equal(t, Counts{Critical: 1}, cp.VMs)
	assert.True(t, cp.Running)
	assert.Equal(t, vem.StateWorking, cp.LastRunState)
	assert.Zero(t, cp.LastRunDuration)

	assert.Equal(t, "Daily", daily.Name)
	assert.NotEqual(t, c.JobUID, daily.UID)
	assert.Equal(t, js.JobUID, daily.UID)
	assert.Equal(t, StatusWarning, daily.Status)
	assert.Equal(t, Counts{OK: 1, Warning: 1}, daily.VMs)
	assert.Equal(t, "vbr-Daily", daily.BackupServer)
	assert.Equal(t, js.CreationTime, daily.LastRun)
	assert.Equal(t, js.EndTime, daily.LastRunEnd)
	assert.Equal(t, 90*m, daily.LastRunDuration)
	assert.False(t, daily.Running)

	assert.Equal(t, StatusCritical, rep.Status)
	assert.Equal(t, Counts{OK: 1, Warning: 1, Critical: 1}, rep.Counts)
	assert.Equal(t, len(f.tasks), rep.TaskSessions)
	assert.Equal(t, len(f.jobs), rep.JobSessions)
}

func TestEvaluateEmpty(t *testing.T) {
	opts, err := Options{Now: testNow}.withDefaults()
	require.NoError(t, err)
	rep := evaluate(testNow, opts, nil, nil)
	assert.Equal(t, StatusUnknown, rep.Status)
	assert.Empty(t, rep.VMs)
	assert.Empty(t, rep.Jobs)
}

func TestEvaluateUnknownJobSession(t *testing.T) {
	// A task whose job session was not read is judged under the job named
	// by its link, without a job UID.
	f := &fixture{}
	js := f.run("Daily", 5*h, h, false)
	f.task(js, "web01", m, 30*m, vem.ResultSuccess, "")
	opts, err := Options{Now: testNow}.withDefaults()
	require.NoError(t, err)
	rep := evaluate(testNow, opts, f.tasks, nil)
	require.Len(t, rep.VMs, 1)
	assert.Equal(t, "Daily", rep.VMs[0].JobName)
	assert.Empty(t, rep.VMs[0].JobUID)
	assert.Equal(t, StatusOK, rep.VMs[0].Status)
	assert.Equal(t, 1, rep.VMs[0].Attempts)
	require.Len(t, rep.Jobs, 1)
	assert.Equal(t, "vbr-Daily", rep.Jobs[0].BackupServer)
}

func TestOptions(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		want    Options
		wantErr string
	}{
		{"defaults", Options{Now: testNow}, Options{Window: DefaultWindow, WarnAge: DefaultWarnAge, CritAge: DefaultCritAge, Now: testNow}, ""},
		{"a WarnAge above the default CritAge raises CritAge", Options{Now: testNow, WarnAge: 72 * h},
			Options{Window: DefaultWindow, WarnAge: 72 * h, CritAge: 72 * h, Now: testNow}, ""},
		{"negative window", Options{Window: -h}, Options{}, "negative Window"},
		{"negative warn age", Options{WarnAge: -h}, Options{}, "negative WarnAge"},
		{"negative crit age", Options{CritAge: -h}, Options{}, "negative CritAge"},
		{"crit below warn", Options{WarnAge: 10 * h, CritAge: 5 * h}, Options{}, "CritAge 5h0m0s is below WarnAge 10h0m0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.opts.withDefaults()
			if tt.wantErr != "" {
				require.ErrorIs(t, err, ErrInvalidOptions)
				assert.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	got, err := Options{}.withDefaults()
	require.NoError(t, err)
	assert.WithinDuration(t, time.Now(), got.Now, time.Minute)
	assert.Equal(t, time.UTC, got.Now.Location())
}

func TestStatus(t *testing.T) {
	for s, name := range map[Status]string{OK: "ok", Warning: "warning", Critical: "critical", Unknown: "unknown"} {
		assert.Equal(t, name, s.String())
		b, err := s.MarshalText()
		require.NoError(t, err)
		assert.Equal(t, name, string(b))
		var back Status
		require.NoError(t, back.UnmarshalText([]byte(strings.ToUpper(name))))
		assert.Equal(t, s, back)
	}
	assert.Equal(t, []Status{0, 1, 2, 3}, []Status{StatusOK, StatusWarning, StatusCritical, StatusUnknown})
	_, err := Status(7).MarshalText()
	require.Error(t, err)
	assert.Equal(t, "Status(7)", Status(7).String())
	_, err = ParseStatus("fine")
	require.Error(t, err)
	b, err := json.Marshal(struct{ S Status }{StatusCritical})
	require.NoError(t, err)
	assert.JSONEq(t, `{"S":"critical"}`, string(b))
}

func TestFmtDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", 59 * time.Second: "59s", 5 * m: "5m", h: "1h", 26 * h: "26h", 24 * h: "1d", 48 * h: "2d",
		49*h + 30*m: "2d1h", 7 * 24 * h: "7d", -h: "0s",
	} {
		assert.Equal(t, want, fmtDuration(d), "%v", d)
	}
}
