package exporter

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vemkit/vem/health"
)

// findPromTool returns the path of a Prometheus program ("prometheus",
// "promtool"). Without it the test is skipped, saying why, except under CI
// (CI set), where .ci/run installs it and its absence is a failure.
func findPromTool(t *testing.T, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if p := "/usr/bin/" + name; fileExists(p) {
		return p
	}
	msg := name + " not found in PATH or /usr/bin: install Prometheus (Debian, Ubuntu: apt-get install prometheus) to run this test"
	if os.Getenv("CI") != "" {
		t.Fatal(msg + " (CI is set: the test may not be skipped)")
	}
	t.Skip(msg)
	return ""
}

func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir()
}

// promQuery runs an instant query through Prometheus' HTTP API and returns
// the value of its single sample; ok is false when the result is empty.
func promQuery(t *testing.T, base, q string) (float64, bool) {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	if resp.StatusCode != http.StatusOK {
		// Prometheus answers 503 while it starts (its storage is not ready).
		// No require here: the caller may be polling in require.Eventually,
		// whose condition runs on another goroutine.
		return 0, false
	}
	var r struct {
		Status string `json:"status"`
		Data   struct {
			ResultType string `json:"resultType"`
			Result     []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal(b, &r), string(b))
	require.Equal(t, "success", r.Status, string(b))
	if len(r.Data.Result) == 0 {
		return 0, false
	}
	require.Len(t, r.Data.Result, 1, "query %s: %s", q, b)
	s, _ := r.Data.Result[0].Value[1].(string)
	v, err := strconv.ParseFloat(s, 64)
	require.NoError(t, err)
	return v, true
}

// TestExporterWithPrometheus lets a real Prometheus scrape the exporter,
// running in process against a vemtest fleet, and checks the series through
// Prometheus' HTTP API against the health package's answer.
func TestExporterWithPrometheus(t *testing.T) {
	t.Parallel()
	prom := findPromTool(t, "prometheus")
	promtool := findPromTool(t, "promtool")

	f := newExporterFixture(t, 500, health.Options{})
	f.e.refresh(context.Background())
	require.Equal(t, 1.0, testutil.ToFloat64(f.e.up))
	rep := f.e.cfg.Tracker.Report(f.clock.Now())
	h, err := f.e.Handler("/metrics")
	require.NoError(t, err)
	exp := httptest.NewServer(h)
	defer exp.Close()

	dir := t.TempDir()
	config := filepath.Join(dir, "prometheus.yml")
	require.NoError(t, os.WriteFile(config, []byte(fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: vem
    honor_labels: true
    static_configs:
      - targets: [%q]
`, strings.TrimPrefix(exp.URL, "http://"))), 0o600))
	out, err := exec.Command(promtool, "check", "config", config).CombinedOutput()
	require.NoError(t, err, string(out))

	addr := freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, prom, "--config.file="+config, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--log.level=warn")
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	require.NoError(t, cmd.Start())
	defer func() {
		cancel()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("prometheus log:\n%s", logs.String())
		}
	}()

	base := "http://" + addr
	require.Eventually(t, func() bool {
		v, ok := promQuery(t, base, `vem_up`)
		return ok && v == 1
	}, 120*time.Second, 200*time.Millisecond, "Prometheus never scraped vem_up 1")

	for _, c := range []struct {
		query string
		want  float64
	}{
		{`count(vem_vm_backup_status == 2)`, float64(rep.Counts.Critical)},
		{`count(vem_vm_backup_status == 1)`, float64(rep.Counts.Warning)},
		{`count(vem_vm_backup_status == 0)`, float64(rep.Counts.OK)},
		{`count(vem_vm_backup_status)`, float64(len(rep.VMs))},
		{`sum(vem_job_vms_critical)`, float64(rep.Counts.Critical)},
		{`count(vem_job_backup_status)`, float64(len(rep.Jobs))},
		{`vem_health_status`, float64(rep.Status)},
		{`sum(vem_vm_recovered_by_retry)`, float64(countVMs(rep, func(vm health.VM) bool { return vm.RecoveredByRetry }))},
		{`vem_em_logons_total`, 1},
		{`vem_up`, 1},
		{`up{job="vem"}`, 1},
	} {
		v, ok := promQuery(t, base, c.query)
		if assert.True(t, ok, "%s: no result", c.query) {
			assert.Equal(t, c.want, v, c.query)
		}
	}
	require.Positive(t, rep.Counts.Critical)

	// A series per (job, VM), with the three stable labels and Prometheus'
	// instance, nothing else: with honor_labels, the backup job's name stays
	// in job (docs/monitoring.md).
	resp, err := http.Get(base + "/api/v1/series?match[]=" + url.QueryEscape(`vem_vm_backup_status{job="Backup Job 05"}`))
	require.NoError(t, err)
	defer resp.Body.Close()
	var series struct {
		Data []map[string]string `json:"data"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&series))
	require.NotEmpty(t, series.Data)
	for _, s := range series.Data {
		delete(s, "vm")
		assert.Equal(t, map[string]string{"__name__": "vem_vm_backup_status", "backup_server": "vbr01.fleet.example",
			"job": "Backup Job 05", "instance": strings.TrimPrefix(exp.URL, "http://")}, s)
	}
}

func countVMs(rep *health.Report, f func(health.VM) bool) int {
	n := 0
	for _, vm := range rep.VMs {
		if f(vm) {
			n++
		}
	}
	return n
}

// TestMonitoringRules checks the alerting rules shipped in docs/monitoring
// with promtool, and runs their unit tests.
func TestMonitoringRules(t *testing.T) {
	t.Parallel()
	promtool := findPromTool(t, "promtool")
	dir := filepath.Join("..", "..", "docs", "monitoring")
	out, err := exec.Command(promtool, "check", "rules", filepath.Join(dir, "alerts.yml")).CombinedOutput()
	require.NoError(t, err, string(out))
	cmd := exec.Command(promtool, "test", "rules", "alerts_test.yml")
	cmd.Dir = dir
	out, err = cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	assert.Contains(t, string(out), "SUCCESS")

	// The dashboard is JSON and queries metrics the exporter serves.
	b, err := os.ReadFile(filepath.Join(dir, "grafana-dashboard.json"))
	require.NoError(t, err)
	var dash map[string]any
	require.NoError(t, json.Unmarshal(b, &dash))
	assert.Contains(t, string(b), "vem_vm_backup_status")
}

// freePort returns a loopback address that was free a moment ago.
func freePort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}
