package vem_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/vemkit/vem"
	"github.com/vemkit/vem/vemtest"
)

// Benchmarks of vem against a plain net/http + encoding/xml|json client
// doing the same requests against the same vemtest server on loopback.
// Numbers are reported, never asserted; docs/performance.md records them.
//
//	go test -run '^$' -bench . -count 10 . | tee bench.txt
//	benchstat -col /client bench.txt

// plainClient is the hand-written baseline: it logs on once and sends the
// token header, decoding with encoding/xml or encoding/json.
type plainClient struct {
	base   string
	hc     *http.Client
	token  string
	accept string
}

func newPlain(b testing.TB, s *vemtest.Server, format vem.Format) *plainClient {
	b.Helper()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(s.CertificatePEM())
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, MaxIdleConns: 128, MaxIdleConnsPerHost: 64, ForceAttemptHTTP2: true}
	p := &plainClient{base: s.URL, hc: &http.Client{Transport: tr}, accept: "application/xml"}
	if format == vem.FormatJSON {
		p.accept = "application/json"
	}
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/api/sessionMngr/?v=latest", nil)
	req.SetBasicAuth(s.Username, s.Password)
	resp, err := p.hc.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		b.Fatalf("logon: %d", resp.StatusCode)
	}
	p.token = resp.Header.Get("X-RestSvcSessionId")
	b.Cleanup(tr.CloseIdleConnections)
	return p
}

func (p *plainClient) get(ctx context.Context, pathQuery string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.base+pathQuery, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", p.accept)
	req.Header.Set("X-RestSvcSessionId", p.token)
	resp, err := p.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %d", pathQuery, resp.StatusCode)
	}
	if p.accept == "application/json" {
		return json.Unmarshal(body, v)
	}
	return xml.Unmarshal(body, v)
}

// plainTaskSession is what a hand-written client would decode into.
type plainTaskSession struct {
	Type          string     `xml:"Type,attr" json:"Type"`
	Href          string     `xml:"Href,attr" json:"Href"`
	Name          string     `xml:"Name,attr" json:"Name"`
	UID           string     `xml:"UID,attr" json:"UID"`
	VMDisplayName string     `xml:"VmDisplayName,attr" json:"VmDisplayName"`
	Links         []vem.Link `xml:"Links>Link" json:"Links"`
	JobSessionUID string     `xml:"JobSessionUid" json:"JobSessionUid"`
	CreationTime  time.Time  `xml:"CreationTimeUTC" json:"CreationTimeUTC"`
	EndTime       time.Time  `xml:"EndTimeUTC" json:"EndTimeUTC"`
	State         string     `xml:"State" json:"State"`
	Result        string     `xml:"Result" json:"Result"`
	Reason        string     `xml:"Reason" json:"Reason"`
	TotalSize     int64      `xml:"TotalSize" json:"TotalSize"`
	VMUID         string     `xml:"VmUid" json:"VmUid"`
}

type plainQueryPage struct {
	Entities struct {
		BackupTaskSessions struct {
			Items []plainTaskSession `xml:"BackupTaskSession" json:"BackupTaskSessions"`
		} `xml:"BackupTaskSessions" json:"BackupTaskSessions"`
	} `xml:"Entities" json:"Entities"`
	PagingInfo struct {
		PageNum    int `xml:"PageNum,attr" json:"PageNum"`
		PagesCount int `xml:"PagesCount,attr" json:"PagesCount"`
	} `xml:"PagingInfo" json:"PagingInfo"`
}

func newVem(b testing.TB, s *vemtest.Server, opts ...vem.Option) *vem.Client {
	b.Helper()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(s.CertificatePEM())
	c, err := vem.New(s.URL, append([]vem.Option{vem.WithRootCAs(pool), vem.WithCredentials(s.Username, s.Password)}, opts...)...)
	if err != nil {
		b.Fatal(err)
	}
	if err := c.Logon(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.Close() })
	return c
}

var formats = []vem.Format{vem.FormatXML, vem.FormatJSON}

// BenchmarkGet: one GetBackupTaskSession at a time (item 1).
func BenchmarkGet(b *testing.B) {
	s := vemtest.NewServer()
	defer s.Close()
	ctx := context.Background()
	for _, f := range formats {
		b.Run("format="+string(f)+"/client=plain", func(b *testing.B) {
			p := newPlain(b, s, f)
			b.ReportAllocs()
			for b.Loop() {
				var ts plainTaskSession
				if err := p.get(ctx, "/api/backupTaskSessions/"+vemtest.SeedBackupTaskSessionID+"?format=Entity", &ts); err != nil || ts.TotalSize != 12884901888 {
					b.Fatal(err, ts.TotalSize)
				}
			}
		})
		b.Run("format="+string(f)+"/client=vem", func(b *testing.B) {
			c := newVem(b, s, vem.WithFormat(f))
			b.ReportAllocs()
			for b.Loop() {
				ts, err := c.GetBackupTaskSession(ctx, vemtest.SeedBackupTaskSessionID)
				if err != nil || ts.TotalSize != 12884901888 {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkGetParallel: 64 goroutines sharing one client (item 2). It
// reports the connections the server accepted and the logons per run.
func BenchmarkGetParallel(b *testing.B) {
	ctx := context.Background()
	for _, f := range formats {
		for _, client := range []string{"plain", "vem"} {
			b.Run("format="+string(f)+"/client="+client, func(b *testing.B) {
				s := vemtest.NewServer()
				defer s.Close()
				var get func() (int64, error)
				if client == "plain" {
					p := newPlain(b, s, f)
					get = func() (int64, error) {
						var ts plainTaskSession
						err := p.get(ctx, "/api/backupTaskSessions/"+vemtest.SeedBackupTaskSessionID+"?format=Entity", &ts)
						return ts.TotalSize, err
					}
				} else {
					c := newVem(b, s, vem.WithFormat(f))
					get = func() (int64, error) {
						ts, err := c.GetBackupTaskSession(ctx, vemtest.SeedBackupTaskSessionID)
						if err != nil {
							return 0, err
						}
						return ts.TotalSize, nil
					}
				}
				before := s.Stats()
				b.ReportAllocs()
				b.SetParallelism(max(1, 64/runtimeProcs()))
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if size, err := get(); err != nil || size != 12884901888 {
							b.Error(err)
							return
						}
					}
				})
				b.StopTimer()
				after := s.Stats()
				b.ReportMetric(float64(after.ConnectionsOpened-before.ConnectionsOpened), "conns")
				b.ReportMetric(float64(after.Logons), "logons")
			})
		}
	}
}

// BenchmarkQuery: every task session of a 10,000-session server through the
// query service, at two page sizes and two server latencies (item 4). The
// plain client loops over the pages one after the other.
func BenchmarkQuery(b *testing.B) {
	s := vemtest.NewServer(vemtest.WithDataset(10000 - 1)) // plus the seed
	defer s.Close()
	total := s.BackupTaskSessionCount()
	ctx := context.Background()
	for _, latency := range []time.Duration{0, 20 * time.Millisecond} {
		for _, pageSize := range []int{100, 1000} {
			for _, f := range formats {
				name := fmt.Sprintf("latency=%s/pageSize=%d/format=%s", latency, pageSize, f)
				b.Run(name+"/client=plain", func(b *testing.B) {
					s.SetLatency(0)
					p := newPlain(b, s, f)
					s.SetLatency(latency)
					defer s.SetLatency(0)
					b.ReportAllocs()
					for b.Loop() {
						n := 0
						for page := 1; ; page++ {
							var qp plainQueryPage
							q := "/api/query?type=BackupTaskSession&format=Entities&pageSize=" + strconv.Itoa(pageSize) + "&page=" + strconv.Itoa(page)
							if err := p.get(ctx, q, &qp); err != nil {
								b.Fatal(err)
							}
							n += len(qp.Entities.BackupTaskSessions.Items)
							if page >= qp.PagingInfo.PagesCount {
								break
							}
						}
						if n != total {
							b.Fatalf("got %d of %d", n, total)
						}
					}
				})
				b.Run(name+"/client=vem", func(b *testing.B) {
					s.SetLatency(0)
					c := newVem(b, s, vem.WithFormat(f))
					s.SetLatency(latency)
					defer s.SetLatency(0)
					b.ReportAllocs()
					for b.Loop() {
						n := 0
						for _, err := range c.QueryBackupTaskSessions(ctx, vem.Query{PageSize: pageSize}) {
							if err != nil {
								b.Fatal(err)
							}
							n++
						}
						if n != total {
							b.Fatalf("got %d of %d", n, total)
						}
					}
				})
			}
		}
	}
}

// BenchmarkResolveJobSessions: the job session of every task of a
// 1,000-task result that shares 20 job sessions (item 5). The plain client
// reads the job session of each task, one after the other; vem's Resolver
// reads each distinct one once. requests/op is what the server saw.
func BenchmarkResolveJobSessions(b *testing.B) {
	s := vemtest.NewServer(vemtest.WithDataset(0))
	defer s.Close()
	jobs := make([]string, 20)
	for j := range jobs {
		jobs[j] = fmt.Sprintf("22222222-0000-4000-8000-%012d", j)
		s.AddBackupJobSession(vem.BackupJobSession{UID: vem.UID("urn:veeam:BackupJobSession:" + jobs[j]), Name: fmt.Sprintf("Job %d@2026-01-01 00:00:00", j), JobName: fmt.Sprintf("Job %d", j), State: vem.StateStopped, Result: vem.ResultSuccess,
			CreationTime: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), EndTime: time.Date(2026, 1, 1, 1, 0, 0, 0, time.UTC)})
	}
	tasks := make([]*vem.BackupTaskSession, 1000)
	for i := range tasks {
		tasks[i] = &vem.BackupTaskSession{JobSessionUID: vem.UID("urn:veeam:BackupJobSession:" + jobs[i%20])}
	}
	ctx := context.Background()
	for _, latency := range []time.Duration{0, 2 * time.Millisecond} {
		name := "latency=" + latency.String()
		b.Run(name+"/client=plain", func(b *testing.B) {
			p := newPlain(b, s, vem.FormatXML)
			s.SetLatency(latency)
			defer s.SetLatency(0)
			before := s.Stats().Requests
			b.ReportAllocs()
			for b.Loop() {
				for _, ts := range tasks {
					var js struct {
						JobName string `xml:"JobName"`
					}
					if err := p.get(ctx, "/api/backupSessions/"+ts.JobSessionUID.ID()+"?format=Entity", &js); err != nil || js.JobName == "" {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(s.Stats().Requests-before)/float64(b.N), "requests/op")
		})
		b.Run(name+"/client=vem", func(b *testing.B) {
			c := newVem(b, s)
			s.SetLatency(latency)
			defer s.SetLatency(0)
			before := s.Stats().Requests
			b.ReportAllocs()
			for b.Loop() {
				m, err := c.NewResolver(0).BackupJobSessionsOf(ctx, tasks)
				if err != nil || len(m) != 20 {
					b.Fatal(err, len(m))
				}
			}
			b.ReportMetric(float64(s.Stats().Requests-before)/float64(b.N), "requests/op")
		})
	}
}
