package health

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vemkit/vem"
	vemhealth "github.com/vemkit/vem/health"
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
			Status: vemhealth.StatusCritical, Why: "no successful backup in 7d; last attempt failed: disk | full",
			LastResult: vem.ResultFailed, Attempts: 3, Reason: "  disk full\n", LastSession: ts("t1", healthNow.Add(-2*time.Hour))},
		{Name: "db01", UID: "urn:VMware:Vm:1.vm-1", JobName: "Copy 'offsite'", JobUID: "urn:veeam:Job:b", BackupServer: "vbr1",
			Status: vemhealth.StatusWarning, Why: "last successful backup 30h ago, older than 26h", LastResult: vem.ResultSuccess,
			LastSuccess: healthNow.Add(-30 * time.Hour), Age: 30 * time.Hour, Attempts: 1, LastSession: ts("t2", healthNow.Add(-31*time.Hour))},
		{Name: "dup", JobName: "Prod | Daily", JobUID: "urn:veeam:Job:a", BackupServer: "vbr1",
			Status: vemhealth.StatusWarning, Why: "last backup 2h ago ended with a warning: CBT reset", LastResult: vem.ResultWarning,
			LastSuccess: healthNow.Add(-2 * time.Hour), Age: 2 * time.Hour, Attempts: 1, Reason: "CBT reset"},
		{Name: "web \"1\"", UID: "urn:VMware:Vm:1.vm-2", JobName: "Prod | Daily", JobUID: "urn:veeam:Job:a", BackupServer: "vbr1",
			Status: vemhealth.StatusOK, Why: "last backup succeeded 1h ago, after a retry", LastResult: vem.ResultSuccess,
			LastSuccess: healthNow.Add(-time.Hour), Age: time.Hour, Attempts: 2, RecoveredByRetry: true, Running: true,
			Reason: "timeout", LastSession: ts("t3", healthNow.Add(-90*time.Minute))},
		{Name: "dup", JobName: "Prod | Daily", JobUID: "urn:veeam:Job:a", BackupServer: "vbr1",
			Status: vemhealth.StatusOK, Why: "last backup succeeded 3h ago", LastResult: vem.ResultSuccess,
			LastSuccess: healthNow.Add(-3 * time.Hour), Age: 3 * time.Hour, Attempts: 1},
	}
	return &vemhealth.Report{
		Status: vemhealth.StatusCritical, Now: healthNow, Window: 7 * 24 * time.Hour, WarnAge: 26 * time.Hour, CritAge: 48 * time.Hour,
		VMs: vms,
		Jobs: []vemhealth.Job{
			{Name: "Prod | Daily", UID: "urn:veeam:Job:a", BackupServer: "vbr1", Status: vemhealth.StatusCritical,
				VMs: vemhealth.Counts{OK: 2, Warning: 1, Critical: 1}, LastRun: healthNow.Add(-2 * time.Hour), Running: true},
			{Name: "Copy 'offsite'", UID: "urn:veeam:Job:b", BackupServer: "vbr1", Status: vemhealth.StatusWarning,
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
	assert.Equal(t, vemhealth.StatusCritical, v.status)
	assert.Equal(t, 1, v.recovered)
	assert.Equal(t, 1, v.running)
	assert.Equal(t, "1 of 3 VMs critical, 1 warning; 1 recovered by a retry", v.summary())

	for _, tc := range []struct {
		name string
		rep  *vemhealth.Report
		opts vemhealth.Options
		want string
	}{
		{"all ok", &vemhealth.Report{Status: vemhealth.StatusOK, VMs: []vemhealth.VM{{Name: "a", Status: vemhealth.StatusOK}, {Name: "b", Status: vemhealth.StatusOK}}},
			vemhealth.Options{}, "2 of 2 VMs ok"},
		{"one VM", &vemhealth.Report{Status: vemhealth.StatusWarning, VMs: []vemhealth.VM{{Name: "a", Status: vemhealth.StatusWarning}}},
			vemhealth.Options{}, "1 of 1 VM warning"},
		{"unknown first", &vemhealth.Report{Status: vemhealth.StatusUnknown, VMs: []vemhealth.VM{{Name: "a", Status: vemhealth.StatusUnknown}, {Name: "b", Status: vemhealth.StatusCritical}}},
			vemhealth.Options{}, "1 of 2 VMs unknown, 1 critical"},
		{"nothing in scope", &vemhealth.Report{Status: vemhealth.StatusUnknown, Window: 7 * 24 * time.Hour},
			vemhealth.Options{Jobs: regexp.MustCompile("^Prod"), VMs: regexp.MustCompile("db")},
			`no task session of any VM in the last 7d matches --job "^Prod" --vm "db"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, newHealthView(tc.rep, tc.opts).summary())
		})
	}
	assert.Equal(t, vemhealth.StatusUnknown, newHealthView(&vemhealth.Report{Status: vemhealth.StatusOK}, vemhealth.Options{}).status,
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
