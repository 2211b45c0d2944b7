package health

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	vemhealth "github.com/vemkit/vem/health"
	"github.com/vemkit/vem/internal/healthmetrics"
)

func TestWriteHealthNagios(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	require.NoError(t, writeHealthNagios(&b, newHealthView(testReport(), vemhealth.Options{})))
	state, text, perf, long := parsePlugin(t, b.String())
	assert.Equal(t, "CRITICAL", state)
	assert.Equal(t, "1 of 3 VMs critical, 1 warning; 1 recovered by a retry", text)
	for label, want := range map[string][]string{
		"ok":                 {"1", "", "", "", "0", "3"},
		"warning":            {"1", "", "", "", "0", "3"},
		"critical":           {"1", "", "", "", "0", "3"},
		"unknown":            {"0", "", "", "", "0", "3"},
		"recovered_by_retry": {"1", "", "", "", "0", ""},
		"running":            {"1", "", "", "", "0", ""},
		"jobs":               {"2", "", "", "", "0", ""},
		"oldest_success_age": {"108000", "s", "93600", "172800", "0", ""},
	} {
		assert.Equal(t, want, perf[label], label)
	}
	assert.Len(t, perf, 8)
	assert.Equal(t, []string{
		"CRITICAL: db01 (Prod / Daily on vbr1): no successful backup in 7d; last attempt failed: disk / full",
		"WARNING: db01 (Copy 'offsite' on vbr1): last successful backup 30h ago, older than 26h",
		"WARNING: dup (Prod / Daily on vbr1): last backup 2h ago ended with a warning: CBT reset",
	}, long, "one line per (job, VM) that is not ok, worst first")

	// Nothing in scope: UNKNOWN, with the counts all zero.
	b.Reset()
	require.NoError(t, writeHealthNagios(&b, newHealthView(&vemhealth.Report{Status: vemhealth.StatusUnknown, Window: 24 * time.Hour}, vemhealth.Options{})))
	state, text, perf, long = parsePlugin(t, b.String())
	assert.Equal(t, "UNKNOWN", state)
	assert.Equal(t, "no task session of any VM in the last 1d", text)
	assert.Equal(t, "0", perf["ok"][0])
	assert.NotContains(t, perf, "oldest_success_age")
	assert.Empty(t, long)
}

func TestPerfLabel(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"ok":           "ok",
		"job a":        "'job a'",
		"it's":         "'it''s'",
		"a=b":          "a_b",
		"pipe|x":       "'pipe/x'",
		"new\nline":    "'new line'",
		"Sauvegarde é": "'Sauvegarde é'",
	} {
		got := perfLabel(in)
		assert.Equal(t, want, got, in)
		assert.Regexp(t, perfItem, got+"=1;;;0", in)
	}
}

// lintPrometheus parses out with the Prometheus text parser and lints it
// with promlint, and returns the families.
func lintPrometheus(t *testing.T, out string) map[string]*dto.MetricFamily {
	t.Helper()
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(out))
	require.NoError(t, err, "the official parser reads the output:\n%s", out)
	problems, err := promlint.New(strings.NewReader(out)).Lint()
	require.NoError(t, err)
	assert.Empty(t, problems, "promlint")
	allowed := map[string]bool{"backup_server": true, "job": true, "vm": true}
	for name, mf := range families {
		assert.Equal(t, dto.MetricType_GAUGE, mf.GetType(), name)
		assert.NotEmpty(t, mf.GetHelp(), name)
		for _, m := range mf.GetMetric() {
			assert.Zero(t, m.GetTimestampMs(), "%s: no sample time stamps in a textfile", name)
			for _, lp := range m.GetLabel() {
				assert.True(t, allowed[lp.GetName()], "%s: label %q", name, lp.GetName())
			}
		}
	}
	return families
}

// series returns the samples of a family by their labels joined with "/".
func series(mf *dto.MetricFamily) map[string]float64 {
	out := map[string]float64{}
	if mf == nil {
		return out
	}
	for _, m := range mf.GetMetric() {
		var parts []string
		for _, lp := range m.GetLabel() {
			parts = append(parts, lp.GetValue())
		}
		out[strings.Join(parts, "/")] = m.GetGauge().GetValue()
	}
	return out
}

func TestWriteHealthPrometheus(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	require.NoError(t, healthmetrics.WriteText(&b, testReport()))
	out := b.String()
	fams := lintPrometheus(t, out)
	assert.Equal(t, []string{
		"vem_health_evaluation_timestamp_seconds", "vem_health_status",
		"vem_job_backup_status", "vem_job_last_run_timestamp_seconds", "vem_job_running",
		"vem_job_vms_critical", "vem_job_vms_ok", "vem_job_vms_unknown", "vem_job_vms_warning",
		"vem_vm_backup_attempts", "vem_vm_backup_running", "vem_vm_backup_status",
		"vem_vm_last_result", "vem_vm_last_run_bytes", "vem_vm_last_run_timestamp_seconds", "vem_vm_last_success_timestamp_seconds", "vem_vm_recovered_by_retry",
	}, slices.Sorted(maps.Keys(fams)))

	// The two "dup" verdicts share their labels: one series, the worse.
	assert.Equal(t, map[string]float64{
		"vbr1/Prod | Daily/db01":      2,
		"vbr1/Copy 'offsite'/db01":    1,
		"vbr1/Prod | Daily/dup":       1,
		"vbr1/Prod | Daily/web \"1\"": 0,
	}, series(fams["vem_vm_backup_status"]))
	assert.Equal(t, map[string]float64{
		"vbr1/Copy 'offsite'/db01":    float64(healthNow.Add(-30 * time.Hour).Unix()),
		"vbr1/Prod | Daily/dup":       float64(healthNow.Add(-2 * time.Hour).Unix()),
		"vbr1/Prod | Daily/web \"1\"": float64(healthNow.Add(-time.Hour).Unix()),
	}, series(fams["vem_vm_last_success_timestamp_seconds"]), "no series without a success")
	assert.Equal(t, 1.0, series(fams["vem_vm_recovered_by_retry"])["vbr1/Prod | Daily/web \"1\""])
	assert.Equal(t, 3.0, series(fams["vem_vm_backup_attempts"])["vbr1/Prod | Daily/db01"])
	assert.Equal(t, 2.0, series(fams["vem_job_vms_ok"])["vbr1/Prod | Daily"])
	assert.Equal(t, 2.0, series(fams["vem_job_backup_status"])["vbr1/Prod | Daily"])
	assert.Equal(t, float64(healthNow.Unix()), series(fams["vem_health_evaluation_timestamp_seconds"])[""])
	assert.Equal(t, 2.0, series(fams["vem_health_status"])[""])
	assert.NotContains(t, out, "urn:", "no UID in the output")
	assert.NotContains(t, out, "TaskSession")

	// A name that is not UTF-8 (EM 13's JSON may carry one) still gives a
	// valid exposition.
	b.Reset()
	bad := &vemhealth.Report{Status: vemhealth.StatusOK, Now: healthNow, VMs: []vemhealth.VM{{Name: "vm\xff", JobName: "j", Status: vemhealth.StatusOK}},
		Jobs: []vemhealth.Job{{Name: "j\xfe"}}}
	require.NoError(t, healthmetrics.WriteText(&b, bad))
	fams = lintPrometheus(t, b.String())
	assert.Equal(t, map[string]float64{"/j/vm\uFFFD": 0}, series(fams["vem_vm_backup_status"]))

	// Nothing in scope: the overall status says unknown, and nothing else
	// is made up.
	b.Reset()
	require.NoError(t, healthmetrics.WriteText(&b, &vemhealth.Report{Status: vemhealth.StatusUnknown}))
	fams = lintPrometheus(t, b.String())
	assert.Equal(t, 3.0, series(fams["vem_health_status"])[""])
	assert.Len(t, fams, 2)
}

func TestWriteHealthJSON(t *testing.T) {
	t.Parallel()
	v := newHealthView(testReport(), vemhealth.Options{})
	var b bytes.Buffer
	require.NoError(t, writeHealthJSON(&b, v))
	var got []map[string]any
	require.NoError(t, json.Unmarshal(b.Bytes(), &got), b.String())
	require.Len(t, got, 5)
	want := []string{"vm", "vmUid", "job", "jobUid", "backupServer", "status", "why", "lastResult", "lastSuccess",
		"ageSeconds", "attempts", "recoveredByRetry", "running", "reason", "lastRun", "lastTaskSessionUid"}
	for _, o := range got {
		assert.ElementsMatch(t, want, slices.Collect(maps.Keys(o)), "every key, always")
	}
	assert.Equal(t, map[string]any{
		"vm": "db01", "vmUid": "urn:VMware:Vm:1.vm-1", "job": "Prod | Daily", "jobUid": "urn:veeam:Job:a",
		"backupServer": "vbr1", "status": "critical", "why": "no successful backup in 7d; last attempt failed: disk | full",
		"lastResult": "Failed", "lastSuccess": nil, "ageSeconds": nil, "attempts": 3.0, "recoveredByRetry": false,
		"running": false, "reason": "disk full", "lastRun": "2026-03-10T10:00:00Z",
		"lastTaskSessionUid": "urn:veeam:BackupTaskSession:t1",
	}, got[0])
	assert.Equal(t, "2026-03-09T06:00:00Z", got[1]["lastSuccess"])
	assert.Equal(t, 108000.0, got[1]["ageSeconds"])
	assert.Equal(t, nil, got[2]["vmUid"])
	assert.Equal(t, []any{"ok", true, true}, []any{got[3]["status"], got[3]["recoveredByRetry"], got[3]["running"]})

	// jsonl: the same objects, one a line.
	b.Reset()
	require.NoError(t, writeHealthJSONL(&b, v))
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	require.Len(t, lines, 5)
	for i, l := range lines {
		var o map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &o))
		assert.Equal(t, got[i], o)
	}

	b.Reset()
	require.NoError(t, writeHealthJSON(&b, newHealthView(&vemhealth.Report{}, vemhealth.Options{})))
	assert.Equal(t, "[]\n", b.String())
}

func TestWriteHealthTable(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	require.NoError(t, writeHealthTable(&b, newHealthView(testReport(), vemhealth.Options{})))
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	require.Len(t, lines, 6, b.String())
	assert.Regexp(t, `^STATUS +VM +JOB +BACKUP SERVER +LAST SUCCESS \(UTC\) +ATTEMPTS +WHY$`, lines[0])
	assert.Regexp(t, `^CRITICAL +db01 +Prod \| Daily +vbr1 +- +3 +no successful backup`, lines[1])
	assert.Regexp(t, `^WARNING +db01 +Copy 'offsite' +vbr1 +2026-03-09 06:00:00 +1 +last successful`, lines[2])
	assert.Regexp(t, `^WARNING +dup `, lines[3])
	assert.Empty(t, lines[4])
	assert.Equal(t, "CRITICAL: 1 of 3 VMs critical, 1 warning; 1 recovered by a retry (2 jobs; last 7d, warning after 26h, critical after 2d)", lines[5])

	// All ok: the summary alone.
	b.Reset()
	rep := &vemhealth.Report{Status: vemhealth.StatusOK, Window: 24 * time.Hour, WarnAge: time.Hour, CritAge: 2 * time.Hour,
		VMs: []vemhealth.VM{{Name: "a", Status: vemhealth.StatusOK}}, Jobs: []vemhealth.Job{{Name: "j"}}}
	require.NoError(t, writeHealthTable(&b, newHealthView(rep, vemhealth.Options{})))
	assert.Equal(t, "OK: 1 of 1 VM ok (1 job; last 1d, warning after 1h, critical after 2h)\n", b.String())
}

// envFunc is an environment of KEY=value pairs.
func envFunc(kv ...string) func(string) string {
	m := map[string]string{}
	for _, s := range kv {
		k, v, _ := strings.Cut(s, "=")
		m[k] = v
	}
	return func(k string) string { return m[k] }
}
