package main

import (
	"bufio"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/vemkit/vem/vemtest"
)

// healthVerdict is one element of "vem health -o json", decoded strictly.
type healthVerdict struct {
	VM                 string   `json:"vm"`
	VMUID              *string  `json:"vmUid"`
	Job                string   `json:"job"`
	JobUID             *string  `json:"jobUid"`
	BackupServer       *string  `json:"backupServer"`
	Status             string   `json:"status"`
	Why                string   `json:"why"`
	LastResult         *string  `json:"lastResult"`
	LastSuccess        *string  `json:"lastSuccess"`
	AgeSeconds         *float64 `json:"ageSeconds"`
	Attempts           int      `json:"attempts"`
	RecoveredByRetry   bool     `json:"recoveredByRetry"`
	Running            bool     `json:"running"`
	Reason             *string  `json:"reason"`
	LastRun            *string  `json:"lastRun"`
	LastTaskSessionUID *string  `json:"lastTaskSessionUid"`
}

var statusRank = map[string]int{"ok": 0, "warning": 1, "critical": 2, "unknown": 3}

// TestHealthFleet runs vem health against "vem fake-server --fleet 500",
// both in processes as a monitoring system runs them: every output, their
// agreement, the exit codes.
func TestHealthFleet(t *testing.T) {
	t.Parallel()
	env := startFleetServer(t, 500)
	vem := func(want int, args ...string) string {
		t.Helper()
		r := runVem(t, env, "", append([]string{"health"}, args...)...)
		require.Equal(t, want, r.code, r.String())
		assert.Empty(t, r.stderr, "nothing on stderr")
		return r.stdout
	}

	verdicts := decodeJSON[[]healthVerdict](t, vem(0, "-o", "json"))

	// Every VM of the fleet, some in two jobs; every status but unknown;
	// worst first.
	vms := map[string]int{} // VM UID -> worst status
	byStatus := map[string]int{}
	notOK := 0
	for i, v := range verdicts {
		require.NotNil(t, v.VMUID, v.VM)
		require.NotNil(t, v.JobUID, v.VM)
		require.NotNil(t, v.BackupServer, v.VM)
		require.NotNil(t, v.LastRun, v.VM)
		require.Contains(t, statusRank, v.Status)
		assert.NotEmpty(t, v.Why)
		assert.Equal(t, v.LastSuccess == nil, v.AgeSeconds == nil, v.VM)
		if i > 0 {
			assert.LessOrEqual(t, statusRank[v.Status], statusRank[verdicts[i-1].Status], "worst first")
		}
		vms[*v.VMUID] = max(vms[*v.VMUID], statusRank[v.Status])
		byStatus[v.Status]++
		if v.Status != "ok" {
			notOK++
		}
	}
	require.Len(t, vms, 500)
	assert.Greater(t, len(verdicts), 500, "VMs in a backup job and a backup copy job have two verdicts")
	for _, s := range []string{"ok", "warning", "critical"} {
		assert.Positive(t, byStatus[s], s)
	}
	vmCounts := map[string]int{}
	for _, r := range vms {
		vmCounts[[]string{"ok", "warning", "critical", "unknown"}[r]]++
	}

	// The scenarios of the fleet, as the outputs show them.
	find := func(job string, pred func(healthVerdict) bool) *healthVerdict {
		for i := range verdicts {
			if verdicts[i].Job == job && pred(verdicts[i]) {
				return &verdicts[i]
			}
		}
		return nil
	}
	if v := find("Backup Job 06", func(v healthVerdict) bool { return v.RecoveredByRetry }); assert.NotNil(t, v, "a VM recovered by a retry") {
		assert.Equal(t, "ok", v.Status)
		assert.GreaterOrEqual(t, v.Attempts, 2)
		assert.NotNil(t, v.Reason, "the reason of the failure the retry recovered from")
	}
	if v := find("Backup Job 03", func(v healthVerdict) bool { return strings.Contains(v.Why, "under way") }); assert.NotNil(t, v, "a retry under way") {
		assert.Equal(t, "warning", v.Status)
	}
	if v := find("Backup Job 05", func(v healthVerdict) bool { return v.LastSuccess == nil }); assert.NotNil(t, v, "a VM that never succeeded") {
		assert.Equal(t, "critical", v.Status)
		assert.Equal(t, "Failed", *v.LastResult)
	}
	assert.NotNil(t, find("Backup Job 02", func(v healthVerdict) bool { return v.Running }), "a run in progress")

	// jsonl: the same verdicts, one a line.
	sc := bufio.NewScanner(strings.NewReader(vem(0, "-o", "jsonl")))
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		v := decodeJSON[healthVerdict](t, sc.Text())
		require.Less(t, n, len(verdicts))
		assert.Equal(t, verdicts[n].VM+"/"+verdicts[n].Job+"/"+verdicts[n].Status, v.VM+"/"+v.Job+"/"+v.Status)
		n++
	}
	assert.Equal(t, len(verdicts), n)

	// nagios: CRITICAL and exit 2, the counts of the VMs, a line per
	// verdict that is not ok.
	state, text, perf, long := parsePlugin(t, vem(2, "-o", "nagios"))
	assert.Equal(t, "CRITICAL", state)
	assert.True(t, strings.HasPrefix(text, strconv.Itoa(vmCounts["critical"])+" of 500 VMs critical, "+strconv.Itoa(vmCounts["warning"])+" warning"), text)
	for _, s := range []string{"ok", "warning", "critical", "unknown"} {
		assert.Equal(t, []string{strconv.Itoa(vmCounts[s]), "", "", "", "0", "500"}, perf[s], s)
	}
	assert.Len(t, long, notOK)
	for _, l := range long {
		assert.Regexp(t, `^(CRITICAL|WARNING): vm-\d+ \(Backup (Job|Copy) \d+ on vbr\d+\.fleet\.example\): \S`, l)
	}

	// prometheus: parser and linter, a series per verdict, the statuses of
	// the JSON.
	fams := lintPrometheus(t, vem(0, "-o", "prometheus"))
	status := series(fams["vem_vm_backup_status"])
	require.Len(t, status, len(verdicts))
	for _, v := range verdicts {
		assert.Equal(t, float64(statusRank[v.Status]), status[*v.BackupServer+"/"+v.Job+"/"+v.VM], v.VM)
	}
	assert.Len(t, series(fams["vem_vm_last_success_timestamp_seconds"]), len(verdicts)-countNil(verdicts))
	assert.Equal(t, 2.0, series(fams["vem_health_status"])[""])
	jobs := series(fams["vem_job_backup_status"])
	assert.Equal(t, 2.0, jobs["vbr01.fleet.example/Backup Job 05"])

	// The scope filters, and a looser threshold.
	some := map[string]bool{}
	for _, v := range decodeJSON[[]healthVerdict](t, vem(0, "-o", "json", "--vm", "^vm-00[1-9]$")) {
		some[v.VM] = true
	}
	assert.Len(t, some, 9)
	for _, v := range decodeJSON[[]healthVerdict](t, vem(0, "-o", "json", "--job", "^Backup Job 04$", "--warn-age", "2d", "--crit-age", "3d")) {
		if v.LastResult != nil && *v.LastResult == "Success" {
			assert.Equal(t, "ok", v.Status, "%s: %s", v.VM, v.Why)
		}
	}

	// A refused logon is UNKNOWN to a monitoring system, exit 3.
	r := runVem(t, append(env, "VEM_PASSWORD=wrong"), "", "health", "-o", "nagios")
	assert.Equal(t, 3, r.code, r.String())
	assert.True(t, strings.HasPrefix(r.stdout, "VEM UNKNOWN - "), r.stdout)
	assert.Empty(t, r.stderr)
}

func countNil(vs []healthVerdict) int {
	n := 0
	for _, v := range vs {
		if v.LastSuccess == nil {
			n++
		}
	}
	return n
}

// TestHealthFleetExitCodes checks each exit code of -o nagios, in the
// process, on a fleet without random failures, where each scenario job has
// one verdict.
func TestHealthFleetExitCodes(t *testing.T) {
	t.Parallel()
	f := newFake(t, vemtest.WithFleet(vemtest.Fleet{VMs: 100, Seed: 1}))
	for _, tc := range []struct {
		job   string
		code  int
		state string
	}{
		{"Backup Job 06", 0, "OK"},       // a failure recovered by the retry
		{"Backup Job 03", 1, "WARNING"},  // a failure with the retry under way
		{"Backup Job 04", 1, "WARNING"},  // a missed run: last success about 30h ago
		{"Backup Job 07", 2, "CRITICAL"}, // a failure that every retry repeated
		{"Backup Job 05", 2, "CRITICAL"}, // a VM that never succeeded
		{"No such job", 3, "UNKNOWN"},
	} {
		t.Run(tc.job, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runHealth(t, f.env, "health", "-o", "nagios", "--job", "^"+tc.job+"$")
			assert.Equal(t, tc.code, code, out)
			assert.Empty(t, errOut)
			state, _, _, long := parsePlugin(t, out)
			assert.Equal(t, tc.state, state, out)
			if tc.code == 1 || tc.code == 2 {
				assert.NotEmpty(t, long, "a line per (job, VM) that is not ok")
			} else {
				assert.Empty(t, long)
			}
		})
	}
	// A looser threshold turns the missed run into OK; the other formats
	// exit 0 whatever the verdict.
	code, out, _ := runHealth(t, f.env, "health", "-o", "nagios", "--job", "^Backup Job 04$", "--warn-age", "2d", "--crit-age", "3d")
	assert.Equal(t, 0, code, out)
	code, out, _ = runHealth(t, f.env, "health", "-o", "table", "--job", "^Backup Job 07$")
	assert.Equal(t, 0, code, out)
	assert.Regexp(t, `(?m)^CRITICAL: 1 of \d+ VMs critical`, out)
}

// startFleetServer runs "vem fake-server --fleet n" in a child process
// until the test ends, and returns the environment it prints.
func startFleetServer(t *testing.T, n int) []string {
	t.Helper()
	cmd := exec.Command(vemBin, "fake-server", "--addr", "127.0.0.1:0", "--fleet", strconv.Itoa(n))
	cmd.Env = baseEnv(t)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	})
	var env []string
	sc := bufio.NewScanner(stdout)
	for len(env) < 4 && sc.Scan() {
		kv, ok := strings.CutPrefix(sc.Text(), "export ")
		require.True(t, ok, sc.Text())
		name, quoted, _ := strings.Cut(kv, "=")
		env = append(env, name+"="+strings.Trim(quoted, "'"))
	}
	require.Len(t, env, 4, "the exports of fake-server")
	return env
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
