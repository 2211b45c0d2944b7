// Package exporter is "vem exporter": it maps its flags onto the exporter
// of github.com/vemkit/vem/internal/exporter and serves it until SIGTERM or
// SIGINT.
package exporter

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/exporter-toolkit/web"
	"github.com/spf13/cobra"
	"github.com/vemkit/vem"
	"github.com/vemkit/vem/cmd/vem/internal/cmdutil"
	"github.com/vemkit/vem/cmd/vem/internal/health"
	vemhealth "github.com/vemkit/vem/health"
	"github.com/vemkit/vem/internal/exporter"
)

// Options are the flags of "vem exporter", as typed.
type Options struct {
	f   *cmdutil.Factory
	cmd *cobra.Command

	ListenAddress, TelemetryPath, WebConfigFile string
	Refresh, Overlap                            time.Duration
	Health                                      health.Flags
}

// NewCmdExporter builds "vem exporter". runF, when not nil, replaces the
// run function.
func NewCmdExporter(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	o := &Options{f: f}
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
		Args:              cmdutil.ExactArgs(),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.cmd = cmd
			if runF != nil {
				return runF(o)
			}
			return o.Run()
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.ListenAddress, "web.listen-address", exporter.DefaultAddress, "address to serve the metrics on")
	fl.StringVar(&o.TelemetryPath, "web.telemetry-path", exporter.DefaultTelemetryPath, "path of the metrics")
	fl.StringVar(&o.WebConfigFile, "web.config.file", "", "exporter-toolkit web configuration file: TLS and basic authentication")
	fl.DurationVar(&o.Refresh, "refresh", exporter.DefaultRefresh, "how often to read EM")
	fl.DurationVar(&o.Overlap, "overlap", vemhealth.DefaultOverlap, "how far before the previous refresh to read again (EM's collection lag)")
	o.Health.AddFlags(cmd, "how far back to judge task and job sessions")
	cmdutil.NoFileCompletions(cmd, "web.listen-address", "web.telemetry-path", "refresh", "overlap")
	// The exporter serves metrics, not -o; each refresh is bounded by
	// itself, not by a command deadline.
	cmdutil.NotApplicable(cmd, "output", "timeout")
	return cmd
}

// Run serves until the command's context ends (SIGTERM, SIGINT), then logs
// out and returns nil.
func (o *Options) Run() error {
	f, cmd := o.f, o.cmd
	switch {
	case o.Refresh < time.Second:
		return cmdutil.Usagef(cmd, "--refresh %v must be at least 1s", o.Refresh)
	case o.Overlap < 0:
		return cmdutil.Usagef(cmd, "--overlap must not be negative")
	case !strings.HasPrefix(o.TelemetryPath, "/") || o.TelemetryPath == "/" || o.TelemetryPath == "/healthz":
		return cmdutil.Usagef(cmd, "--web.telemetry-path %q: want a path such as /metrics", o.TelemetryPath)
	}
	opts, err := o.Health.Options(cmd, time.Time{})
	if err != nil {
		return err
	}
	tracker, err := vemhealth.NewTracker(opts, o.Overlap)
	if err != nil {
		return cmdutil.Usagef(cmd, "%s", cmdutil.Text(err))
	}
	if o.WebConfigFile != "" {
		if err := web.Validate(o.WebConfigFile); err != nil {
			return cmdutil.Usagef(cmd, "--web.config.file: %v", err)
		}
	}
	if err := f.Resolve(cmd); err != nil { // for --verbose, before the logger
		return err
	}
	counter := exporter.NewCounter()
	log := f.Logger()
	f.AddObserver(counter.Observe) // the request and logon counts
	c, err := f.NewClient(cmd, cmdutil.AuthAny, vem.WithKeepAlive(exporter.KeepAlive))
	if err != nil {
		return err
	}
	defer f.CloseClient(c)

	ln, err := net.Listen("tcp", o.ListenAddress)
	if err != nil {
		return fmt.Errorf("--web.listen-address: %w", err)
	}
	e := exporter.New(exporter.Config{Client: c, Tracker: tracker, Counter: counter, Refresh: o.Refresh, Now: f.Now, Log: log,
		ErrorText: func(err error) string { return strings.TrimPrefix(cmdutil.ErrorMessage(err), "vem: ") }})
	h, err := e.Handler(o.TelemetryPath)
	if err != nil {
		ln.Close()
		return err
	}
	fmt.Fprintf(f.IO.ErrOut, "vem exporter: serving %s on %s, refreshing every %v\n", o.TelemetryPath, ln.Addr(), o.Refresh)

	ctx, cancel := context.WithCancel(cmd.Context())
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.Run(ctx)
	}()
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() {
		noSystemd := false
		addrs := []string{o.ListenAddress}
		served <- web.Serve(ln, srv, &web.FlagConfig{WebListenAddresses: &addrs, WebSystemdSocket: &noSystemd,
			WebConfigFile: &o.WebConfigFile}, log)
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
