package vemtest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vemkit/vem"
	"github.com/vemkit/vem/vemtest"
)

func collect[T any](t testing.TB, seq func(func(T, error) bool)) []T {
	t.Helper()
	var out []T
	for v, err := range seq {
		require.NoError(t, err)
		out = append(out, v)
	}
	return out
}

// TestSDKReadsEveryType reads jobs, their objects, job sessions, VM
// restore points and backup servers through the SDK, in each format: the
// SDK and the fake agree on every field.
func TestSDKReadsEveryType(t *testing.T) {
	ctx := context.Background()
	for _, f := range answerStyles {
		t.Run(f.name, func(t *testing.T) {
			srv := newServer(t, vemtest.WithNow(testNow), vemtest.WithClock(vemtest.NewClock(testNow).Now), vemtest.WithJSONStyle(f.style))
			c, err := srv.NewClient(vem.WithFormat(f.format))
			require.NoError(t, err)
			t.Cleanup(func() { _ = c.Close() })

			job, err := c.GetJob(ctx, vemtest.SeedJobID)
			require.NoError(t, err)
			assert.Equal(t, vem.UID("urn:veeam:Job:"+vemtest.SeedJobID), job.UID)
			assert.Equal(t, "vCD Job Template", job.Name)
			assert.Equal(t, vem.JobTypeBackup, job.JobType)
			assert.Equal(t, vem.PlatformVMware, job.Platform)
			assert.True(t, job.ScheduleConfigured)
			assert.True(t, job.ScheduleEnabled)
			assert.True(t, job.NextRun.After(testNow))
			l, ok := job.BackupServerLink()
			require.True(t, ok)
			assert.Equal(t, vemtest.SeedBackupServerID, l.ID())

			incs, err := c.ListJobIncludes(ctx, vemtest.SeedJobID)
			require.NoError(t, err)
			var names []string
			for _, in := range incs {
				names = append(names, in.Name)
				assert.NotEmpty(t, in.ObjectInJobID)
				assert.Contains(t, in.HierarchyObjRef, "urn:VMware:Vm:")
			}
			assert.ElementsMatch(t, []string{"AnT_VM1", "AnT_VM3", "AnT_web01", "AnT_VM2"}, names)

			jobsByName := collect(t, c.QueryJobs(ctx, vem.Query{
				Filter: vem.Eq(vem.JobFieldPlatform, "VMware"), SortAsc: vem.JobFieldName, PageSize: 4,
			}))
			require.Len(t, jobsByName, 6)
			for i := 1; i < len(jobsByName); i++ {
				assert.LessOrEqual(t, strings.ToLower(jobsByName[i-1].Name), strings.ToLower(jobsByName[i].Name))
			}

			sessions := collect(t, c.QueryBackupJobSessions(ctx, vem.Query{
				Filter: vem.Eq(vem.BackupJobSessionFieldJobUID, job.UID), SortDesc: vem.BackupJobSessionFieldCreationTime, PageSize: 2,
			}))
			require.NotEmpty(t, sessions)
			for i, js := range sessions {
				assert.Equal(t, job.UID, js.JobUID)
				if i > 0 {
					assert.False(t, js.CreationTime.After(sessions[i-1].CreationTime))
				}
			}
			seed, err := c.GetBackupJobSession(ctx, vemtest.SeedBackupJobSessionID)
			require.NoError(t, err)
			assert.Contains(t, sessions, seed)

			points := collect(t, c.QueryVMRestorePoints(ctx, vem.Query{
				Filter: vem.Eq(vem.VMRestorePointFieldVMDisplayName, "AnT_VM2"),
			}))
			require.Len(t, points, 1)
			assert.Equal(t, vem.UID("urn:veeam:VmRestorePoint:"+vemtest.SeedVMRestorePointID), points[0].UID)
			assert.Equal(t, "AnT_VM2-bFpa", points[0].VMName)

			bs, err := c.GetBackupServer(ctx, vemtest.SeedBackupServerID)
			require.NoError(t, err)
			assert.Equal(t, 9405, bs.WcfPort)
			assert.Len(t, bs.VBRCertificateThumbprint, 40)
		})
	}
}

// TestAddJob stores a job with its objects and reads it back.
func TestAddJob(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t, vemtest.WithDataset(0))
	const id = "22222222-3333-4444-8555-666666666666"
	next := time.Date(2025, 11, 1, 22, 0, 0, 0, time.UTC)
	srv.AddJob(vem.Job{
		UID: "urn:veeam:Job:" + id, Name: "Replica of <everything>", JobType: vem.JobTypeReplica,
		Platform: vem.PlatformHyperV, Description: `Created by "me" & co`, ScheduleConfigured: true, NextRun: next,
		Links: vem.Links{{Rel: vem.RelUp, Type: vem.TypeBackupServerReference, Href: "https://em:9398/api/backupServers/ce15a8c7-aa49-495e-b05b-ee3398c91018", Name: "srv02.tech.local"}},
	}, vem.JobInclude{Name: "hv01", HierarchyObjRef: "urn:HyperV:Vm:x.1"}, vem.JobInclude{ObjectInJobID: "33333333-3333-4444-8555-666666666666", Name: "hv02", DisplayName: "HV 02"})
	srv.AddJob(vem.Job{UID: "44444444-3333-4444-8555-666666666666", Name: "Defaults"})
	assert.Panics(t, func() { srv.AddJob(vem.Job{UID: "urn:veeam:BackupServer:" + id}) })

	for _, f := range answerStyles {
		t.Run(f.name, func(t *testing.T) {
			c, err := srv.NewClient(vem.WithFormat(f.format))
			require.NoError(t, err)
			t.Cleanup(func() { _ = c.Close() })
			job, err := c.GetJob(ctx, id)
			require.NoError(t, err)
			assert.Equal(t, "Replica of <everything>", job.Name)
			assert.Equal(t, vem.JobTypeReplica, job.JobType)
			assert.Equal(t, vem.PlatformHyperV, job.Platform)
			assert.Equal(t, `Created by "me" & co`, job.Description)
			assert.True(t, job.ScheduleConfigured)
			assert.False(t, job.ScheduleEnabled)
			assert.True(t, next.Equal(job.NextRun))
			incs, err := c.ListJobIncludes(ctx, id)
			require.NoError(t, err)
			require.Len(t, incs, 2)
			assert.Equal(t, "hv01", incs[0].DisplayName)
			assert.Equal(t, "urn:HyperV:Vm:x.1", incs[0].HierarchyObjRef)
			assert.Equal(t, "33333333-3333-4444-8555-666666666666", incs[1].ObjectInJobID)
			assert.Equal(t, "HV 02", incs[1].DisplayName)

			defaults, err := c.GetJob(ctx, "44444444-3333-4444-8555-666666666666")
			require.NoError(t, err)
			assert.Equal(t, vem.JobTypeBackup, defaults.JobType)
			assert.Equal(t, vem.PlatformVMware, defaults.Platform)
			found := collect(t, c.QueryJobs(ctx, vem.Query{Filter: vem.And(
				vem.Eq(vem.JobFieldBackupServerName, "srv02.tech.local"), vem.Eq(vem.JobFieldJobType, vem.JobTypeReplica))}))
			require.Len(t, found, 1)
			assert.Equal(t, job.UID, found[0].UID)
		})
	}
}
