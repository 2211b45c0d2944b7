package vem_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vemkit/vem"
	"github.com/vemkit/vem/vemtest"
)

// End-to-end tests: the client against vemtest over real HTTPS.

const seedID = vemtest.SeedBackupTaskSessionID

func newE2E(t *testing.T, srvOpts []vemtest.Option, opts ...vem.Option) (*vemtest.Server, *vem.Client) {
	t.Helper()
	s := vemtest.NewServer(srvOpts...)
	t.Cleanup(s.Close)
	c, err := vem.New(s.URL, append([]vem.Option{vem.WithHTTPClient(s.Client()), vem.WithCredentials(s.Username, s.Password)}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return s, c
}

func assertSeed(t *testing.T, ts *vem.BackupTaskSession) {
	t.Helper()
	assert.Equal(t, vem.UID("urn:veeam:BackupTaskSession:"+seedID), ts.UID)
	assert.Equal(t, "AnT_VM2@2025-10-11 20:06:09", ts.Name)
	assert.Equal(t, "AnT_VM2", ts.VMDisplayName)
	assert.Equal(t, vem.UID("urn:veeam:BackupJobSession:0d3a8230-3db1-4cc1-a7b2-3b0b5c8f784c"), ts.JobSessionUID)
	assert.Equal(t, time.Date(2025, 10, 11, 20, 6, 9, 627e6, time.UTC), ts.CreationTime)
	assert.Equal(t, time.Date(2025, 10, 11, 20, 7, 9, 347e6, time.UTC), ts.EndTime)
	assert.Equal(t, vem.StateCompleted, ts.State)
	assert.Equal(t, vem.ResultSuccess, ts.Result)
	assert.Equal(t, "", ts.Reason)
	assert.Equal(t, int64(12884901888), ts.TotalSize)
	assert.Equal(t, "urn:VMware:Vm:a87d15db-dd70-4769-acd6-41bae88219d4.vm-91826", ts.VMUID)
	require.Len(t, ts.Links, 4)
	for _, tc := range []struct {
		get  func() (vem.Link, bool)
		id   string
		name string
	}{
		{ts.BackupServerLink, "a490c017-2c1c-40ee-8bcf-73bcce6ab36f", "enterprise01.tech.local"},
		{ts.BackupJobSessionLink, "0d3a8230-3db1-4cc1-a7b2-3b0b5c8f784c", "vCD Job Template@2025-10-11 20:00:04"},
		{ts.AlternateLink, seedID, "AnT_VM2@2025-10-11 20:06:09"},
		{ts.VMRestorePointLink, "a3571c27-a3a9-4ac8-8dfb-71a2336b3218", "AnT_VM2-bFpa@2025-10-11 20:06:23"},
	} {
		l, ok := tc.get()
		require.True(t, ok)
		assert.Equal(t, tc.id, l.ID())
		assert.Equal(t, tc.name, l.Name)
	}
}

func TestE2EGetSeedAllFormats(t *testing.T) {
	for _, tc := range []struct {
		name   string
		style  vemtest.JSONStyle
		format vem.Format
	}{
		{"xml", vemtest.JSONStyleEM12PascalCase, vem.FormatXML},
		{"json-em12", vemtest.JSONStyleEM12PascalCase, vem.FormatJSON},
		{"json-em13", vemtest.JSONStyleEM13CamelCase, vem.FormatJSON},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, c := newE2E(t, []vemtest.Option{vemtest.WithJSONStyle(tc.style)}, vem.WithFormat(tc.format))
			ts, err := c.GetBackupTaskSession(context.Background(), "urn:veeam:BackupTaskSession:"+seedID)
			require.NoError(t, err)
			assertSeed(t, ts)
			assert.Equal(t, 1, s.Stats().Logons)
		})
	}
}

func TestE2EExpiryAndRelogon(t *testing.T) {
	s, c := newE2E(t, nil)
	ctx := context.Background()
	_, err := c.GetBackupTaskSession(ctx, seedID)
	require.NoError(t, err)
	first := c.SessionID()
	s.ExpireSessions()
	ts, err := c.GetBackupTaskSession(ctx, seedID)
	require.NoError(t, err)
	assertSeed(t, ts)
	st := s.Stats()
	assert.Equal(t, 2, st.Logons)
	assert.Equal(t, 1, st.Unauthorized)
	assert.NotEqual(t, first, c.SessionID())
}

func TestE2EIdleTimeout(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s, c := newE2E(t, []vemtest.Option{vemtest.WithClock(clock), vemtest.WithIdleTimeout(15 * time.Minute)})
	ctx := context.Background()
	_, err := c.GetBackupTaskSession(ctx, seedID)
	require.NoError(t, err)
	mu.Lock()
	now = now.Add(14 * time.Minute)
	mu.Unlock()
	_, err = c.GetBackupTaskSession(ctx, seedID)
	require.NoError(t, err)
	assert.Equal(t, 1, s.Stats().Logons, "used within the idle timeout")
	mu.Lock()
	now = now.Add(16 * time.Minute)
	mu.Unlock()
	_, err = c.GetBackupTaskSession(ctx, seedID)
	require.NoError(t, err)
	assert.Equal(t, 2, s.Stats().Logons, "idle too long: logged on again once")
}

func TestE2ELogout(t *testing.T) {
	s, c := newE2E(t, nil)
	ctx := context.Background()
	require.NoError(t, c.Logon(ctx))
	tok := c.SessionID()
	require.NotEmpty(t, tok)
	require.NoError(t, c.Logout(ctx))
	assert.Empty(t, c.SessionID())
	require.NoError(t, c.Logout(ctx), "twice is fine")
	assert.Equal(t, 1, s.Stats().Logouts)

	// The old token is dead on the server.
	borrowed, err := vem.New(s.URL, vem.WithHTTPClient(s.Client()), vem.WithSessionID(tok))
	require.NoError(t, err)
	_, err = borrowed.GetBackupTaskSession(ctx, seedID)
	assert.ErrorIs(t, err, vem.ErrUnauthorized)
	require.NoError(t, borrowed.Close())
}

func TestE2EBorrowedSession(t *testing.T) {
	s, owner := newE2E(t, nil)
	ctx := context.Background()
	require.NoError(t, owner.Logon(ctx))
	c, err := vem.New(s.URL, vem.WithHTTPClient(s.Client()), vem.WithSessionID(owner.SessionID()))
	require.NoError(t, err)
	ts, err := c.GetBackupTaskSession(ctx, seedID)
	require.NoError(t, err)
	assertSeed(t, ts)
	require.NoError(t, c.Close())
	assert.Equal(t, 0, s.Stats().Logouts, "Close leaves a borrowed session open")
	_, err = owner.GetBackupTaskSession(ctx, seedID)
	require.NoError(t, err)

	// Logout of a borrowed session finds its SessionId and ends it.
	c, err = vem.New(s.URL, vem.WithHTTPClient(s.Client()), vem.WithSessionID(owner.SessionID()))
	require.NoError(t, err)
	require.NoError(t, c.Logout(ctx))
	assert.Equal(t, 1, s.Stats().Logouts)
	require.NoError(t, c.Close())
}

func TestE2ENotFoundAndForbidden(t *testing.T) {
	s, c := newE2E(t, []vemtest.Option{vemtest.WithForbiddenUser("viewer", "viewer-pass")})
	ctx := context.Background()
	_, err := c.GetBackupTaskSession(ctx, "00000000-0000-4000-8000-000000000000")
	require.ErrorIs(t, err, vem.ErrNotFound)
	var apiErr *vem.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 404, apiErr.StatusCode)
	assert.NotEmpty(t, apiErr.Message, "EM's message")

	_, err = c.GetBackupTaskSession(ctx, "../logonSessions")
	require.ErrorIs(t, err, vem.ErrInvalidID)

	viewer, err := vem.New(s.URL, vem.WithHTTPClient(s.Client()), vem.WithCredentials("viewer", "viewer-pass"))
	require.NoError(t, err)
	_, err = viewer.GetBackupTaskSession(ctx, seedID)
	assert.ErrorIs(t, err, vem.ErrForbidden)
	require.NoError(t, viewer.Close())

	wrong, err := vem.New(s.URL, vem.WithHTTPClient(s.Client()), vem.WithCredentials(s.Username, "wrong"))
	require.NoError(t, err)
	_, err = wrong.GetBackupTaskSession(ctx, seedID)
	assert.ErrorIs(t, err, vem.ErrUnauthorized)
	require.NoError(t, wrong.Close())
	assert.Equal(t, 1, s.Stats().FailedLogons, "a wrong password is tried once")
}

func TestE2EConcurrentCallsShareOneLogon(t *testing.T) {
	s, c := newE2E(t, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ts, err := c.GetBackupTaskSession(context.Background(), seedID)
			if err == nil && ts.TotalSize != 12884901888 {
				err = fmt.Errorf("wrong entity %v", ts.UID)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, 1, s.Stats().Logons)
	s.ExpireSessions()
	wg = sync.WaitGroup{}
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.GetBackupTaskSession(context.Background(), seedID)
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	assert.Equal(t, 2, s.Stats().Logons, "one re-logon for all goroutines")
}

func TestE2ERelatedResources(t *testing.T) {
	// EM writes another host into Hrefs; links must still be read from the
	// configured one.
	_, c := newE2E(t, []vemtest.Option{vemtest.WithHrefHost("localhost:1")})
	ctx := context.Background()
	ts, err := c.GetBackupTaskSession(ctx, seedID)
	require.NoError(t, err)
	l, _ := ts.BackupJobSessionLink()
	assert.Contains(t, l.Href, "localhost:1")

	var js vem.BackupJobSession
	require.NoError(t, c.FollowLink(ctx, l, &js))
	assert.Equal(t, "vCD Job Template@2025-10-11 20:00:04", js.Name)
	js2, err := c.GetBackupJobSession(ctx, l.ID())
	require.NoError(t, err)
	assert.Equal(t, js.UID, js2.UID)

	l, _ = ts.BackupServerLink()
	srv, err := c.GetBackupServer(ctx, l.ID())
	require.NoError(t, err)
	assert.Equal(t, "enterprise01.tech.local", srv.Name)

	l, _ = ts.VMRestorePointLink()
	rp, err := c.GetVMRestorePoint(ctx, l.ID())
	require.NoError(t, err)
	assert.Equal(t, "AnT_VM2-bFpa@2025-10-11 20:06:23", rp.Name)

	var ref vem.EntityRef
	l, _ = ts.AlternateLink()
	require.NoError(t, c.FollowLink(ctx, l, &ref))
	assert.Equal(t, "BackupTaskSessionReference", ref.Type)

	refs, err := c.ListBackupJobSessionTaskSessions(ctx, js.UID.String())
	require.NoError(t, err)
	found := false
	for _, r := range refs {
		found = found || r.ID() == seedID
	}
	assert.True(t, found, "the job session lists the seed task")
	tl, ok := js.BackupTaskSessionsLink()
	require.True(t, ok)
	var refs2 []vem.EntityRef
	require.NoError(t, c.FollowLink(ctx, tl, &refs2))
	assert.Equal(t, len(refs), len(refs2))

	list, err := c.ListBackupTaskSessions(ctx)
	require.NoError(t, err)
	assert.NotEmpty(t, list)
}

func TestE2EQueryFilters(t *testing.T) {
	for _, style := range []struct {
		name   string
		style  vemtest.JSONStyle
		format vem.Format
	}{{"xml", vemtest.JSONStyleEM12PascalCase, vem.FormatXML}, {"em12", vemtest.JSONStyleEM12PascalCase, vem.FormatJSON}, {"em13", vemtest.JSONStyleEM13CamelCase, vem.FormatJSON}} {
		t.Run(style.name, func(t *testing.T) {
			s, c := newE2E(t, []vemtest.Option{vemtest.WithDataset(250), vemtest.WithJSONStyle(style.style)}, vem.WithFormat(style.format))
			ctx := context.Background()
			all := queryAll(t, c, vem.Query{PageSize: 40, SortAsc: "CreationTime"})
			require.Len(t, all, s.BackupTaskSessionCount())
			for i := 1; i < len(all); i++ {
				require.False(t, all[i].CreationTime.Before(all[i-1].CreationTime), "sorted ascending")
			}
			since := all[len(all)/2].CreationTime
			cases := []struct {
				name  string
				f     vem.Filter
				match func(*vem.BackupTaskSession) bool
			}{
				{"failed", vem.Eq("Result", vem.ResultFailed), func(ts *vem.BackupTaskSession) bool { return ts.Result == vem.ResultFailed }},
				{"worse than success", vem.Gt("Result", vem.ResultSuccess), func(ts *vem.BackupTaskSession) bool {
					return ts.Result == vem.ResultWarning || ts.Result == vem.ResultFailed
				}},
				{"since", vem.Ge("CreationTime", since), func(ts *vem.BackupTaskSession) bool { return !ts.CreationTime.Before(since) }},
				{"failed or warning since", vem.And(vem.Or(vem.Eq("Result", vem.ResultFailed), vem.Eq("Result", vem.ResultWarning)), vem.Ge("CreationTime", since)),
					func(ts *vem.BackupTaskSession) bool {
						return (ts.Result == vem.ResultFailed || ts.Result == vem.ResultWarning) && !ts.CreationTime.Before(since)
					}},
				{"big", vem.Gt("TotalSize", int64(1)<<32), func(ts *vem.BackupTaskSession) bool { return ts.TotalSize > 1<<32 }},
				{"vm", vem.Eq("VmDisplayName", "AnT_VM2"), func(ts *vem.BackupTaskSession) bool { return ts.VMDisplayName == "AnT_VM2" }},
				{"running", vem.Ne("State", vem.StateCompleted), func(ts *vem.BackupTaskSession) bool { return ts.State != vem.StateCompleted }},
			}
			for _, tc := range cases {
				want := 0
				for _, ts := range all {
					if tc.match(ts) {
						want++
					}
				}
				got := queryAll(t, c, vem.Query{Filter: tc.f, PageSize: 7, SortDesc: "CreationTime"})
				assert.Len(t, got, want, tc.name)
				assert.NotZero(t, want, "dataset covers %s", tc.name)
				for _, ts := range got {
					assert.True(t, tc.match(ts), "%s: %s", tc.name, ts.Name)
				}
			}
			// A job name with spaces and quotes survives the trip.
			var jobName string
			for _, ts := range all {
				if l, ok := ts.BackupJobSessionLink(); ok {
					js, err := c.GetBackupJobSession(ctx, l.ID())
					require.NoError(t, err)
					if js.JobName != "" && containsAny(js.JobName, ` "`) {
						jobName = js.JobName
						break
					}
				}
			}
			require.NotEmpty(t, jobName, "dataset has a job name with a space or quote")
			got := queryAll(t, c, vem.Query{Filter: vem.Eq("JobName", jobName)})
			require.NotEmpty(t, got)
		})
	}
}

func containsAny(s, chars string) bool {
	for _, c := range chars {
		for _, r := range s {
			if r == c {
				return true
			}
		}
	}
	return false
}

func queryAll(t *testing.T, c *vem.Client, q vem.Query) []*vem.BackupTaskSession {
	t.Helper()
	var out []*vem.BackupTaskSession
	for ts, err := range c.QueryBackupTaskSessions(context.Background(), q) {
		require.NoError(t, err)
		out = append(out, ts)
	}
	return out
}

func TestE2EQueryRelogonMidway(t *testing.T) {
	s, c := newE2E(t, []vemtest.Option{vemtest.WithDataset(100)})
	n := 0
	for ts, err := range c.QueryBackupTaskSessions(context.Background(), vem.Query{PageSize: 10, Concurrency: 1}) {
		require.NoError(t, err)
		require.NotNil(t, ts)
		n++
		if n == 25 {
			s.ExpireSessions()
		}
	}
	assert.Equal(t, s.BackupTaskSessionCount(), n)
	assert.Equal(t, 2, s.Stats().Logons)
}

func TestE2EErrorsAreTyped(t *testing.T) {
	s, c := newE2E(t, nil, vem.WithRetry(vem.NoRetries()))
	s.FailNext(1, 500)
	_, err := c.GetBackupTaskSession(context.Background(), seedID)
	var apiErr *vem.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 500, apiErr.StatusCode)
	assert.NotEmpty(t, apiErr.Message)
	assert.False(t, errors.Is(err, vem.ErrNotFound))
}

// e2eQueryCase runs one queryable type against vemtest: every object, then
// filtered subsets checked against the full listing.
type e2eQueryCase[T any] struct {
	name  string
	query func(c *vem.Client, q vem.Query) iter.Seq2[*T, error]
	uid   func(*T) vem.UID
	time  func(*T) time.Time
	sort  vem.Field
	cases []e2eFilter[T]
}

type e2eFilter[T any] struct {
	name  string
	f     vem.Filter
	match func(*T) bool
}

func collectE2E[T any](t *testing.T, seq iter.Seq2[*T, error]) []*T {
	t.Helper()
	var out []*T
	for v, err := range seq {
		require.NoError(t, err)
		out = append(out, v)
	}
	return out
}

func (qc e2eQueryCase[T]) run(t *testing.T, c *vem.Client) {
	all := collectE2E(t, qc.query(c, vem.Query{PageSize: 1000, Concurrency: 1, SortAsc: qc.sort}))
	require.Greater(t, len(all), 6, "%s: the data set has enough objects to page", qc.name)
	for _, conc := range []int{1, 4} {
		paged := collectE2E(t, qc.query(c, vem.Query{PageSize: 3, Concurrency: conc, SortAsc: qc.sort}))
		require.Equal(t, len(all), len(paged), "%s conc=%d", qc.name, conc)
		for i := range all {
			require.Equal(t, qc.uid(all[i]), qc.uid(paged[i]), "%s conc=%d: same order page by page", qc.name, conc)
		}
		desc := collectE2E(t, qc.query(c, vem.Query{PageSize: 5, Concurrency: conc, SortDesc: qc.sort}))
		require.Len(t, desc, len(all))
		for i := 1; i < len(desc); i++ {
			require.False(t, qc.time(desc[i]).After(qc.time(desc[i-1])), "%s: sorted descending", qc.name)
		}
	}
	for _, fc := range qc.cases {
		want := 0
		for _, v := range all {
			if fc.match(v) {
				want++
			}
		}
		require.NotZero(t, want, "%s: the data set covers %q", qc.name, fc.name)
		got := collectE2E(t, qc.query(c, vem.Query{Filter: fc.f, PageSize: 2, Concurrency: 3, SortDesc: qc.sort}))
		assert.Len(t, got, want, "%s %s", qc.name, fc.name)
		for _, v := range got {
			assert.True(t, fc.match(v), "%s %s: %s", qc.name, fc.name, qc.uid(v))
		}
	}
}

// QueryBackupJobSessions, QueryVMRestorePoints and QueryJobs work end to end
// against vemtest as QueryBackupTaskSessions does: in XML and both JSON
// casings, paged, sorted, filtered and concurrent.
func TestE2EQueryEveryType(t *testing.T) {
	for _, style := range []struct {
		name   string
		style  vemtest.JSONStyle
		format vem.Format
	}{{"xml", vemtest.JSONStyleEM12PascalCase, vem.FormatXML}, {"em12", vemtest.JSONStyleEM12PascalCase, vem.FormatJSON}, {"em13", vemtest.JSONStyleEM13CamelCase, vem.FormatJSON}} {
		t.Run(style.name, func(t *testing.T) {
			_, c := newE2E(t, []vemtest.Option{vemtest.WithDataset(250), vemtest.WithJSONStyle(style.style)}, vem.WithFormat(style.format))
			e2eQueryCase[vem.BackupJobSession]{
				name: "job sessions", sort: vem.BackupJobSessionFieldCreationTime,
				query: func(c *vem.Client, q vem.Query) iter.Seq2[*vem.BackupJobSession, error] {
					return c.QueryBackupJobSessions(context.Background(), q)
				},
				uid:  func(s *vem.BackupJobSession) vem.UID { return s.UID },
				time: func(s *vem.BackupJobSession) time.Time { return s.CreationTime },
				cases: []e2eFilter[vem.BackupJobSession]{
					{"failed", vem.Eq(vem.BackupJobSessionFieldResult, vem.ResultFailed), func(s *vem.BackupJobSession) bool { return s.Result == vem.ResultFailed }},
					{"finished", vem.Eq(vem.BackupJobSessionFieldState, vem.StateStopped), func(s *vem.BackupJobSession) bool { return s.State == vem.StateStopped }},
					{"one job", vem.Eq(vem.BackupJobSessionFieldJobName, "vCD Job Template"), func(s *vem.BackupJobSession) bool { return s.JobName == "vCD Job Template" }},
				},
			}.run(t, c)
			e2eQueryCase[vem.VMRestorePoint]{
				name: "VM restore points", sort: vem.VMRestorePointFieldCreationTime,
				query: func(c *vem.Client, q vem.Query) iter.Seq2[*vem.VMRestorePoint, error] {
					return c.QueryVMRestorePoints(context.Background(), q)
				},
				uid:  func(p *vem.VMRestorePoint) vem.UID { return p.UID },
				time: func(p *vem.VMRestorePoint) time.Time { return p.CreationTime },
				cases: []e2eFilter[vem.VMRestorePoint]{
					{"one VM", vem.Eq(vem.VMRestorePointFieldVMDisplayName, "AnT_VM2"), func(p *vem.VMRestorePoint) bool { return p.VMDisplayName == "AnT_VM2" }},
				},
			}.run(t, c)
			all := collectE2E(t, c.QueryJobs(context.Background(), vem.Query{}))
			require.NotEmpty(t, all)
			spaced := ""
			for _, j := range all {
				if strings.ContainsAny(j.Name, ` "`) {
					spaced = j.Name
				}
			}
			require.NotEmpty(t, spaced, "a job name with a space or a quote")
			jobs := e2eQueryCase[vem.Job]{
				name: "jobs", sort: vem.JobFieldNextRun,
				query: func(c *vem.Client, q vem.Query) iter.Seq2[*vem.Job, error] {
					return c.QueryJobs(context.Background(), q)
				},
				uid:  func(j *vem.Job) vem.UID { return j.UID },
				time: func(j *vem.Job) time.Time { return j.NextRun },
				cases: []e2eFilter[vem.Job]{
					{"by name", vem.Eq(vem.JobFieldName, spaced), func(j *vem.Job) bool { return j.Name == spaced }},
					{"backup jobs", vem.Eq(vem.JobFieldJobType, vem.JobTypeBackup), func(j *vem.Job) bool { return j.JobType == vem.JobTypeBackup }},
				},
			}
			if len(all) > 6 {
				jobs.run(t, c)
			} else {
				for _, fc := range jobs.cases {
					got := collectE2E(t, c.QueryJobs(context.Background(), vem.Query{Filter: fc.f, PageSize: 1, Concurrency: 2}))
					require.NotEmpty(t, got, fc.name)
					for _, j := range got {
						assert.True(t, fc.match(j), fc.name)
					}
				}
				paged := collectE2E(t, c.QueryJobs(context.Background(), vem.Query{PageSize: 1, Concurrency: 3, SortAsc: vem.JobFieldName}))
				require.Len(t, paged, len(all))
				for i := 1; i < len(paged); i++ {
					assert.LessOrEqual(t, strings.ToLower(paged[i-1].Name), strings.ToLower(paged[i].Name))
				}
			}
		})
	}
}
