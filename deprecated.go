package vem

// This file holds the names the naming table of docs/architecture.md
// replaced. Each keeps working, with the same signature, as a deprecated
// alias of its new name; CHANGELOG.md lists them.

import (
	"context"
	"iter"
)

// Deprecated query fields of BackupTaskSession: the fields of a resource
// are named <Type>Field<Name>.
const (
	// Deprecated: use BackupTaskSessionFieldUID.
	TaskSessionFieldUID = BackupTaskSessionFieldUID
	// Deprecated: use BackupTaskSessionFieldName.
	TaskSessionFieldName = BackupTaskSessionFieldName
	// Deprecated: use BackupTaskSessionFieldCreationTime.
	TaskSessionFieldCreationTime = BackupTaskSessionFieldCreationTime
	// Deprecated: use BackupTaskSessionFieldEndTime.
	TaskSessionFieldEndTime = BackupTaskSessionFieldEndTime
	// Deprecated: use BackupTaskSessionFieldState.
	TaskSessionFieldState = BackupTaskSessionFieldState
	// Deprecated: use BackupTaskSessionFieldResult.
	TaskSessionFieldResult = BackupTaskSessionFieldResult
	// Deprecated: use BackupTaskSessionFieldReason.
	TaskSessionFieldReason = BackupTaskSessionFieldReason
	// Deprecated: use BackupTaskSessionFieldTotalSize.
	TaskSessionFieldTotalSize = BackupTaskSessionFieldTotalSize
	// Deprecated: use BackupTaskSessionFieldJobSessionUID.
	TaskSessionFieldJobSessionUID = BackupTaskSessionFieldJobSessionUID
	// Deprecated: use BackupTaskSessionFieldJobUID.
	TaskSessionFieldJobUID = BackupTaskSessionFieldJobUID
	// Deprecated: use BackupTaskSessionFieldJobName.
	TaskSessionFieldJobName = BackupTaskSessionFieldJobName
	// Deprecated: use BackupTaskSessionFieldBackupServerUID.
	TaskSessionFieldBackupServerUID = BackupTaskSessionFieldBackupServerUID
	// Deprecated: use BackupTaskSessionFieldBackupServerName.
	TaskSessionFieldBackupServerName = BackupTaskSessionFieldBackupServerName
	// Deprecated: use BackupTaskSessionFieldVMDisplayName.
	TaskSessionFieldVMDisplayName = BackupTaskSessionFieldVMDisplayName
)

// Deprecated query fields of BackupJobSession: the fields of a resource
// are named <Type>Field<Name>.
const (
	// Deprecated: use BackupJobSessionFieldUID.
	JobSessionFieldUID = BackupJobSessionFieldUID
	// Deprecated: use BackupJobSessionFieldName.
	JobSessionFieldName = BackupJobSessionFieldName
	// Deprecated: use BackupJobSessionFieldJobType.
	JobSessionFieldJobType = BackupJobSessionFieldJobType
	// Deprecated: use BackupJobSessionFieldJobUID.
	JobSessionFieldJobUID = BackupJobSessionFieldJobUID
	// Deprecated: use BackupJobSessionFieldJobName.
	JobSessionFieldJobName = BackupJobSessionFieldJobName
	// Deprecated: use BackupJobSessionFieldCreationTime.
	JobSessionFieldCreationTime = BackupJobSessionFieldCreationTime
	// Deprecated: use BackupJobSessionFieldEndTime.
	JobSessionFieldEndTime = BackupJobSessionFieldEndTime
	// Deprecated: use BackupJobSessionFieldState.
	JobSessionFieldState = BackupJobSessionFieldState
	// Deprecated: use BackupJobSessionFieldResult.
	JobSessionFieldResult = BackupJobSessionFieldResult
	// Deprecated: use BackupJobSessionFieldIsRetry.
	JobSessionFieldIsRetry = BackupJobSessionFieldIsRetry
	// Deprecated: use BackupJobSessionFieldBackupServerUID.
	JobSessionFieldBackupServerUID = BackupJobSessionFieldBackupServerUID
	// Deprecated: use BackupJobSessionFieldBackupServerName.
	JobSessionFieldBackupServerName = BackupJobSessionFieldBackupServerName
)

// DefaultRetryPolicy was the policy of a client without WithRetry.
//
// Deprecated: use DefaultRetry(). The client no longer reads this variable:
// changing it changes nothing.
var DefaultRetryPolicy = DefaultRetry()

// NoRetry turns retries off: WithRetry(NoRetry).
//
// Deprecated: use NoRetries(). WithRetry(NoRetry) keeps turning retries
// off, whatever was done to the variable's fields.
var NoRetry = RetryPolicy{MaxAttempts: 1, none: true}

// InvalidWatchOptionsError was called WatchOptionsError.
//
// Deprecated: use InvalidWatchOptionsError.
type WatchOptionsError = InvalidWatchOptionsError

// ListJobSessions lists the sessions of one job as references.
//
// Deprecated: use ListJobBackupSessions.
func (c *Client) ListJobSessions(ctx context.Context, jobID string) ([]EntityRef, error) {
	return c.ListJobBackupSessions(ctx, jobID)
}

// QueryRaw runs a query and yields each page's body untouched; format is
// EM's representation ("Entities", or "" for references).
//
// Deprecated: use QueryRawPages, whose representation argument is typed.
func (c *Client) QueryRaw(ctx context.Context, typ, format string, q Query, f Format) iter.Seq2[*RawPage, error] {
	return c.QueryRawPages(ctx, typ, Representation(format), q, f)
}

// FromEnv reads the connection settings from the environment and returns
// the options for New and the base URL.
//
// Deprecated: use ReadEnv(nil) and Env.Options (the base URL is Env.URL).
func FromEnv() (opts []Option, baseURL string, err error) {
	e, err := ReadEnv(nil)
	if err != nil {
		return nil, "", err
	}
	opts, err = e.Options()
	if err != nil {
		return nil, "", err
	}
	return opts, e.URL, nil
}

// NewFromEnv returns a client configured by the environment.
//
// Deprecated: use ReadEnv(nil) and Env.NewClient.
func NewFromEnv(opts ...Option) (*Client, error) {
	e, err := ReadEnv(nil)
	if err != nil {
		return nil, err
	}
	return e.NewClient(opts...)
}

// Finished reports whether the task is in EM's state Finished.
//
// Deprecated: use Collected (EM's database holds the data), or Ended (the
// operation is over): state predicates mean the same on every state type.
func (s TaskState) Finished() bool { return s.Collected() }

// Done reports whether the task's operation has ended.
//
// Deprecated: use Ended.
func (s TaskState) Done() bool { return s.Ended() }

// Finished reports whether a session in this state has ended.
//
// Deprecated: use Ended.
func (s State) Finished() bool { return s.Ended() }

// JobSessionLink returns the link to the job session the task belongs to.
//
// Deprecated: use BackupJobSessionLink.
func (s *BackupTaskSession) JobSessionLink() (Link, bool) { return s.BackupJobSessionLink() }

// TaskSessionsLink returns the link to the list of the job session's task
// sessions.
//
// Deprecated: use BackupTaskSessionsLink.
func (s *BackupJobSession) TaskSessionsLink() (Link, bool) { return s.BackupTaskSessionsLink() }

// JobRestorePointLink returns the link to the job-level restore point.
//
// Deprecated: use RestorePointLink.
func (s *BackupJobSession) JobRestorePointLink() (Link, bool) { return s.RestorePointLink() }

// JobSessionsLink returns the link to the list of the job's sessions.
//
// Deprecated: use BackupJobSessionsLink.
func (j *Job) JobSessionsLink() (Link, bool) { return j.BackupJobSessionsLink() }

// IncludesLink returns the link to the objects the job processes.
//
// Deprecated: use JobIncludesLink.
func (j *Job) IncludesLink() (Link, bool) { return j.JobIncludesLink() }

// JobSessionLink returns a link to a job session the task names.
//
// Deprecated: use BackupJobSessionLink.
func (t *Task) JobSessionLink() (Link, bool) { return t.BackupJobSessionLink() }

// JobSessionOf returns the job session of a task session.
//
// Deprecated: use BackupJobSessionOf.
func (r *Resolver) JobSessionOf(ctx context.Context, ts *BackupTaskSession) (*BackupJobSession, error) {
	return r.BackupJobSessionOf(ctx, ts)
}

// JobSessions returns the job sessions of task sessions, by job session ID.
//
// Deprecated: use BackupJobSessionsOf.
func (r *Resolver) JobSessions(ctx context.Context, tasks []*BackupTaskSession) (map[string]*BackupJobSession, error) {
	return r.BackupJobSessionsOf(ctx, tasks)
}

// TaskSessions yields the task sessions that end.
//
// Deprecated: use BackupTaskSessions.
func (w *Watcher) TaskSessions(ctx context.Context) iter.Seq2[*BackupTaskSession, error] {
	return w.BackupTaskSessions(ctx)
}

// JobSessions yields the job sessions that end.
//
// Deprecated: use BackupJobSessions.
func (w *Watcher) JobSessions(ctx context.Context) iter.Seq2[*BackupJobSession, error] {
	return w.BackupJobSessions(ctx)
}
