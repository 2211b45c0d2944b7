package health

import (
	"bytes"
	"encoding/json"
	"maps"
	"regexp"
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
	"github.com/vemkit/vem"
	vemhealth "github.com/vemkit/vem/health"
	"github.com/vemkit/vem/internal/healthmetrics"
)

// healthNow is the evaluation time of the hand-written reports.
var healthNow = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

// testReport is a hand-written report: a VM in two jobs, a retry that
// recovered, names with the characters the outputs must escape, and two
// VMs of one name in one job.
func testReport() *vemhealth.Report {
	ts := func(uid string, created time.Time) *vem.BackupTaskSession {
		return &vem.BackupTaskSession{UID: vem.UID("urn:veeam:BackupTaskSession:" + uid), CreationTime: created}
	}
	vms := []vemhealth.VM{
		{Name: "db01", UID: "urn:VMware:Vm:1.vm-1", JobName: "Prod | Daily", JobUID: "urn:veeam:Job:a", BackupServer: "vbr1",
			Status: vemhealth.Critical, Why: "no successful backup in 7d; last attempt failed: disk | full",
			LastResult: vem.ResultFailed, Attempts: 3, Reason: "  disk full\n", LastSession: ts("t1", healthNow.Add(-2*time.Hour))},
		{Name: "db01", UID: "urn:VMware:Vm:1.vm-1", JobName: "Copy 'offsite'", JobUID: "urn:veeam:Job:b", BackupServer: "vbr1",
			Status: vemhealth.Warning, Why: "last successful backup 30h ago, older than 26h", LastResult: vem.ResultSuccess,
			LastSuccess: healthNow.Add(-30 * time.Hour), Age: 30 * time.Hour, Attempts: 1, LastSession: ts("t2", healthNow.Add(-31*time.Hour))},
		{Name: "dup", JobName: "Prod | Daily", JobUID: "urn:veeam:Job:a", BackupServer: "vbr1",
			Status: vemhealth.Warning, Why: "last backup 2h ago ended with a warning: CBT reset", LastResult: vem.ResultWarning,
			LastSuccess: healthNow.Add(-2 * time.Hour), Age: 2 * time.Hour, Attempts: 1, Reason: "CBT reset"},
		{Name: "web \"1\"", UID: "urn:VMware:Vm:1.vm-2", JobName: "Prod | Daily", JobUID: "urn:veeam:Job:a", BackupServer: "vbr1",
			Status: vemhealth.OK, Why: "last backup succeeded 1h ago, after a retry", LastResult: vem.ResultSuccess,
			LastSuccess: healthNow.Add(-time.Hour), Age: time.Hour, Attempts: 2, RecoveredByRetry: true, Running: true,
			Reason: "timeout", LastSession: ts("t3", healthNow.Add(-90*time.Minute))},
		{Name: "dup", JobName: "Prod | Daily", JobUID: "urn:veeam:Job:a", BackupServer: "vbr1",
			Status: vemhealth.OK, Why: "last backup succeeded 3h ago", LastResult: vem.ResultSuccess,
			LastSuccess: healthNow.Add(-3 * time.Hour), Age: 3 * time.Hour, Attempts: 1},
	}
	return &vemhealth.Report{
		Status: vemhealth.Critical, Now: healthNow, Window: 7 * 24 * time.Hour, WarnAge: 26 * time.Hour, CritAge: 48 * time.Hour,
		VMs: vms,
		Jobs: []vemhealth.Job{
			{Name: "Prod | Daily", UID: "urn:veeam:Job:a", BackupServer: "vbr1", Status: vemhealth.Critical,
				VMs: vemhealth.Counts{OK: 2, Warning: 1, Critical: 1}, LastRun: healthNow.Add(-2 * time.Hour), Running: true},
			{Name: "Copy 'offsite'", UID: "urn:veeam:Job:b", BackupServer: "vbr1", Status: vemhealth.Warning,
				VMs: vemhealth.Counts{Warning: 1}, LastRun: healthNow.Add(-31 * time.Hour)},
		},
		Counts: vemhealth.Counts{OK: 2, Warning: 2, Critical: 1},
	}
}

func TestHealthView(t *testing.T) {
	t.Parallel()
	v := newHealthView(testReport(), vemhealth.Options{})
	// db01 counts once, with its worse verdict; the two "dup" VMs without a
	// UID on one server and of one name are one VM to vem too.
	assert.Equal(t, vemhealth.Counts{OK: 1, Warning: 1, Critical: 1}, v.vms)
	assert.Equal(t, vemhealth.Critical, v.status)
	assert.Equal(t, 1, v.recovered)
	assert.Equal(t, 1, v.running)
	assert.Equal(t, "1 of 3 VMs critical, 1 warning; 1 recovered by a retry", v.summary())

	for _, tc := range []struct {
		name string
		rep  *vemhealth.Report
		opts vemhealth.Options
		want string
	}{
		{"all ok", &vemhealth.Report{Status: vemhealth.OK, VMs: []vemhealth.VM{{Name: "a", Status: vemhealth.OK}, {Name: "b", Status: vemhealth.OK}}},
			vemhealth.Options{}, "2 of 2 VMs ok"},
		{"one VM", &vemhealth.Report{Status: vemhealth.Warning, VMs: []vemhealth.VM{{Name: "a", Status: vemhealth.Warning}}},
			vemhealth.Options{}, "1 of 1 VM warning"},
		{"unknown first", &vemhealth.Report{Status: vemhealth.Unknown, VMs: []vemhealth.VM{{Name: "a", Status: vemhealth.Unknown}, {Name: "b", Status: vemhealth.Critical}}},
			vemhealth.Options{}, "1 of 2 VMs unknown, 1 critical"},
		{"nothing in scope", &vemhealth.Report{Status: vemhealth.Unknown, Window: 7 * 24 * time.Hour},
			vemhealth.Options{Jobs: regexp.MustCompile("^Prod"), VMs: regexp.MustCompile("db")},
			`no task session of any VM in the last 7d matches --job "^Prod" --vm "db"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, newHealthView(tc.rep, tc.opts).summary())
		})
	}
	assert.Equal(t, vemhealth.Unknown, newHealthView(&vemhealth.Report{Status: vemhealth.OK}, vemhealth.Options{}).status,
		"no verdict at all is unknown")
}

func TestShortDuration(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		7 * 24 * time.Hour: "7d", 48 * time.Hour: "2d", 26 * time.Hour: "26h", 90 * time.Minute: "1h30m",
		36 * time.Hour: "36h", 45 * time.Second: "45s", 0: "0s",
	} {
		assert.Equal(t, want, shortDuration(d), d.String())
	}
}

func TestParseHealthDuration(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want time.Duration
		err  string
	}{
		{"7d", 7 * 24 * time.Hour, ""},
		{"1d12h", 36 * time.Hour, ""},
		{" 26h ", 26 * time.Hour, ""},
		{"90m", 90 * time.Minute, ""},
		{"0", 0, "above zero"},
		{"0d", 0, "above zero"},
		{"-1h", 0, "negative"},
		{"soon", 0, "invalid duration"},
		{"", 0, "invalid duration"},
		{"2025-01-01", 0, "invalid duration"},
	} {
		got, err := parseHealthDuration(tc.in)
		if tc.err != "" {
			assert.ErrorContains(t, err, tc.err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
}

func TestNagiosRequested(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		env  string
		want bool
	}{
		{[]string{"health", "-o", "nagios"}, "", true},
		{[]string{"health", "--bogus", "-o", "NAGIOS"}, "", true},
		{[]string{"health", "--output", "nagios"}, "", true},
		{[]string{"health", "--output=nagios"}, "", true},
		{[]string{"health", "-onagios"}, "", true},
		{[]string{"health", "-o=nagios"}, "", true},
		{[]string{"health", "-o", "nagios", "-o", "json"}, "", false},
		{[]string{"health"}, "nagios", true},
		{[]string{"health", "-o", "table"}, "nagios", false},
		{[]string{"health", "--", "-o", "nagios"}, "", false},
		{[]string{"health", "-o"}, "", false},
		{[]string{"health"}, "", false},
	} {
		assert.Equal(t, tc.want, nagiosRequested(tc.args, envFunc("VEM_OUTPUT="+tc.env)), "%q VEM_OUTPUT=%q", tc.args, tc.env)
	}
}

// Plugin output grammar of the Monitoring Plugins development guidelines.
var (
	pluginStatusLine = regexp.MustCompile(`^VEM (OK|WARNING|CRITICAL|UNKNOWN) - ([^|\n]+?)(?: \| (.+))?$`)
	// 'label'=value[UOM];[warn];[crit];[min];[max]: a quoted label may hold
	// spaces and doubled quotes; value, min and max in [-0-9.]; warn and
	// crit in the range format.
	perfItem  = regexp.MustCompile(`^('(?:[^'=]|'')+'|[^' =]+)=(-?[0-9.]+|U)([a-zA-Z%]*)(?:;([-0-9.~:@]*)(?:;([-0-9.~:@]*)(?:;([-0-9.]*)(?:;([-0-9.]*))?)?)?)?$`)
	perfSplit = regexp.MustCompile(`'(?:[^']|'')*'=\S*|\S+`)
)

// parsePlugin checks output against the guidelines and returns the state
// word, the text, the performance data by label, and the long output lines.
func parsePlugin(t *testing.T, out string) (state, text string, perf map[string][]string, long []string) {
	t.Helper()
	require.True(t, strings.HasSuffix(out, "\n"), "output ends with a newline: %q", out)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	m := pluginStatusLine.FindStringSubmatch(lines[0])
	require.NotNil(t, m, "status line %q", lines[0])
	perf = map[string][]string{}
	for _, item := range perfSplit.FindAllString(m[3], -1) {
		p := perfItem.FindStringSubmatch(item)
		require.NotNil(t, p, "perfdata item %q", item)
		label := strings.ReplaceAll(strings.Trim(p[1], "'"), "''", "'")
		require.NotContains(t, perf, label, "label %q twice", label)
		perf[label] = p[2:]
	}
	for _, l := range lines[1:] {
		require.NotContains(t, l, "|", "long output holds no performance data")
	}
	return m[1], m[2], perf, lines[1:]
}

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
	require.NoError(t, writeHealthNagios(&b, newHealthView(&vemhealth.Report{Status: vemhealth.Unknown, Window: 24 * time.Hour}, vemhealth.Options{})))
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
	bad := &vemhealth.Report{Status: vemhealth.OK, Now: healthNow, VMs: []vemhealth.VM{{Name: "vm\xff", JobName: "j", Status: vemhealth.OK}},
		Jobs: []vemhealth.Job{{Name: "j\xfe"}}}
	require.NoError(t, healthmetrics.WriteText(&b, bad))
	fams = lintPrometheus(t, b.String())
	assert.Equal(t, map[string]float64{"/j/vm\uFFFD": 0}, series(fams["vem_vm_backup_status"]))

	// Nothing in scope: the overall status says unknown, and nothing else
	// is made up.
	b.Reset()
	require.NoError(t, healthmetrics.WriteText(&b, &vemhealth.Report{Status: vemhealth.Unknown}))
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
	rep := &vemhealth.Report{Status: vemhealth.OK, Window: 24 * time.Hour, WarnAge: time.Hour, CritAge: 2 * time.Hour,
		VMs: []vemhealth.VM{{Name: "a", Status: vemhealth.OK}}, Jobs: []vemhealth.Job{{Name: "j"}}}
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
