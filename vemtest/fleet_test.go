package vemtest_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vemkit/vem"
	"github.com/vemkit/vem/health"
	"github.com/vemkit/vem/vemtest"
)

var fleetNow = time.Date(2026, 3, 10, 9, 41, 17, 0, time.UTC)

// verdict is the brute-force verdict on one (job, VM).
type verdict struct {
	Job, VM, VMUID, Server string
	Status                 health.Status
	LastResult             vem.Result
	LastSuccess            time.Time
	Attempts               int
	Recovered, Running     bool
	Reason                 string
}

// bruteForce judges every (job, VM) of d straight from the rules, with
// plain loops over all sessions and nothing from package health but the
// Status constants. It assumes what the fleet guarantees: every task's job
// session is in d, and every VM has a VM UID.
func bruteForce(d vemtest.FleetData, now time.Time, window, warnAge, critAge time.Duration) map[string]verdict {
	byUID := map[vem.UID]vem.BackupJobSession{}
	for _, js := range d.JobSessions {
		byUID[js.UID] = js
	}
	jobSession := func(u vem.UID) vem.BackupJobSession {
		js, ok := byUID[u]
		if !ok {
			panic("no job session " + u)
		}
		return js
	}
	since := now.Add(-window)
	out := map[string]verdict{}
	for _, first := range d.TaskSessions {
		if first.CreationTime.Before(since) {
			continue
		}
		job := jobSession(first.JobSessionUID).JobUID
		key := string(job) + "|" + first.VMUID
		if _, done := out[key]; done {
			continue
		}
		// every task of this (job, VM) in the window
		var mine []vem.BackupTaskSession
		for _, ts := range d.TaskSessions {
			if !ts.CreationTime.Before(since) && ts.VMUID == first.VMUID && jobSession(ts.JobSessionUID).JobUID == job {
				mine = append(mine, ts)
			}
		}
		var newest, newestDone, newestOK *vem.BackupTaskSession
		running := false
		for i := range mine {
			ts := &mine[i]
			if newest == nil || ts.CreationTime.After(newest.CreationTime) {
				newest = ts
			}
			if ts.State != vem.StateCompleted {
				running = true
				continue
			}
			if newestDone == nil || ts.CreationTime.After(newestDone.CreationTime) {
				newestDone = ts
			}
			if (ts.Result == vem.ResultSuccess || ts.Result == vem.ResultWarning) &&
				(newestOK == nil || ts.CreationTime.After(newestOK.CreationTime)) {
				newestOK = ts
			}
		}
		js := jobSession(newest.JobSessionUID)
		v := verdict{Job: js.JobName, VM: newest.VMDisplayName, VMUID: newest.VMUID, Running: running}
		for _, l := range js.Links {
			if l.Type == vem.TypeBackupServerReference {
				v.Server = l.Name
			}
		}
		// the run: the newest non-retry job session of the job not after
		// the given one, and every job session of the job after it until
		// the next non-retry one
		runOf := func(js vem.BackupJobSession) map[vem.UID]bool {
			base := js
			for _, o := range d.JobSessions {
				if o.JobUID == job && !o.IsRetry && !o.CreationTime.After(js.CreationTime) &&
					(base.IsRetry || o.CreationTime.After(base.CreationTime)) {
					base = o
				}
			}
			run := map[vem.UID]bool{base.UID: true}
			next := time.Time{}
			for _, o := range d.JobSessions {
				if o.JobUID == job && !o.IsRetry && o.CreationTime.After(base.CreationTime) && (next.IsZero() || o.CreationTime.Before(next)) {
					next = o.CreationTime
				}
			}
			for _, o := range d.JobSessions {
				if o.JobUID == job && o.IsRetry && o.CreationTime.After(base.CreationTime) && (next.IsZero() || o.CreationTime.Before(next)) {
					run[o.UID] = true
				}
			}
			return run
		}
		run := runOf(js)
		for _, ts := range mine {
			if run[ts.JobSessionUID] {
				v.Attempts++
			}
		}
		if newestDone != nil {
			v.LastResult = newestDone.Result
			if newestDone.Result != vem.ResultSuccess {
				v.Reason = newestDone.Reason
			}
			if newestDone.Result == vem.ResultSuccess || newestDone.Result == vem.ResultWarning {
				run := runOf(jobSession(newestDone.JobSessionUID))
				var failed *vem.BackupTaskSession
				for i := range mine {
					ts := &mine[i]
					if run[ts.JobSessionUID] && ts.State == vem.StateCompleted && ts.Result == vem.ResultFailed &&
						ts.CreationTime.Before(newestDone.CreationTime) && (failed == nil || ts.CreationTime.After(failed.CreationTime)) {
						failed = ts
					}
				}
				if failed != nil {
					v.Recovered = true
					if v.Reason == "" {
						v.Reason = failed.Reason
					}
				}
			}
		}
		var age time.Duration
		if newestOK != nil {
			v.LastSuccess = newestOK.EndTime
			age = now.Sub(newestOK.EndTime)
		}
		switch {
		case newestOK == nil:
			v.Status = health.StatusCritical
		case newestDone.Result == vem.ResultFailed:
			v.Status = health.StatusCritical
			started := jobSession(newestDone.JobSessionUID).CreationTime
			for _, o := range d.JobSessions {
				if o.JobUID == job && o.CreationTime.After(started) && o.State != vem.StateStopped {
					v.Status = health.StatusWarning
				}
			}
		case age > critAge:
			v.Status = health.StatusCritical
		case age > warnAge:
			v.Status = health.StatusWarning
		case newestDone.Result == vem.ResultWarning:
			v.Status = health.StatusWarning
		default:
			v.Status = health.StatusOK
		}
		out[key] = v
	}
	return out
}

func verdictsOf(rep *health.Report) map[string]verdict {
	out := map[string]verdict{}
	for _, vm := range rep.VMs {
		out[string(vm.JobUID)+"|"+vm.UID] = verdict{
			Job: vm.JobName, VM: vm.Name, VMUID: vm.UID, Server: vm.BackupServer, Status: vm.Status,
			LastResult: vm.LastResult, LastSuccess: vm.LastSuccess, Attempts: vm.Attempts,
			Recovered: vm.RecoveredByRetry, Running: vm.Running, Reason: vm.Reason,
		}
	}
	return out
}

func TestFleetGenerate(t *testing.T) {
	f := vemtest.DefaultFleet(500)
	a, b := f.Generate(fleetNow), f.Generate(fleetNow)
	require.Equal(t, a, b, "deterministic")
	f.Seed++
	assert.NotEqual(t, a.TaskSessions[0].UID, f.Generate(fleetNow).TaskSessions[0].UID, "another seed, other data")

	assert.Len(t, a.Servers, 2)
	vms := map[string]map[vem.UID]bool{}
	retries, running := 0, 0
	jobSessions := map[vem.UID]vem.BackupJobSession{}
	for _, js := range a.JobSessions {
		jobSessions[js.UID] = js
		if js.IsRetry {
			retries++
		}
		if js.State != vem.StateStopped {
			running++
			assert.True(t, js.EndTime.IsZero())
		}
		assert.False(t, js.CreationTime.After(fleetNow))
	}
	assert.Positive(t, retries)
	assert.Positive(t, running)
	for i, ts := range a.TaskSessions {
		if i > 0 {
			assert.False(t, ts.CreationTime.Before(a.TaskSessions[i-1].CreationTime), "creation order")
		}
		js, ok := jobSessions[ts.JobSessionUID]
		require.True(t, ok, "job session of %s", ts.Name)
		if vms[ts.VMUID] == nil {
			vms[ts.VMUID] = map[vem.UID]bool{}
		}
		vms[ts.VMUID][js.JobUID] = true
		assert.False(t, ts.CreationTime.Before(js.CreationTime))
		if ts.State == vem.StateCompleted {
			assert.False(t, ts.EndTime.After(fleetNow))
		}
	}
	assert.Len(t, vms, 500)
	twoJobs := 0
	for _, jobs := range vms {
		if len(jobs) == 2 {
			twoJobs++
		}
	}
	assert.Positive(t, twoJobs, "VMs in a backup job and a backup copy job")
}

// TestFleetEveryStatusAnyTime checks that the fleet shows every scenario
// whatever the time of day it is generated at.
func TestFleetEveryStatusAnyTime(t *testing.T) {
	for hour := 0; hour < 24; hour += 3 {
		now := fleetNow.Add(time.Duration(hour)*time.Hour + 17*time.Minute)
		v := bruteForce(vemtest.DefaultFleet(500).Generate(now), now, 7*24*time.Hour, 26*time.Hour, 48*time.Hour)
		seen := map[string]bool{}
		for _, x := range v {
			seen[x.Status.String()] = true
			if x.Recovered {
				seen["recovered"] = true
			}
			if x.Running {
				seen["running"] = true
			}
			if x.Status == health.StatusWarning && x.LastResult == vem.ResultFailed {
				seen["retry under way"] = true
			}
			if x.Status == health.StatusCritical && x.LastResult == vem.ResultFailed && !x.LastSuccess.IsZero() {
				seen["failed again"] = true
			}
			if x.LastSuccess.IsZero() {
				seen["no success"] = true
			}
			if x.Status == health.StatusWarning && x.LastResult == vem.ResultWarning && now.Sub(x.LastSuccess) <= 26*time.Hour {
				seen["warning"] = true
			}
			if x.Status != health.StatusOK && x.LastResult == vem.ResultSuccess {
				seen["stale"] = true
			}
		}
		for _, k := range []string{"ok", "warning", "critical", "recovered", "running", "retry under way", "failed again", "no success", "warning", "stale"} {
			assert.True(t, seen[k], "%v: %s", now, k)
		}
	}
}

func TestFleetEvaluateMatchesBruteForce(t *testing.T) {
	fleet := vemtest.DefaultFleet(500)
	want := bruteForce(fleet.Generate(fleetNow), fleetNow, health.DefaultWindow, health.DefaultWarnAge, health.DefaultCritAge)
	for _, tc := range []struct {
		name   string
		style  vemtest.JSONStyle
		format vem.Format
	}{
		{"XML", vemtest.JSONStyleEM12PascalCase, vem.FormatXML},
		{"EM 12 JSON", vemtest.JSONStyleEM12PascalCase, vem.FormatJSON},
		{"EM 13 JSON", vemtest.JSONStyleEM13CamelCase, vem.FormatJSON},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := vemtest.NewServer(vemtest.WithFleet(fleet), vemtest.WithNow(fleetNow),
				vemtest.WithClock(func() time.Time { return fleetNow }), vemtest.WithJSONStyle(tc.style))
			t.Cleanup(s.Close)
			c, err := vem.New(s.URL, vem.WithHTTPClient(s.Client()), vem.WithCredentials(s.Username, s.Password), vem.WithFormat(tc.format))
			require.NoError(t, err)
			t.Cleanup(func() { _ = c.Close() })

			rep, err := health.Evaluate(t.Context(), c, health.Options{Now: fleetNow})
			require.NoError(t, err)
			got := verdictsOf(rep)
			require.Len(t, got, len(want))
			for k, w := range want {
				assert.Equal(t, w, got[k], k)
			}
			assert.Equal(t, health.StatusCritical, rep.Status)
			for _, s := range []health.Status{health.StatusOK, health.StatusWarning, health.StatusCritical} {
				assert.Positive(t, rep.Counts.Of(s), s)
			}
			byWhy := strings.Builder{}
			for _, vm := range rep.VMs {
				fmt.Fprintln(&byWhy, vm.Why)
			}
			for _, why := range []string{"no successful backup in 7d; last attempt failed: ", "a newer run of the job is under way",
				", after a retry", "ended with a warning: ", "older than 26h", "older than 2d"} {
				assert.Contains(t, byWhy.String(), why)
			}
		})
	}
}

func TestWithFleetServes(t *testing.T) {
	f := vemtest.Fleet{VMs: 40, Seed: 7}
	d := f.Generate(fleetNow)
	s := vemtest.NewServer(vemtest.WithFleet(f), vemtest.WithNow(fleetNow))
	t.Cleanup(s.Close)
	// the fleet replaces the generated data set; the seed task session stays
	assert.Equal(t, len(d.TaskSessions)+1, s.BackupTaskSessionCount())

	more := vemtest.NewServer(vemtest.WithFleet(f), vemtest.WithDataset(10), vemtest.WithNow(fleetNow))
	t.Cleanup(more.Close)
	assert.Equal(t, len(d.TaskSessions)+11, more.BackupTaskSessionCount())

	c, err := vem.New(s.URL, vem.WithHTTPClient(s.Client()), vem.WithCredentials(s.Username, s.Password))
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	want := d.TaskSessions[len(d.TaskSessions)-1]
	got, err := c.GetBackupTaskSession(t.Context(), want.UID.String())
	require.NoError(t, err)
	assert.Equal(t, want.VMDisplayName, got.VMDisplayName)
	assert.Equal(t, want.State, got.State)
	js, err := c.GetBackupJobSession(t.Context(), got.JobSessionUID.String())
	require.NoError(t, err)
	assert.Equal(t, d.Servers[0].Name, func() string { l, _ := js.BackupServerLink(); return l.Name }())
}

func TestFleetDefaults(t *testing.T) {
	d := vemtest.Fleet{}.Generate(fleetNow) // 500 VMs, no random failures
	vms := map[string]bool{}
	for _, ts := range d.TaskSessions {
		vms[ts.VMUID] = true
	}
	assert.Len(t, vms, 500)
	// without random failures, only the scenarios fail
	failed := map[string]bool{}
	for _, ts := range d.TaskSessions {
		if ts.Result == vem.ResultFailed {
			failed[ts.VMDisplayName] = true
		}
	}
	assert.Len(t, failed, 4, "%v", failed)
}
