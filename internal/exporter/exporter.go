// Package exporter serves backup health as Prometheus metrics: it refreshes
// a health.Tracker in the background through one vem.Client and serves the
// metrics of its last report, with the exporter's own. "vem exporter" maps
// its flags onto Config; a program can run one (or, one per target, many)
// the same way.
package exporter

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/exporter-toolkit/web"
	"github.com/vemkit/vem"
	"github.com/vemkit/vem/health"
	"github.com/vemkit/vem/internal/healthmetrics"
)

// Defaults of the exporter.
const (
	// DefaultAddress: Prometheus' default port allocations list
	// (github.com/prometheus/prometheus/wiki/Default-port-allocations) has
	// filled its 9100-9999 range, 9247 going to another Veeam exporter;
	// 10398 lies above it, is not in that list, and recalls EM's 9398.
	DefaultAddress       = ":10398"
	DefaultTelemetryPath = "/metrics"
	DefaultRefresh       = 5 * time.Minute
	// KeepAlive keeps the one EM session alive between refreshes: EM ends a
	// session after 15 idle minutes.
	KeepAlive = 5 * time.Minute
)

// Outcomes of EM requests, the values of vem_em_requests_total's label.
const (
	outcomeSuccess     = "success"      // 2xx
	outcomeClientError = "client_error" // 4xx (401 before a renewal, 403, 404)
	outcomeServerError = "server_error" // 5xx
	outcomeError       = "error"        // no answer: refused, reset, timed out, cancelled
)

// Config is what an Exporter reads and how.
type Config struct {
	Client  *vem.Client     // built with vem.WithObserver(Counter.Observe), to count its requests
	Tracker *health.Tracker // the health state between refreshes
	Counter *Counter        // counts the client's requests and logons
	Refresh time.Duration   // how often to read EM
	Now     func() time.Time
	Log     *slog.Logger
	// ErrorText renders a refresh error for the log; nil: err.Error().
	ErrorText func(error) string
}

// Exporter refreshes a health.Tracker in the background and serves the
// metrics of its last report.
type Exporter struct {
	cfg Config

	reg        *prometheus.Registry
	snapshot   atomic.Pointer[[]prometheus.Metric] // health metrics of the last successful refresh
	up         prometheus.Gauge
	lastTime   prometheus.Gauge
	lastDur    prometheus.Gauge
	refreshes  *prometheus.CounterVec
	sessions   *prometheus.GaugeVec
	refreshReq prometheus.Gauge
}

// New returns an exporter; Run refreshes it, Handler serves it.
func New(cfg Config) *Exporter {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.ErrorText == nil {
		cfg.ErrorText = func(err error) string { return err.Error() }
	}
	if cfg.Counter == nil {
		cfg.Counter = NewCounter()
	}
	e := &Exporter{cfg: cfg,
		reg: prometheus.NewRegistry(),
		up: prometheus.NewGauge(prometheus.GaugeOpts{Name: "vem_up",
			Help: "1 when the last refresh read Enterprise Manager, else 0 (the health metrics are then those of the last successful refresh)."}),
		lastTime: prometheus.NewGauge(prometheus.GaugeOpts{Name: "vem_last_refresh_timestamp_seconds",
			Help: "Unix time of the last successful refresh."}),
		lastDur: prometheus.NewGauge(prometheus.GaugeOpts{Name: "vem_last_refresh_duration_seconds",
			Help: "How long the last refresh took, successful or not."}),
		refreshReq: prometheus.NewGauge(prometheus.GaugeOpts{Name: "vem_last_refresh_em_requests",
			Help: "EM requests the last refresh sent."}),
		refreshes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vem_refreshes_total",
			Help: "Refreshes by result: success or error."}, []string{"result"}),
		sessions: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "vem_sessions_held",
			Help: "Sessions held in memory for the window, by type: task or job."}, []string{"type"}),
	}
	for _, r := range []string{"success", "error"} {
		e.refreshes.WithLabelValues(r)
	}
	e.reg.MustRegister(e.up, e.lastTime, e.lastDur, e.refreshReq, e.refreshes, e.sessions,
		cfg.Counter.requests, cfg.Counter.logons, healthCollector{e},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return e
}

// healthCollector serves the health metrics of the exporter's last
// successful refresh.
type healthCollector struct{ e *Exporter }

// Describe sends the descriptions of the health metrics.
func (h healthCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range healthmetrics.Descs {
		ch <- d
	}
}

// Collect sends the health metrics of the last successful refresh.
func (h healthCollector) Collect(ch chan<- prometheus.Metric) {
	if ms := h.e.snapshot.Load(); ms != nil {
		for _, m := range *ms {
			ch <- m
		}
	}
}

// Run refreshes at once, then every Config.Refresh, until ctx ends.
func (e *Exporter) Run(ctx context.Context) {
	e.refresh(ctx)
	t := time.NewTicker(e.cfg.Refresh)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			e.refresh(ctx)
		}
	}
}

// refresh brings the tracker up to date and, when it could, replaces the
// metrics that scrapes serve. A refresh may take up to the refresh
// interval (at least a minute).
func (e *Exporter) refresh(ctx context.Context) {
	start := time.Now()
	before := e.cfg.Counter.total()
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, max(e.cfg.Refresh, time.Minute))
	defer cancel()
	now := e.cfg.Now()
	_, err := e.cfg.Tracker.Refresh(ctx, e.cfg.Client, now)
	e.refreshReq.Set(float64(e.cfg.Counter.total() - before))
	tasks, jobs := e.cfg.Tracker.Sessions()
	e.sessions.WithLabelValues("task").Set(float64(tasks))
	e.sessions.WithLabelValues("job").Set(float64(jobs))
	if err != nil {
		e.up.Set(0)
		e.refreshes.WithLabelValues("error").Inc()
		if parent.Err() == nil { // not shutting down
			e.cfg.Log.Warn("vem exporter: refresh failed", "error", e.cfg.ErrorText(err))
		}
	} else {
		ms := healthmetrics.Metrics(e.cfg.Tracker.Report(now))
		e.snapshot.Store(&ms)
		e.up.Set(1)
		e.lastTime.Set(healthmetrics.UnixSeconds(now))
		e.refreshes.WithLabelValues("success").Inc()
	}
	e.lastDur.Set(time.Since(start).Seconds())
}

// Handler serves the metrics at path, /healthz and a landing page at /.
func (e *Exporter) Handler(path string) (http.Handler, error) {
	landing, err := web.NewLandingPage(web.LandingConfig{
		Name:        "vem exporter",
		Description: "Backup health from Veeam Backup Enterprise Manager, as Prometheus metrics",
		Version:     vem.Version,
		RoutePrefix: "/",
		Links: []web.LandingLinks{
			{Address: path, Text: "Metrics"},
			{Address: "/healthz", Text: "Health check"},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("landing page: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle(path, promhttp.HandlerFor(e.reg, promhttp.HandlerOpts{Registry: e.reg, MaxRequestsInFlight: 10}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.Handle("/", landing)
	return mux, nil
}

// Counter counts EM requests by outcome and logons, from the client's
// request events (vem.WithObserver): every attempt the client sends,
// retries, renewals, logouts and keep-alive reads included.
type Counter struct {
	requests *prometheus.CounterVec
	logons   prometheus.Counter
	n        atomic.Int64
}

// NewCounter returns a counter with every outcome at zero.
func NewCounter() *Counter {
	c := &Counter{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vem_em_requests_total",
			Help: "Requests sent to Enterprise Manager, by outcome: success (2xx), client_error (4xx), server_error (5xx), error (no answer)."},
			[]string{"outcome"}),
		logons: prometheus.NewCounter(prometheus.CounterOpts{Name: "vem_em_logons_total",
			Help: "Sessions opened on Enterprise Manager: the first logon and every renewal."}),
	}
	for _, o := range []string{outcomeSuccess, outcomeClientError, outcomeServerError, outcomeError} {
		c.requests.WithLabelValues(o)
	}
	return c
}

func (c *Counter) total() int64 { return c.n.Load() }

// Observe counts one request event; pass it to vem.WithObserver.
func (c *Counter) Observe(ev vem.RequestEvent) {
	outcome := outcomeError
	switch {
	case ev.Status >= 200 && ev.Status < 300:
		outcome = outcomeSuccess
	case ev.Status >= 400 && ev.Status < 500:
		outcome = outcomeClientError
	case ev.Status >= 500:
		outcome = outcomeServerError
	}
	c.requests.WithLabelValues(outcome).Inc()
	c.n.Add(1)
	if ev.SessionOpened() {
		c.logons.Inc()
	}
}
