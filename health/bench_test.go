package health

import (
	"bufio"
	"context"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vemkit/vem"
	"github.com/vemkit/vem/vemtest"
)

// Benchmarks of Evaluate on a fleet of 5,000 VMs in 50 jobs over 7 days
// (about 36,000 task sessions) behind 50 ms of server latency a request,
// beside the same answer read the way other tools read it. Numbers are
// reported (requests, heap), never asserted; docs/health.md records them.
// The server runs in a child process (this test binary, see TestMain), so
// that the peak heap is the client's alone.
//
//	go test -run '^$' -bench . -benchtime 1x ./health
//	go test -run '^$' -bench PeersPerTask -benchtime 1x -timeout 1h ./health -health.peers-per-task

var peersPerTask = flag.Bool("health.peers-per-task", false,
	"run BenchmarkPeersPerTask: one request per task session, about 40 minutes at 50 ms")

const benchLatency = 50 * time.Millisecond

var benchNow = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

func benchFleet() vemtest.Fleet {
	f := vemtest.DefaultFleet(5000)
	f.Jobs, f.Days = 50, 7
	return f
}

// TestMain serves the benchmark fleet when the benchmarks start this test
// binary as their server, so that the heap they measure is the client's.
func TestMain(m *testing.M) {
	if os.Getenv(benchServerEnv) != "" {
		serveFleet()
		return
	}
	os.Exit(m.Run())
}

const benchServerEnv = "VEM_HEALTH_BENCH_SERVER"

// serveFleet serves the benchmark fleet with 50 ms of latency, writes its
// URL and credentials on stdout and stops when stdin closes.
func serveFleet() {
	s := vemtest.NewServer(vemtest.WithFleet(benchFleet()), vemtest.WithNow(benchNow),
		vemtest.WithClock(func() time.Time { return benchNow }), vemtest.WithoutTLS())
	defer s.Close()
	s.SetLatency(benchLatency)
	fmt.Println(s.URL, s.Username, s.Password)
	_, _ = io.Copy(io.Discard, os.Stdin)
}

// countingTransport counts the requests a client sends.
type countingTransport struct {
	n  atomic.Int64
	rt http.RoundTripper
}

func (t *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	t.n.Add(1)
	return t.rt.RoundTrip(r)
}

// benchServer starts the fleet's server in another process and returns a
// client of it in format f, with its request counter. The server renders
// every session once (it caches renderings) before the measure, so that
// the measure is the client's.
func benchServer(b *testing.B, f vem.Format) (*countingTransport, *vem.Client) {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), benchServerEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		b.Fatalf("bench server: %v", err)
	}
	var url, user, password string
	if _, err := fmt.Sscan(line, &url, &user, &password); err != nil {
		b.Fatalf("bench server said %q: %v", line, err)
	}
	tr := &countingTransport{rt: &http.Transport{MaxIdleConns: 64, MaxIdleConnsPerHost: 64}}
	c, err := vem.New(url, vem.WithHTTPClient(&http.Client{Transport: tr}), vem.WithCredentials(user, password),
		vem.WithFormat(f), vem.WithAllowInsecureHTTP())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.Close() })
	if _, err := Evaluate(b.Context(), c, Options{Now: benchNow}); err != nil { // warm-up
		b.Fatal(err)
	}
	return tr, c
}

// heapPeak samples the live heap every 2 ms until stopped and returns the
// highest value above the value at its start.
func heapPeak() (stop func() uint64) {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	base := read()
	done := make(chan struct{})
	var peak uint64
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			peak = max(peak, read())
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() uint64 {
		close(done)
		wg.Wait()
		peak = max(peak, read())
		return peak - min(base, peak)
	}
}

// report runs read b.N times and reports requests and peak heap of one run.
func report(b *testing.B, tr *countingTransport, read func(ctx context.Context) *Report) *Report {
	b.Helper()
	var rep *Report
	var requests int64
	var peak uint64
	var cpu time.Duration
	b.ResetTimer()
	for range b.N {
		before, cpuBefore := tr.n.Load(), cpuTime()
		stop := heapPeak()
		rep = read(b.Context())
		peak = max(peak, stop())
		requests, cpu = tr.n.Load()-before, cpuTime()-cpuBefore
	}
	b.StopTimer()
	b.ReportMetric(float64(requests), "requests/op")
	b.ReportMetric(cpu.Seconds(), "client-cpu-s/op")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(rep.TaskSessions), "task-sessions")
	b.ReportMetric(float64(len(rep.VMs)), "verdicts")
	return rep
}

func BenchmarkEvaluate(b *testing.B) {
	for _, f := range []vem.Format{vem.FormatXML, vem.FormatJSON} {
		b.Run("format="+string(f), func(b *testing.B) {
			tr, c := benchServer(b, f)
			report(b, tr, func(ctx context.Context) *Report {
				rep, err := Evaluate(ctx, c, Options{Now: benchNow})
				if err != nil {
					b.Fatal(err)
				}
				return rep
			})
		})
	}
}

// BenchmarkPeersPerJobSession reads the job sessions in one request and
// then, one job session after the other, its task sessions as entities:
// one request per job session, the best case of the tools that walk
// /api/backupSessions. The answer is checked against Evaluate's.
func BenchmarkPeersPerJobSession(b *testing.B) {
	tr, c := benchServer(b, vem.FormatXML)
	rep := report(b, tr, func(ctx context.Context) *Report {
		opts, _ := Options{Now: benchNow}.withDefaults()
		jobs, err := peerJobSessions(ctx, c)
		if err != nil {
			b.Fatal(err)
		}
		var tasks []*vem.BackupTaskSession
		for _, js := range jobs {
			if js.CreationTime.Before(benchNow.Add(-opts.Window - jobSessionMargin)) {
				continue
			}
			ts, err := peerTaskList(ctx, c, js.UID.ID())
			if err != nil {
				b.Fatal(err)
			}
			tasks = append(tasks, ts...)
		}
		return evaluate(opts.Now, opts, tasks, jobs)
	})
	checkSameAnswer(b, c, rep)
}

// BenchmarkPeersPerTask reads as most tools do: the job session list, then
// for each job session its task session references and each task session
// (one request per task session). It takes about 40 minutes at 50 ms a request,
// so it runs only with -health.peers-per-task.
func BenchmarkPeersPerTask(b *testing.B) {
	if !*peersPerTask {
		b.Skip("run with -health.peers-per-task")
	}
	tr, c := benchServer(b, vem.FormatXML)
	rep := report(b, tr, func(ctx context.Context) *Report {
		opts, _ := Options{Now: benchNow}.withDefaults()
		jobs, err := peerJobSessions(ctx, c)
		if err != nil {
			b.Fatal(err)
		}
		var tasks []*vem.BackupTaskSession
		for _, js := range jobs {
			trefs, err := c.ListBackupJobSessionTaskSessions(ctx, js.UID.ID())
			if err != nil {
				b.Fatal(err)
			}
			for _, tr := range trefs {
				ts, err := c.GetBackupTaskSession(ctx, tr.UID.String())
				if err != nil {
					b.Fatal(err)
				}
				tasks = append(tasks, ts)
			}
		}
		return evaluate(opts.Now, opts, tasks, jobs)
	})
	checkSameAnswer(b, c, rep)
}

// checkSameAnswer fails the benchmark when rep's verdicts differ from
// Evaluate's.
func checkSameAnswer(b *testing.B, c *vem.Client, rep *Report) {
	b.Helper()
	want, err := Evaluate(b.Context(), c, Options{Now: benchNow})
	if err != nil {
		b.Fatal(err)
	}
	if len(want.VMs) != len(rep.VMs) || want.Counts != rep.Counts {
		b.Fatalf("peers: %d verdicts %+v, Evaluate: %d %+v", len(rep.VMs), rep.Counts, len(want.VMs), want.Counts)
	}
	for i := range want.VMs {
		if w, g := want.VMs[i], rep.VMs[i]; w.JobUID != g.JobUID || w.UID != g.UID || w.Status != g.Status || w.Why != g.Why {
			b.Fatalf("verdict %d: peers %s/%s %s, Evaluate %s/%s %s", i, g.JobName, g.Name, g.Why, w.JobName, w.Name, w.Why)
		}
	}
}

// peerTask and peerJob are the parts of the XML entities the peers read.
type peerTask struct {
	UID           string     `xml:"UID,attr"`
	Name          string     `xml:"Name,attr"`
	VMDisplayName string     `xml:"VmDisplayName,attr"`
	Links         []vem.Link `xml:"Links>Link"`
	JobSessionUID string     `xml:"JobSessionUid"`
	Created       string     `xml:"CreationTimeUTC"`
	Ended         string     `xml:"EndTimeUTC"`
	State         string     `xml:"State"`
	Result        string     `xml:"Result"`
	Reason        string     `xml:"Reason"`
	VMUID         string     `xml:"VmUid"`
}

type peerJob struct {
	UID     string     `xml:"UID,attr"`
	Name    string     `xml:"Name,attr"`
	Links   []vem.Link `xml:"Links>Link"`
	JobUID  string     `xml:"JobUid"`
	JobName string     `xml:"JobName"`
	Created string     `xml:"CreationTimeUTC"`
	Ended   string     `xml:"EndTimeUTC"`
	State   string     `xml:"State"`
	Result  string     `xml:"Result"`
	IsRetry bool       `xml:"IsRetry"`
}

func peerTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

// peerJobSessions reads every job session as an entity in one request:
// GET /api/backupSessions?format=Entity.
func peerJobSessions(ctx context.Context, c *vem.Client) ([]*vem.BackupJobSession, error) {
	raw, err := c.GetRaw(ctx, "/api/backupSessions?format=Entity", vem.FormatXML)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Items []peerJob `xml:"BackupJobSession"`
	}
	if err := xml.Unmarshal(raw.Body, &doc); err != nil {
		return nil, fmt.Errorf("job sessions: %w", err)
	}
	out := make([]*vem.BackupJobSession, 0, len(doc.Items))
	for _, j := range doc.Items {
		out = append(out, &vem.BackupJobSession{
			UID: vem.UID(j.UID), Name: j.Name, Links: j.Links, JobUID: vem.UID(j.JobUID), JobName: j.JobName,
			CreationTime: peerTime(j.Created), EndTime: peerTime(j.Ended),
			State: vem.State(j.State), Result: vem.Result(j.Result), IsRetry: j.IsRetry,
		})
	}
	return out, nil
}

// peerTaskList reads one job session's task sessions as entities:
// GET /api/backupSessions/{ID}/taskSessions?format=Entity.
func peerTaskList(ctx context.Context, c *vem.Client, id string) ([]*vem.BackupTaskSession, error) {
	raw, err := c.GetRaw(ctx, "/api/backupSessions/"+id+"/taskSessions?format=Entity", vem.FormatXML)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Items []peerTask `xml:"BackupTaskSession"`
	}
	if err := xml.Unmarshal(raw.Body, &doc); err != nil {
		return nil, fmt.Errorf("task sessions of %s: %w", id, err)
	}
	out := make([]*vem.BackupTaskSession, 0, len(doc.Items))
	for _, t := range doc.Items {
		out = append(out, &vem.BackupTaskSession{
			UID: vem.UID(t.UID), Name: t.Name, VMDisplayName: t.VMDisplayName, Links: t.Links,
			JobSessionUID: vem.UID(t.JobSessionUID), CreationTime: peerTime(t.Created), EndTime: peerTime(t.Ended),
			State: vem.State(t.State), Result: vem.Result(t.Result), Reason: t.Reason, VMUID: t.VMUID,
		})
	}
	return out, nil
}
