package output

import (
	"fmt"

	"github.com/vemkit/vem"
)

// Table rendering, for people only: sizes and durations are rounded and
// missing values show as "-".

// TaskSessionColumns are the columns of the task session table.
var TaskSessionColumns = []string{"ID", "CREATED (UTC)", "VM", "JOB", "STATE", "RESULT", "DURATION", "SIZE"}

// TaskSessionRow is a task session as a row of TaskSessionColumns.
func TaskSessionRow(ts *vem.BackupTaskSession) []string {
	return []string{
		ts.UID.ID(),
		Time(ts.CreationTime),
		Dash(ts.VMDisplayName),
		Dash(JobNameOf(ts)),
		Dash(string(ts.State)),
		Dash(string(ts.Result)),
		Duration(ts.CreationTime, ts.EndTime),
		Bytes(ts.TotalSize),
	}
}

// TaskSessionFields is the table view of one task session.
func TaskSessionFields(ts *vem.BackupTaskSession) [][2]string {
	return [][2]string{
		{"ID", ts.UID.ID()},
		{"UID", ts.UID.String()},
		{"Name", Dash(ts.Name)},
		{"VM", Dash(ts.VMDisplayName)},
		{"VM UID", Dash(ts.VMUID)},
		{"Job", Dash(JobNameOf(ts))},
		{"Backup server", Dash(BackupServerNameOf(ts))},
		{"State", Dash(string(ts.State))},
		{"Result", Dash(string(ts.Result))},
		{"Reason", Dash(ts.Reason)},
		{"Created (UTC)", Time(ts.CreationTime)},
		{"Ended (UTC)", Time(ts.EndTime)},
		{"Duration", Duration(ts.CreationTime, ts.EndTime)},
		{"Total size", fmt.Sprintf("%s (%d bytes)", Bytes(ts.TotalSize), ts.TotalSize)},
		{"Job session UID", Dash(string(ts.JobSessionUID))},
	}
}

// JobSessionFields is the table view of one job session.
func JobSessionFields(js *vem.BackupJobSession) [][2]string {
	return [][2]string{
		{"ID", js.UID.ID()},
		{"UID", js.UID.String()},
		{"Name", Dash(js.Name)},
		{"Job", Dash(js.JobName)},
		{"Job type", Dash(string(js.JobType))},
		{"State", Dash(string(js.State))},
		{"Result", Dash(string(js.Result))},
		{"Progress", fmt.Sprintf("%d%%", js.Progress)},
		{"Retry", fmt.Sprint(js.IsRetry)},
		{"Failure message", Dash(js.FailureMessage)},
		{"Created (UTC)", Time(js.CreationTime)},
		{"Ended (UTC)", Time(js.EndTime)},
		{"Duration", Duration(js.CreationTime, js.EndTime)},
	}
}

// JobSessionColumns are the columns of a job session list.
var JobSessionColumns = []string{"ID", "ENDED (UTC)", "JOB", "STATE", "RESULT", "DURATION", "RETRY"}

// JobSessionRow is a job session as a row of JobSessionColumns.
func JobSessionRow(js *vem.BackupJobSession) []string {
	retry := "no"
	if js.IsRetry {
		retry = "yes"
	}
	return []string{
		js.UID.ID(),
		Time(js.EndTime),
		Dash(js.JobName),
		Dash(string(js.State)),
		Dash(string(js.Result)),
		Duration(js.CreationTime, js.EndTime),
		retry,
	}
}
