// Package health answers the question people read task sessions for: is
// every VM backed up? It judges every (job, VM) from Enterprise Manager's
// task sessions and job sessions, retry-aware, and rolls the verdicts up per
// job and for the whole estate.
//
//	rep, err := health.Evaluate(ctx, client, health.Options{})
//	if err != nil {
//		return err
//	}
//	for _, vm := range rep.VMs { // worst first
//		if vm.Status != health.StatusOK {
//			fmt.Println(vm.Status, vm.JobName, vm.Name, vm.Why)
//		}
//	}
//
// # What is read
//
// Evaluate reads, through the query service, the task sessions created in
// the window (Options.Window, 7 days by default) and the job sessions
// created from two days before it, both with a server-side filter on
// CreationTime, 1000 a page, the two queries at once. Job sessions the task
// sessions point at that started even earlier are read by UID, 40 to a
// query. Nothing is read per VM or per session: the requests grow with the
// number of pages. Names come from the job sessions (job name and UID) and
// from the task sessions' links (backup server).
//
// # Judging again and again
//
// A process that judges the same estate repeatedly (vem exporter) uses a
// Tracker instead: its first Refresh reads the window as Evaluate does;
// each later one reads only the task and job sessions created or ended
// since the previous refresh, less an overlap for EM's collection lag
// (DefaultOverlap): two requests when nothing changed. It keeps the
// sessions of the window in memory, drops those that leave it, and its
// Report judges them by the rules below, as Evaluate would.
//
// # Identity
//
// A task session belongs to the job of its job session (JobSessionUid ->
// the job session's JobUid and JobName). A VM is its VM UID (VmUid) when EM
// gives it, else its display name. A VM in two jobs (a backup job and a
// backup copy job) is judged twice, once per job. An automatic retry is a
// new job session of the same job with IsRetry set, holding task sessions
// only for the VMs that failed; a run is a job session that is not a retry
// and the retries that follow it.
//
// # Rules
//
// The rules look at the task sessions of one (job, VM) in the window. A task
// is completed when its State is Completed (a running task may already say
// Success); it succeeded when its Result is Success or Warning (both leave a
// restore point). The first rule that matches gives the status:
//
//  1. No completed task succeeded in the window: Critical.
//  2. The newest completed task failed: Critical, unless the job has a job
//     session newer than that task's, still running (a retry, or the next
//     run, is under way): Warning.
//  3. The newest success is older than CritAge (48h by default): Critical;
//     older than WarnAge (26h): Warning. The age is Now minus the end of the
//     newest successful task.
//  4. The newest completed task ended with Warning: Warning.
//  5. Otherwise OK.
//
// A task in progress never changes the status by itself (VM.Running says
// it). The job's status is the worst of its VMs'; the report's is the worst
// of all, or Unknown when there is no (job, VM) at all.
//
// # Worked examples
//
// Evaluated on 10 March at 12:00 with the default options; the job "Daily"
// runs at 20:00.
//
// Rule 1. db01 last succeeded 9 days ago; on 7 March its task failed with
// "Datastore full", and it has not run since. Nothing succeeded in the last
// 7 days: Critical, "no successful backup in 7d; last attempt failed:
// Datastore full".
//
// Rule 2. web01 succeeded on 8 March at 20:10. On 9 March at 20:12 its task
// failed with "Snapshot failed"; the automatic retry at 20:25 failed again
// with "Host unreachable" and there are no retries left: Critical, "last
// attempt failed: Host unreachable; last success 39h50m ago", with Attempts 2.
// Had the retry job session still been running at 12:00, the status would be
// Warning: "last attempt failed: Snapshot failed; a newer run of the job is
// under way; last success 39h50m ago".
//
// Rule 3. The job "Weekly" last ran on 9 March at 06:00, and app01's task
// ended at 06:10: 29h50m ago, over WarnAge: Warning, "last successful backup
// 29h50m ago, older than 26h". Had it ended on 7 March, the age would be over
// CritAge: Critical, "last successful backup 3d5h ago, older than 2d".
//
// Rule 4. fs01's task of 9 March ended at 20:30 with Warning "Changed block
// tracking is disabled": Warning, "last backup 15h30m ago ended with a
// warning: Changed block tracking is disabled".
//
// Rule 5. sql01's task failed at 20:12 on 9 March and the retry's task
// succeeded at 20:40: OK, "last backup succeeded 15h20m ago, after a retry",
// with RecoveredByRetry, Attempts 2 and Reason the failed attempt's. On 10
// March at 11:30 a manual run starts and sql01's task is in progress: still
// OK, with Running set.
//
// EM copies data from the backup servers every 15 minutes by default, so
// the newest runs may not be in EM yet; WarnAge's default of 26 hours leaves
// a daily job two hours of slack for that and for run time.
package health
