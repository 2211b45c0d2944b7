package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/exporter-toolkit/web"
	"github.com/spf13/cobra"
	"github.com/vemkit/vem"
	"github.com/vemkit/vem/health"
)

// Defaults of "vem exporter".
const (
	// defaultExporterAddress: Prometheus' default port allocations list
	// (github.com/prometheus/prometheus/wiki/Default-port-allocations) has
	// filled its 9100-9999 range, 9247 going to another Veeam exporter;
	// 10398 lies above it, is not in that list, and recalls EM's 9398.
	defaultExporterAddress = ":10398"
	defaultTelemetryPath   = "/metrics"
	defaultRefresh         = 5 * time.Minute
	// exporterKeepAlive keeps the one EM session alive between refreshes:
	// EM ends a session after 15 idle minutes.
	exporterKeepAlive = 5 * time.Minute
)

// Outcomes of EM requests, the values of vem_em_requests_total's label.
const (
	outcomeSuccess     = "success"      // 2xx
	outcomeClientError = "client_error" // 4xx (401 before a renewal, 403, 404)
	outcomeServerError = "server_error" // 5xx
	outcomeError       = "error"        // no answer: refused, reset, timed out, cancelled
)

// exporterOptions are the flags of "vem exporter", as typed.
type exporterOptions struct {
	listenAddress, telemetryPath, webConfigFile string
	refresh, overlap                            time.Duration
	health                                      healthOptions
}

func (a *app) newExporterCmd() *cobra.Command {
	var o exporterOptions
	cmd := &cobra.Command{
		Use:   "exporter",
		Short: "Serve backup health as Prometheus metrics, refreshed in the background",
		Long: `Serve the backup health of "vem health" as Prometheus metrics, with the metrics
of the exporter itself, at --web.telemetry-path on --web.listen-address; a
landing page at / and /healthz for liveness checks.

The exporter logs on to EM once, keeps that session alive (and logs on again
if EM ends it), and logs out on SIGTERM or SIGINT. Every --refresh it reads
what is new since the previous refresh (less --overlap, for EM's collection
lag): the first refresh reads the whole --window, later ones a page or two.
A scrape serves the result of the last refresh and never waits on EM.

TLS and basic authentication of the exporter's own endpoint come from
--web.config.file, Prometheus' exporter-toolkit web configuration.
See docs/monitoring.md for the metrics, alerting rules and a dashboard.`,
		Example: `  VEM_URL=https://em.example.com:9398 VEM_USERNAME='DOMAIN\prometheus' VEM_PASSWORD=... vem exporter
  vem exporter --web.listen-address=127.0.0.1:10398 --refresh 2m --job '^Prod'
  vem exporter --web.config.file /etc/vem/web.yml`,
		Args:              exactArgs(),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.exporter(cmd, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.listenAddress, "web.listen-address", defaultExporterAddress, "address to serve the metrics on")
	f.StringVar(&o.telemetryPath, "web.telemetry-path", defaultTelemetryPath, "path of the metrics")
	f.StringVar(&o.webConfigFile, "web.config.file", "", "exporter-toolkit web configuration file: TLS and basic authentication")
	f.DurationVar(&o.refresh, "refresh", defaultRefresh, "how often to read EM")
	f.DurationVar(&o.overlap, "overlap", health.DefaultOverlap, "how far before the previous refresh to read again (EM's collection lag)")
	f.StringVar(&o.health.window, "window", "7d", "how far back to judge task and job sessions")
	f.StringVar(&o.health.warnAge, "warn-age", "26h", "a last success older than this is a warning")
	f.StringVar(&o.health.critAge, "crit-age", "48h", "a last success older than this is critical")
	f.StringVar(&o.health.job, "job", "", "only the jobs whose name matches this regular expression")
	f.StringVar(&o.health.vm, "vm", "", "only the VMs whose name matches this regular expression")
	return cmd
}

// exporter runs "vem exporter" until its context ends (SIGTERM, SIGINT),
// then logs out and returns nil.
func (a *app) exporter(cmd *cobra.Command, o exporterOptions) error {
	switch {
	case o.refresh < time.Second:
		return usagef(cmd, "--refresh %v must be at least 1s", o.refresh)
	case o.overlap < 0:
		return usagef(cmd, "--overlap must not be negative")
	case !strings.HasPrefix(o.telemetryPath, "/") || o.telemetryPath == "/" || o.telemetryPath == "/healthz":
		return usagef(cmd, "--web.telemetry-path %q: want a path such as /metrics", o.telemetryPath)
	}
	opts, err := o.health.options(cmd, time.Time{})
	if err != nil {
		return err
	}
	tracker, err := health.NewTracker(opts, o.overlap)
	if err != nil {
		return usagef(cmd, "%v", err)
	}
	if o.webConfigFile != "" {
		if err := web.Validate(o.webConfigFile); err != nil {
			return usagef(cmd, "--web.config.file: %v", err)
		}
	}
	if err := a.resolve(cmd); err != nil { // for --verbose, before the logger
		return err
	}
	counter := newEMCounter()
	log := a.logger()
	c, err := a.newClient(cmd, authAny, vem.WithKeepAlive(exporterKeepAlive),
		vem.WithLogger(slog.New(counter.handler(log.Handler()))))
	if err != nil {
		return err
	}
	defer a.closeClient(c)

	ln, err := net.Listen("tcp", o.listenAddress)
	if err != nil {
		return fmt.Errorf("--web.listen-address: %w", err)
	}
	e := newExporter(c, tracker, counter, o.refresh, a.now, log)
	h, err := e.handler(o.telemetryPath)
	if err != nil {
		ln.Close()
		return err
	}
	fmt.Fprintf(a.stderr, "vem exporter: serving %s on %s, refreshing every %v\n", o.telemetryPath, ln.Addr(), o.refresh)

	ctx, cancel := context.WithCancel(cmd.Context())
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.run(ctx)
	}()
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() {
		noSystemd := false
		addrs := []string{o.listenAddress}
		served <- web.Serve(ln, srv, &web.FlagConfig{WebListenAddresses: &addrs, WebSystemdSocket: &noSystemd,
			WebConfigFile: &o.webConfigFile}, log)
	}()

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-served:
	}
	cancel()
	shutdown, stop := context.WithTimeout(context.Background(), 5*time.Second)
	defer stop()
	_ = srv.Shutdown(shutdown)
	<-done
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return fmt.Errorf("serving metrics: %w", serveErr)
	}
	return nil
}

// exporter refreshes a health.Tracker in the background and serves the
// metrics of its last report.
type exporter struct {
	client  *vem.Client
	tracker *health.Tracker
	counter *emCounter
	every   time.Duration
	now     func() time.Time
	log     *slog.Logger

	reg        *prometheus.Registry
	snapshot   atomic.Pointer[[]prometheus.Metric] // health metrics of the last successful refresh
	up         prometheus.Gauge
	lastTime   prometheus.Gauge
	lastDur    prometheus.Gauge
	refreshes  *prometheus.CounterVec
	sessions   *prometheus.GaugeVec
	refreshReq prometheus.Gauge
}

func newExporter(c *vem.Client, tr *health.Tracker, counter *emCounter, every time.Duration, now func() time.Time, log *slog.Logger) *exporter {
	e := &exporter{client: c, tracker: tr, counter: counter, every: every, now: now, log: log,
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
		counter.requests, counter.logons, healthCollector{e},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return e
}

// healthCollector serves the health metrics of the exporter's last
// successful refresh.
type healthCollector struct{ e *exporter }

// Describe sends the descriptions of the health metrics.
func (h healthCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range healthDescs {
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

// run refreshes at once, then every e.every, until ctx ends.
func (e *exporter) run(ctx context.Context) {
	e.refresh(ctx)
	t := time.NewTicker(e.every)
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
func (e *exporter) refresh(ctx context.Context) {
	start := time.Now()
	before := e.counter.total()
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, max(e.every, time.Minute))
	defer cancel()
	now := e.now()
	_, err := e.tracker.Refresh(ctx, e.client, now)
	e.refreshReq.Set(float64(e.counter.total() - before))
	tasks, jobs := e.tracker.Sessions()
	e.sessions.WithLabelValues("task").Set(float64(tasks))
	e.sessions.WithLabelValues("job").Set(float64(jobs))
	if err != nil {
		e.up.Set(0)
		e.refreshes.WithLabelValues("error").Inc()
		if parent.Err() == nil { // not shutting down
			e.log.Warn("vem exporter: refresh failed", "error", strings.TrimPrefix(errorMessage(err), "vem: "))
		}
	} else {
		ms := healthMetrics(e.tracker.Report(now))
		e.snapshot.Store(&ms)
		e.up.Set(1)
		e.lastTime.Set(unixSeconds(now))
		e.refreshes.WithLabelValues("success").Inc()
	}
	e.lastDur.Set(time.Since(start).Seconds())
}

// handler serves the metrics at path, /healthz and a landing page at /.
func (e *exporter) handler(path string) (http.Handler, error) {
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

// emCounter counts EM requests by outcome and logons, from the SDK's debug
// log records ("vem: request", "vem: request failed", "vem: logged on"):
// every request the client sends, retries and renewals included.
type emCounter struct {
	requests *prometheus.CounterVec
	logons   prometheus.Counter
	n        atomic.Int64
}

func newEMCounter() *emCounter {
	c := &emCounter{
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

func (c *emCounter) total() int64 { return c.n.Load() }

// observe counts one SDK log record.
func (c *emCounter) observe(r slog.Record) {
	switch r.Message {
	case "vem: request":
		outcome := outcomeError
		r.Attrs(func(a slog.Attr) bool {
			if a.Key != "status" {
				return true
			}
			code, _ := strconv.Atoi(a.Value.String())
			switch {
			case code >= 200 && code < 300:
				outcome = outcomeSuccess
			case code >= 400 && code < 500:
				outcome = outcomeClientError
			case code >= 500:
				outcome = outcomeServerError
			}
			return false
		})
		c.requests.WithLabelValues(outcome).Inc()
		c.n.Add(1)
	case "vem: request failed":
		c.requests.WithLabelValues(outcomeError).Inc()
		c.n.Add(1)
	case "vem: logged on":
		c.logons.Inc()
	}
}

// handler returns a slog.Handler that counts records and passes on to next
// those next wants.
func (c *emCounter) handler(next slog.Handler) slog.Handler {
	return &countingHandler{c: c, next: next}
}

type countingHandler struct {
	c    *emCounter
	next slog.Handler
}

// Enabled is true: every record is counted, whatever next keeps.
func (h *countingHandler) Enabled(context.Context, slog.Level) bool { return true }

// Handle counts the record and passes it on when next wants it.
func (h *countingHandler) Handle(ctx context.Context, r slog.Record) error {
	h.c.observe(r)
	if h.next.Enabled(ctx, r.Level) {
		return h.next.Handle(ctx, r)
	}
	return nil
}

// WithAttrs keeps counting.
func (h *countingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &countingHandler{c: h.c, next: h.next.WithAttrs(attrs)}
}

// WithGroup keeps counting.
func (h *countingHandler) WithGroup(name string) slog.Handler {
	return &countingHandler{c: h.c, next: h.next.WithGroup(name)}
}
