package vem_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vemkit/vem"
	"github.com/vemkit/vem/vemtest"
)

const seedJobName = "vCD Job Template"

func TestFindJob(t *testing.T) {
	ctx := context.Background()
	srv, c := newE2E(t, nil)

	j, err := c.FindJob(ctx, seedJobName)
	require.NoError(t, err)
	assert.Equal(t, vem.UID("urn:veeam:Job:"+vemtest.SeedJobID), j.UID)
	assert.Equal(t, seedJobName, j.Name)

	_, err = c.FindJob(ctx, "No Such Job")
	require.ErrorIs(t, err, vem.ErrNotFound)
	assert.Equal(t, `vem: no job named "No Such Job": not found`, err.Error())

	_, err = c.FindJob(ctx, strings.ToUpper(seedJobName))
	require.ErrorIs(t, err, vem.ErrNotFound, "the name is exact, letter case included")
	assert.Contains(t, err.Error(), `"vCD Job Template" differs only in letter case`)

	_, err = c.FindJob(ctx, " ")
	require.Error(t, err)

	// A second job of the same name on another backup server.
	const other = "0b5e4d2a-1c3f-4e5d-8a9b-0c1d2e3f4a5b"
	srv.AddJob(vem.Job{UID: "urn:veeam:Job:" + other, Name: seedJobName, JobType: vem.JobTypeBackup, Platform: vem.PlatformVMware,
		Links: vem.Links{{Rel: vem.RelUp, Type: vem.TypeBackupServerReference, Href: "https://localhost:9398/api/backupServers/ce15a8c7-aa49-495e-b05b-ee3398c91018", Name: "srv02.tech.local"}}})
	_, err = c.FindJob(ctx, seedJobName)
	require.ErrorIs(t, err, vem.ErrAmbiguousName)
	var ae *vem.AmbiguousNameError
	require.True(t, errors.As(err, &ae))
	assert.Equal(t, vem.KindJob, ae.Kind)
	assert.Equal(t, seedJobName, ae.Name)
	var uids []vem.UID
	for _, m := range ae.Matches {
		uids = append(uids, m.UID)
	}
	assert.ElementsMatch(t, []vem.UID{"urn:veeam:Job:" + vemtest.SeedJobID, "urn:veeam:Job:" + other}, uids)
	assert.Contains(t, err.Error(), "srv02.tech.local")
	assert.Equal(t, 1, strings.Count(err.Error(), "vem:"))
	for route := range srv.Stats().Routes {
		assert.False(t, strings.HasPrefix(route, "POST "+"/api/jobs"), "FindJob only reads: %s", route)
	}
}

// The task session's job name comes from its job session link's Name.
func TestBackupTaskSessionJobName(t *testing.T) {
	ctx := context.Background()
	for _, f := range []vem.Format{vem.FormatXML, vem.FormatJSON} {
		_, c := newE2E(t, nil, vem.WithFormat(f))
		ts, err := c.GetBackupTaskSession(ctx, vemtest.SeedBackupTaskSessionID)
		require.NoError(t, err)
		assert.Equal(t, seedJobName, ts.JobName(), f)
	}
	tests := []struct{ link, want string }{
		{"vCD Job Template@2025-10-11 20:00:04", "vCD Job Template"},
		{"backup@home@2025-10-11 20:00:04", "backup@home"},
		{"no time here", ""},
		{"Job@yesterday", ""},
		{"@2025-10-11 20:00:04", ""},
	}
	for _, tt := range tests {
		ts := &vem.BackupTaskSession{Links: vem.Links{{Rel: vem.RelUp, Type: vem.TypeBackupJobSessionReference, Name: tt.link}}}
		assert.Equal(t, tt.want, ts.JobName(), tt.link)
	}
	assert.Empty(t, (&vem.BackupTaskSession{}).JobName(), "no link")
}

func TestBackupJobSessionDuration(t *testing.T) {
	start := time.Date(2026, 3, 10, 22, 0, 0, 0, time.UTC)
	ended := &vem.BackupJobSession{CreationTime: start, EndTime: start.Add(46*time.Minute + 32*time.Second), State: vem.StateStopped}
	running := &vem.BackupJobSession{CreationTime: start, State: vem.StateWorking}
	now := start.Add(time.Hour)
	tests := []struct {
		name  string
		s     *vem.BackupJobSession
		d, at time.Duration
	}{
		{"ended", ended, 46*time.Minute + 32*time.Second, 46*time.Minute + 32*time.Second},
		{"running", running, 0, time.Hour},
		{"no start", &vem.BackupJobSession{}, 0, 0},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.d, tt.s.Duration(), tt.name)
		assert.Equal(t, tt.at, tt.s.DurationAt(now), tt.name)
	}
	assert.Equal(t, time.Duration(0), running.DurationAt(start.Add(-time.Minute)), "a clock behind the start is not negative")
	ts := &vem.BackupTaskSession{CreationTime: start}
	assert.Equal(t, time.Hour, ts.DurationAt(now))
	assert.Equal(t, time.Duration(0), ts.Duration())
}
