package exporter

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vemkit/vem"
	"github.com/vemkit/vem/health"
	"github.com/vemkit/vem/internal/healthmetrics"
	"github.com/vemkit/vem/vemtest"
)

// exporterNow is the time the test fleets are generated relative to.
var exporterNow = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

// exporterFixture is an exporter, in process, on a vemtest fleet.
type exporterFixture struct {
	srv   *vemtest.Server
	clock *vemtest.Clock
	e     *Exporter
	c     *vem.Client
}

func newExporterFixture(t testing.TB, vms int, opts health.Options) *exporterFixture {
	t.Helper()
	clock := vemtest.NewClock(exporterNow)
	srv := vemtest.NewServer(vemtest.WithFleet(vemtest.DefaultFleet(vms)), vemtest.WithNow(exporterNow),
		vemtest.WithClock(clock.Now), vemtest.WithIdleTimeout(0))
	t.Cleanup(srv.Close)
	counter := NewCounter()
	c, err := srv.NewClient(vem.WithObserver(counter.Observe),
		vem.WithRetry(vem.RetryPolicy{MaxAttempts: 1}))
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	tr, err := health.NewTracker(opts, 0)
	require.NoError(t, err)
	e := New(Config{Client: c, Tracker: tr, Counter: counter, Refresh: time.Minute, Now: clock.Now, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	return &exporterFixture{srv: srv, clock: clock, e: e, c: c}
}

func TestHealthMetricsValues(t *testing.T) {
	t.Parallel()
	end := exporterNow.Add(-2 * time.Hour)
	rep := &health.Report{Status: health.StatusWarning, Now: exporterNow,
		VMs: []health.VM{{
			Name: "db01", JobName: "Daily", BackupServer: "vbr1", Status: health.StatusWarning,
			LastResult: vem.ResultWarning, LastSuccess: end, Attempts: 2, RecoveredByRetry: true,
			LastSession: &vem.BackupTaskSession{CreationTime: end.Add(-90 * time.Second), EndTime: end,
				TotalSize: 1 << 30, State: vem.StateCompleted, Result: vem.ResultWarning},
		}},
		Jobs: []health.Job{{Name: "Daily", BackupServer: "vbr1", Status: health.StatusWarning,
			VMs: health.Counts{Warning: 1}, LastRun: end.Add(-time.Minute), LastRunEnd: end, LastRunDuration: time.Minute}},
	}
	c := &healthmetrics.Collector{Descs: healthmetrics.Descs, Metrics: healthmetrics.Metrics(rep)}
	want := fmt.Sprintf(`
# HELP vem_vm_backup_status Backup health of a VM in a job: 0 ok, 1 warning, 2 critical, 3 unknown.
# TYPE vem_vm_backup_status gauge
vem_vm_backup_status{backup_server="vbr1",job="Daily",vm="db01"} 1
# HELP vem_vm_last_result Result of the newest completed backup task of a VM in a job: 0 success, 1 warning, 2 failed, 3 other; absent when none completed in the window.
# TYPE vem_vm_last_result gauge
vem_vm_last_result{backup_server="vbr1",job="Daily",vm="db01"} 1
# HELP vem_vm_last_run_bytes Size in bytes that the newest backup task of a VM in a job processed (EM's TotalSize).
# TYPE vem_vm_last_run_bytes gauge
vem_vm_last_run_bytes{backup_server="vbr1",job="Daily",vm="db01"} 1.073741824e+09
# HELP vem_vm_last_run_duration_seconds How long the newest backup task of a VM in a job ran; absent while it runs.
# TYPE vem_vm_last_run_duration_seconds gauge
vem_vm_last_run_duration_seconds{backup_server="vbr1",job="Daily",vm="db01"} 90
# HELP vem_vm_last_run_timestamp_seconds Unix time at which the newest backup task of a VM in a job started.
# TYPE vem_vm_last_run_timestamp_seconds gauge
vem_vm_last_run_timestamp_seconds{backup_server="vbr1",job="Daily",vm="db01"} %d
# HELP vem_vm_recovered_by_retry 1 when the newest backup of a VM in a job succeeded in an automatic retry after a failed attempt, else 0.
# TYPE vem_vm_recovered_by_retry gauge
vem_vm_recovered_by_retry{backup_server="vbr1",job="Daily",vm="db01"} 1
# HELP vem_vm_backup_attempts Task sessions of the newest run of a VM in a job, retries included.
# TYPE vem_vm_backup_attempts gauge
vem_vm_backup_attempts{backup_server="vbr1",job="Daily",vm="db01"} 2
# HELP vem_job_last_run_duration_seconds How long the newest session of a job ran; absent while it runs.
# TYPE vem_job_last_run_duration_seconds gauge
vem_job_last_run_duration_seconds{backup_server="vbr1",job="Daily"} 60
# HELP vem_job_vms_warning VMs of a job whose backup health is warning.
# TYPE vem_job_vms_warning gauge
vem_job_vms_warning{backup_server="vbr1",job="Daily"} 1
# HELP vem_health_status Worst backup health of all VMs in scope: 0 ok, 1 warning, 2 critical, 3 unknown (3 also when none is in scope).
# TYPE vem_health_status gauge
vem_health_status 1
`, end.Add(-90*time.Second).Unix())
	require.NoError(t, testutil.CollectAndCompare(c, strings.NewReader(want),
		"vem_vm_backup_status", "vem_vm_last_result", "vem_vm_last_run_bytes", "vem_vm_last_run_duration_seconds",
		"vem_vm_last_run_timestamp_seconds", "vem_vm_recovered_by_retry", "vem_vm_backup_attempts",
		"vem_job_last_run_duration_seconds", "vem_job_vms_warning", "vem_health_status"))
	problems, err := testutil.CollectAndLint(c)
	require.NoError(t, err)
	assert.Empty(t, problems)
}

func TestExporterRefresh(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newExporterFixture(t, 200, health.Options{})
	e := f.e

	// Before the first refresh: not up, no health series.
	require.NoError(t, testutil.CollectAndCompare(e.up, strings.NewReader("# HELP vem_up "+
		"1 when the last refresh read Enterprise Manager, else 0 (the health metrics are then those of the last successful refresh).\n"+
		"# TYPE vem_up gauge\nvem_up 0\n")))
	assert.Zero(t, testutil.CollectAndCount(healthCollector{e}))

	e.refresh(ctx)
	assert.Equal(t, 1.0, testutil.ToFloat64(e.up))
	assert.Equal(t, float64(exporterNow.Unix()), testutil.ToFloat64(e.lastTime))
	assert.Equal(t, 1.0, testutil.ToFloat64(e.cfg.Counter.logons), "one logon")
	st := f.srv.Stats()
	assert.Equal(t, float64(st.Requests), testutil.ToFloat64(e.cfg.Counter.requests.WithLabelValues(outcomeSuccess)),
		"every request the server saw, counted as a success")

	// The health series are those of Evaluate.
	rep, err := health.Evaluate(ctx, f.c, health.Options{Now: exporterNow})
	require.NoError(t, err)
	crit := 0
	for _, m := range healthmetrics.Metrics(rep) {
		if strings.Contains(m.Desc().String(), `"vem_vm_backup_status"`) {
			crit++
		}
	}
	assert.Equal(t, crit, testutil.CollectAndCount(healthCollector{e}, "vem_vm_backup_status"))
	assert.Positive(t, crit)
	problems, err := testutil.GatherAndLint(e.reg)
	require.NoError(t, err)
	assert.Empty(t, problems, "naming lint")

	// Nothing new: two requests, no logon.
	before := f.srv.Stats().Requests
	f.clock.Add(time.Minute)
	e.refresh(ctx)
	assert.Equal(t, 2, f.srv.Stats().Requests-before)
	assert.Equal(t, 2.0, testutil.ToFloat64(e.refreshReq))
	assert.Equal(t, 1.0, testutil.ToFloat64(e.cfg.Counter.logons))

	// EM fails: vem_up 0, the last health series stay, the failures are
	// counted.
	f.srv.FailNext(5, http.StatusServiceUnavailable)
	e.refresh(ctx)
	assert.Equal(t, 0.0, testutil.ToFloat64(e.up))
	assert.Equal(t, crit, testutil.CollectAndCount(healthCollector{e}, "vem_vm_backup_status"))
	assert.Positive(t, testutil.ToFloat64(e.cfg.Counter.requests.WithLabelValues(outcomeServerError)))
	assert.Equal(t, 1.0, testutil.ToFloat64(e.refreshes.WithLabelValues("error")))
	f.srv.FailNext(0, 0)
	for range 5 { // use up what the failed refresh left of FailNext
		e.refresh(ctx)
		if testutil.ToFloat64(e.up) == 1 {
			break
		}
	}
	assert.Equal(t, 1.0, testutil.ToFloat64(e.up))

	// The window slides past every session: the series go.
	f.clock.Add(9 * 24 * time.Hour)
	e.refresh(ctx)
	assert.Equal(t, 1.0, testutil.ToFloat64(e.up))
	assert.Zero(t, testutil.CollectAndCount(healthCollector{e}, "vem_vm_backup_status"))
	assert.Zero(t, testutil.ToFloat64(e.sessions.WithLabelValues("task")))
}

// TestExporterScrapeDoesNotWaitOnEM scrapes while a refresh hangs on EM.
func TestExporterScrapeDoesNotWaitOnEM(t *testing.T) {
	t.Parallel()
	f := newExporterFixture(t, 50, health.Options{})
	f.e.refresh(context.Background())
	h, err := f.e.Handler("/metrics")
	require.NoError(t, err)

	f.srv.SetLatency(time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.clock.Add(time.Minute)
		f.e.refresh(ctx)
	}()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Contains(t, rec.Body.String(), "\nvem_up 1\n")
	assert.Contains(t, rec.Body.String(), "vem_vm_backup_status{")
	select {
	case <-done:
		t.Fatal("the refresh ended although EM did not answer")
	default:
	}
	cancel()
	<-done

	// The landing page links to the metrics; /healthz answers.
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Contains(t, rec.Body.String(), `href="/metrics"`)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	assert.Equal(t, "ok\n", rec.Body.String())
}
