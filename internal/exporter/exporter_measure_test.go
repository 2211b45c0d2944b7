package exporter

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/vemkit/vem"
	"github.com/vemkit/vem/health"
)

// measureEnv runs TestExporterMeasure, which prints the figures of
// docs/monitoring.md: VEM_EXPORTER_MEASURE=1 go test -run TestExporterMeasure -v ./cmd/vem
const measureEnv = "VEM_EXPORTER_MEASURE"

// TestExporterMeasure measures the exporter against a 5,000-VM fleet at 50
// ms a request: the first refresh, a refresh with nothing new, scrape
// latency during a refresh, and memory and series after 24 simulated hours
// of daily runs with the window sliding. It reports; it asserts only that
// the exporter kept working.
func TestExporterMeasure(t *testing.T) {
	if os.Getenv(measureEnv) == "" {
		t.Skip("measurements for docs/monitoring.md: set " + measureEnv + "=1 and run with -v")
	}
	ctx := context.Background()
	f := newExporterFixture(t, 5000, health.Options{})
	f.srv.SetLatency(50 * time.Millisecond)
	e := f.e

	refresh := func() (int, time.Duration) {
		before := f.srv.Stats().Requests
		start := time.Now()
		e.refresh(ctx)
		require.Equal(t, 1.0, testutil.ToFloat64(e.up), "refresh failed")
		return f.srv.Stats().Requests - before, time.Since(start)
	}
	n, d := refresh()
	t.Logf("first refresh: %d requests (logon included), %v", n, d.Round(time.Millisecond))
	tasks, jobs := e.cfg.Tracker.Sessions()
	t.Logf("held: %d task sessions, %d job sessions", tasks, jobs)
	f.clock.Add(5 * time.Minute)
	n, d = refresh()
	t.Logf("refresh with nothing new: %d requests, %v", n, d.Round(time.Millisecond))

	h, err := e.Handler("/metrics")
	require.NoError(t, err)
	scrape := func() (time.Duration, int) {
		start := time.Now()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		require.Equal(t, http.StatusOK, rec.Code)
		return time.Since(start), rec.Body.Len()
	}
	var idle []time.Duration
	for range 20 {
		d, _ := scrape()
		idle = append(idle, d)
	}
	slices.Sort(idle)
	t.Logf("scrape, idle: median %v, max %v over 20", idle[len(idle)/2].Round(time.Millisecond), idle[len(idle)-1].Round(time.Millisecond))

	// Scrapes while a refresh waits on EM.
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		f.clock.Add(5 * time.Minute)
		e.refresh(ctx)
	}()
	var lat []time.Duration
	size := 0
	for range 20 {
		var d time.Duration
		d, size = scrape()
		lat = append(lat, d)
	}
	wg.Wait()
	slices.Sort(lat)
	t.Logf("scrape: median %v, max %v over 20 (during a refresh), %d bytes", lat[len(lat)/2].Round(time.Millisecond),
		lat[len(lat)-1].Round(time.Millisecond), size)

	// 24 simulated hours: each job runs once a day at its hour, every VM
	// succeeding; the exporter refreshes every 5 minutes.
	rep := e.cfg.Tracker.Report(f.clock.Now())
	vmsOf := map[vem.UID][]health.VM{}
	var jobUIDs []vem.UID
	for _, vm := range rep.VMs {
		if vm.JobUID == "" {
			continue
		}
		if vmsOf[vm.JobUID] == nil {
			jobUIDs = append(jobUIDs, vm.JobUID)
		}
		vmsOf[vm.JobUID] = append(vmsOf[vm.JobUID], vm)
	}
	slices.Sort(jobUIDs)
	var reqs []int
	var durs []time.Duration
	seq := 0
	for hour := range 24 {
		for i, job := range jobUIDs {
			if i%24 != hour {
				continue
			}
			now := f.clock.Now()
			seq++
			js := vem.UID(fmt.Sprintf("urn:veeam:BackupJobSession:%08x-0000-4000-8000-000000000000", seq))
			vms := vmsOf[job]
			f.srv.AddBackupJobSession(vem.BackupJobSession{UID: js, Name: vms[0].JobName + "@sim", JobUID: job,
				JobName: vms[0].JobName, JobType: "Backup", CreationTime: now.Add(-20 * time.Minute),
				EndTime: now.Add(-2 * time.Minute), State: vem.StateStopped, Result: vem.ResultSuccess})
			for k, vm := range vms {
				seq++
				f.srv.AddBackupTaskSession(vem.BackupTaskSession{
					UID:  vem.UID(fmt.Sprintf("urn:veeam:BackupTaskSession:%08x-0000-4000-8000-%012x", seq, k)),
					Name: vm.Name + "@sim", VMDisplayName: vm.Name, VMUID: vm.UID, JobSessionUID: js,
					CreationTime: now.Add(-19 * time.Minute), EndTime: now.Add(-3 * time.Minute),
					State: vem.StateCompleted, Result: vem.ResultSuccess, TotalSize: 40 << 30,
				})
			}
		}
		for range 12 {
			f.clock.Add(5 * time.Minute)
			n, d := refresh()
			reqs = append(reqs, n)
			durs = append(durs, d)
		}
	}
	slices.Sort(reqs)
	slices.Sort(durs)
	t.Logf("24 simulated hours, %d refreshes: requests median %d, max %d; time median %v, max %v", len(reqs),
		reqs[len(reqs)/2], reqs[len(reqs)-1], durs[len(durs)/2].Round(time.Millisecond), durs[len(durs)-1].Round(time.Millisecond))

	mfs, err := e.reg.Gather()
	require.NoError(t, err)
	series, vemSeries := 0, 0
	for _, mf := range mfs {
		series += len(mf.Metric)
		if strings.HasPrefix(mf.GetName(), "vem_") {
			vemSeries += len(mf.Metric)
		}
	}
	tasks, jobs = e.cfg.Tracker.Sessions()
	rep = e.cfg.Tracker.Report(f.clock.Now())
	t.Logf("after 24h: %d (job, VM) verdicts, %d series (%d vem_), held %d task and %d job sessions",
		len(rep.VMs), series, vemSeries, tasks, jobs)

	// The exporter's share of the heap: what is freed when it goes. The
	// process also holds the fake EM and its sessions.
	rss := processRSS()
	withExporter := heapInuse()
	f.e, e, h, rep, vmsOf = nil, nil, nil, nil, nil
	withoutExporter := heapInuse()
	t.Logf("heap in use: %.1f MiB with the exporter, %.1f MiB without: the exporter holds %.1f MiB; process RSS %s (fake EM included)",
		mib(withExporter), mib(withoutExporter), mib(withExporter)-mib(withoutExporter), rss)
}

// heapInuse returns the heap in use after a full collection.
func heapInuse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// processRSS returns the resident set size from /proc, or "unknown".
func processRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func mib(n uint64) float64 { return float64(n) / (1 << 20) }
