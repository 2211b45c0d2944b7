package health

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vemkit/vem"
)

// TestDocExamples checks the worked examples of the package documentation.
func TestDocExamples(t *testing.T) {
	tests := []struct {
		name     string
		build    func(f *fixture)
		status   Status
		why      string
		attempts int
	}{{
		name: "rule 1",
		build: func(f *fixture) {
			f.task(f.run("Daily", 9*24*h-4*h, h, false), "db01", 0, 10*m, vem.ResultSuccess, "")
			f.task(f.run("Daily", 64*h, h, false), "db01", 0, 10*m, vem.ResultFailed, "Datastore full")
		},
		status: StatusCritical, why: "no successful backup in 7d; last attempt failed: Datastore full", attempts: 1,
	}, {
		name: "rule 2",
		build: func(f *fixture) {
			f.task(f.run("Daily", 40*h, 20*m, false), "web01", 0, 10*m, vem.ResultSuccess, "")
			f.task(f.run("Daily", 16*h, 20*m, false), "web01", 2*m, 10*m, vem.ResultFailed, "Snapshot failed")
			f.task(f.run("Daily", 15*h+35*m, 10*m, true), "web01", 0, 5*m, vem.ResultFailed, "Host unreachable")
		},
		status: StatusCritical, why: "last attempt failed: Host unreachable; last success 39h50m ago", attempts: 2,
	}, {
		name: "rule 2, retry under way",
		build: func(f *fixture) {
			f.task(f.run("Daily", 40*h, 20*m, false), "web01", 0, 10*m, vem.ResultSuccess, "")
			f.task(f.run("Daily", 16*h, 20*m, false), "web01", 2*m, 10*m, vem.ResultFailed, "Snapshot failed")
			f.run("Daily", 15*h+35*m, 0, true)
		},
		status: StatusWarning, why: "last attempt failed: Snapshot failed; a newer run of the job is under way; last success 39h50m ago", attempts: 1,
	}, {
		name: "rule 3, warning",
		build: func(f *fixture) {
			f.task(f.run("Weekly", 30*h, h, false), "app01", 0, 10*m, vem.ResultSuccess, "")
		},
		status: StatusWarning, why: "last successful backup 29h50m ago, older than 26h", attempts: 1,
	}, {
		name: "rule 3, critical",
		build: func(f *fixture) {
			f.task(f.run("Weekly", 3*24*h+6*h, h, false), "app01", 0, 10*m, vem.ResultSuccess, "")
		},
		status: StatusCritical, why: "last successful backup 3d5h ago, older than 2d", attempts: 1,
	}, {
		name: "rule 4",
		build: func(f *fixture) {
			f.task(f.run("Daily", 16*h, h, false), "fs01", 0, 30*m, vem.ResultWarning, "Changed block tracking is disabled")
		},
		status: StatusWarning, why: "last backup 15h30m ago ended with a warning: Changed block tracking is disabled", attempts: 1,
	}, {
		name: "rule 5",
		build: func(f *fixture) {
			f.task(f.run("Daily", 16*h, 20*m, false), "sql01", 2*m, 10*m, vem.ResultFailed, "Snapshot failed")
			f.task(f.run("Daily", 15*h+30*m, 20*m, true), "sql01", 0, 10*m, vem.ResultSuccess, "")
		},
		status: StatusOK, why: "last backup succeeded 15h20m ago, after a retry", attempts: 2,
	}, {
		name: "rule 5, running",
		build: func(f *fixture) {
			f.task(f.run("Daily", 16*h, 20*m, false), "sql01", 2*m, 10*m, vem.ResultFailed, "Snapshot failed")
			f.task(f.run("Daily", 15*h+30*m, 20*m, true), "sql01", 0, 10*m, vem.ResultSuccess, "")
			f.task(f.run("Daily", 30*m, 0, false), "sql01", 0, 0, "", "")
		},
		status: StatusOK, why: "last backup succeeded 15h20m ago, after a retry", attempts: 1,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fixture{}
			tt.build(f)
			opts, err := Options{Now: testNow}.withDefaults()
			require.NoError(t, err)
			rep := evaluate(testNow, opts, f.tasks, f.jobs)
			require.Len(t, rep.VMs, 1)
			assert.Equal(t, tt.status, rep.VMs[0].Status)
			assert.Equal(t, tt.why, rep.VMs[0].Why)
			assert.Equal(t, tt.attempts, rep.VMs[0].Attempts)
		})
	}
}
