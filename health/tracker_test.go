package health_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vemkit/vem"
	"github.com/vemkit/vem/health"
	"github.com/vemkit/vem/vemtest"
)

// requireSameReport checks that two reports hold the same verdicts.
func requireSameReport(t *testing.T, want, got *health.Report) {
	t.Helper()
	require.Equal(t, want.Status, got.Status)
	require.Equal(t, want.Counts, got.Counts)
	require.Equal(t, len(want.VMs), len(got.VMs))
	for i := range want.VMs {
		require.Equal(t, want.VMs[i], got.VMs[i], "VM %d", i)
	}
	require.Equal(t, want.Jobs, got.Jobs)
}

func TestTrackerFollowsEvaluate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	clock := vemtest.NewClock(now)
	srv := vemtest.NewServer(vemtest.WithFleet(vemtest.DefaultFleet(200)), vemtest.WithNow(now),
		vemtest.WithClock(clock.Now), vemtest.WithIdleTimeout(0))
	defer srv.Close()
	c, err := srv.NewClient()
	require.NoError(t, err)
	defer c.Close()

	tr, err := health.NewTracker(health.Options{}, 0)
	require.NoError(t, err)
	assert.Equal(t, health.StatusUnknown, tr.Report(now).Status, "nothing read yet")

	// The first refresh reads the window, as Evaluate does.
	st, err := tr.Refresh(ctx, c, now)
	require.NoError(t, err)
	assert.True(t, st.Full)
	want, err := health.Evaluate(ctx, c, health.Options{Now: now})
	require.NoError(t, err)
	requireSameReport(t, want, tr.Report(now))
	require.Positive(t, want.Counts.Critical)

	// Nothing new: two queries of one page each.
	before := srv.Stats().Requests
	now = now.Add(5 * time.Minute)
	clock.Set(now)
	st, err = tr.Refresh(ctx, c, now)
	require.NoError(t, err)
	assert.False(t, st.Full)
	assert.Equal(t, now.Add(-5*time.Minute-health.DefaultOverlap), st.Since)
	assert.Equal(t, 2, srv.Stats().Requests-before, "a refresh with nothing new")

	// A new run of a job: a failure for one VM and a success for another,
	// and a task that was running completes.
	jsUID := vem.UID("urn:veeam:BackupJobSession:0f0f0f0f-0000-4000-8000-000000000001")
	jobUID := want.Jobs[0].UID
	jobName := want.Jobs[0].Name
	var vms []health.VM
	for _, vm := range want.VMs {
		if vm.JobUID == jobUID && len(vms) < 2 {
			vms = append(vms, vm)
		}
	}
	require.Len(t, vms, 2)
	start := now.Add(-2 * time.Minute)
	srv.AddBackupJobSession(vem.BackupJobSession{
		UID: jsUID, Name: jobName + "@new", JobUID: jobUID, JobName: jobName, JobType: "Backup",
		CreationTime: start, EndTime: now.Add(-time.Minute), State: vem.StateCompleted, Result: vem.ResultFailed,
	})
	for i, vm := range vms {
		result := vem.ResultFailed
		if i == 1 {
			result = vem.ResultSuccess
		}
		srv.AddBackupTaskSession(vem.BackupTaskSession{
			UID:  vem.UID(fmt.Sprintf("urn:veeam:BackupTaskSession:0f0f0f0f-0000-4000-8000-00000000010%d", i)),
			Name: vm.Name + "@new", VMDisplayName: vm.Name, VMUID: vm.UID, JobSessionUID: jsUID,
			CreationTime: start, EndTime: now.Add(-time.Minute), State: vem.StateCompleted, Result: result,
			Reason: "Simulated", TotalSize: 1 << 20,
		})
	}
	now = now.Add(5 * time.Minute)
	clock.Set(now)
	st, err = tr.Refresh(ctx, c, now)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, st.TaskSessions, 2)
	want, err = health.Evaluate(ctx, c, health.Options{Now: now})
	require.NoError(t, err)
	requireSameReport(t, want, tr.Report(now))

	// Days later the window has slid: the tracker holds only what is in
	// it and still judges as Evaluate does.
	tasks, jobs := tr.Sessions()
	now = now.Add(4 * 24 * time.Hour)
	clock.Set(now)
	_, err = tr.Refresh(ctx, c, now)
	require.NoError(t, err)
	tasks2, jobs2 := tr.Sessions()
	assert.Less(t, tasks2, tasks)
	assert.Less(t, jobs2, jobs)
	want, err = health.Evaluate(ctx, c, health.Options{Now: now})
	require.NoError(t, err)
	requireSameReport(t, want, tr.Report(now))
}

func TestTrackerErrors(t *testing.T) {
	t.Parallel()
	_, err := health.NewTracker(health.Options{WarnAge: -1}, 0)
	require.ErrorIs(t, err, health.ErrInvalidOptions)
	_, err = health.NewTracker(health.Options{}, -time.Second)
	require.ErrorIs(t, err, health.ErrInvalidOptions)

	tr, err := health.NewTracker(health.Options{}, 0)
	require.NoError(t, err)
	_, err = tr.Refresh(context.Background(), nil, time.Time{})
	require.Error(t, err)

	// A failed refresh keeps what was held and reads the whole window next
	// time.
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	srv := vemtest.NewServer(vemtest.WithFleet(vemtest.DefaultFleet(50)), vemtest.WithNow(now),
		vemtest.WithClock(func() time.Time { return now }))
	defer srv.Close()
	c, err := srv.NewClient(vem.WithRetry(vem.RetryPolicy{MaxAttempts: 1}))
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Logon(context.Background()))
	srv.FailNext(10, 500)
	_, err = tr.Refresh(context.Background(), c, now)
	require.Error(t, err)
	assert.Equal(t, health.StatusUnknown, tr.Report(now).Status)
}
