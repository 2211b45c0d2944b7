package vem

import (
	"context"
	"iter"
	"time"

	"github.com/vemkit/vem/internal/em"
)

// KindBackupJobSession is the kind of a job session in UIDs and entity Type
// attributes, and its query-service type.
const KindBackupJobSession = em.KindBackupJobSession

// Link types found on a job session.
const (
	TypeBackupTaskSessionReferenceList = "BackupTaskSessionReferenceList"
	TypeRestorePointReference          = "RestorePointReference"
)

// BackupJobSession is one run of a backup job: the entity representation of
// /api/backupSessions/{ID}?format=Entity.
type BackupJobSession struct {
	UID            UID // urn:veeam:BackupJobSession:<GUID>
	Name           string
	Href           string
	JobUID         UID // urn:veeam:Job:<GUID>
	JobName        string
	JobType        JobType
	CreationTime   time.Time // UTC; wire name CreationTimeUTC
	EndTime        time.Time // UTC; wire name EndTimeUTC; zero while the job runs
	State          State     // Starting, Stopping, Working, Pausing, Resuming, Stopped
	Result         Result
	Progress       int // percent
	IsRetry        bool
	FailureMessage string
	Links          Links
}

// BackupServerLink returns the link to the backup server that ran the job
// (Rel Up, Type BackupServerReference).
func (s *BackupJobSession) BackupServerLink() (Link, bool) {
	return s.Links.Find(RelUp, TypeBackupServerReference)
}

// JobLink returns the link to the job (Rel Up, Type JobReference).
func (s *BackupJobSession) JobLink() (Link, bool) {
	return s.Links.Find(RelUp, TypeJobReference)
}

// AlternateLink returns the link to the job session's reference
// representation (Rel Alternate).
func (s *BackupJobSession) AlternateLink() (Link, bool) {
	return s.Links.Find(RelAlternate, "")
}

// BackupTaskSessionsLink returns the link to the list of the job session's task
// sessions (Rel Down, Type BackupTaskSessionReferenceList); see also
// Client.ListBackupJobSessionTaskSessions.
func (s *BackupJobSession) BackupTaskSessionsLink() (Link, bool) {
	return s.Links.Find(RelDown, TypeBackupTaskSessionReferenceList)
}

// RestorePointLink returns the link to the job-level restore point the job session
// produced (Rel Related, Type RestorePointReference), once there is one.
func (s *BackupJobSession) RestorePointLink() (Link, bool) {
	return s.Links.Find(RelRelated, TypeRestorePointReference)
}

// GetBackupJobSession reads one backup job session as an entity:
// GET /api/backupSessions/{ID}?format=Entity. id is a GUID, a
// BackupJobSession UID, or the ID() of a link to it.
func (c *Client) GetBackupJobSession(ctx context.Context, id string) (*BackupJobSession, error) {
	return jobSessions.get(ctx, c, id)
}

// ListBackupJobSessionTaskSessions lists the task sessions of one job
// session as references: GET /api/backupSessions/{ID}/taskSessions. Read a
// task session itself with GetBackupTaskSession(ctx, ref.ID()) or
// FollowLink; to read them as entities in one request, query:
// QueryBackupTaskSessions with Eq(BackupTaskSessionFieldJobSessionUID, uid).
func (c *Client) ListBackupJobSessionTaskSessions(ctx context.Context, jobSessionID string) ([]EntityRef, error) {
	return jobSessions.refs(ctx, c, jobSessionID, "taskSessions", "task sessions")
}

// QueryBackupJobSessions runs a query-service query for backup job sessions
// (GET /api/query?type=BackupJobSession&format=Entities) and yields them
// across every page, in the server's order, as QueryBackupTaskSessions
// does. Filter and sort on the BackupJobSessionField constants.
func (c *Client) QueryBackupJobSessions(ctx context.Context, q Query) iter.Seq2[*BackupJobSession, error] {
	return jobSessions.queryAll(ctx, c, q)
}

// Query fields of BackupJobSession, for filters and sorts.
const (
	BackupJobSessionFieldUID              Field = "UID"
	BackupJobSessionFieldName             Field = "Name"
	BackupJobSessionFieldJobType          Field = "JobType"
	BackupJobSessionFieldJobUID           Field = "JobUid"
	BackupJobSessionFieldJobName          Field = "JobName"
	BackupJobSessionFieldCreationTime     Field = "CreationTime"
	BackupJobSessionFieldEndTime          Field = "EndTime"
	BackupJobSessionFieldState            Field = "State"
	BackupJobSessionFieldResult           Field = "Result"
	BackupJobSessionFieldIsRetry          Field = "IsRetry"
	BackupJobSessionFieldBackupServerUID  Field = "BackupServerUid"
	BackupJobSessionFieldBackupServerName Field = "BackupServerName"
)

var jobSessions = resource[BackupJobSession, jobSessionWire, *jobSessionWire]{
	kind: KindBackupJobSession, path: "/api/backupSessions", query: em.BackupJobSessionQuery(),
}

var _ entity = (*BackupJobSession)(nil)

func (s *BackupJobSession) decodeEntity(ct string, body []byte) error {
	return jobSessions.decodeInto(ct, body, s)
}

type jobSessionWire struct {
	entityHeader
	JobUID          string `xml:"JobUid" json:"JobUid"`
	JobName         string `xml:"JobName" json:"JobName"`
	JobType         string `xml:"JobType" json:"JobType"`
	CreationTimeUTC string `xml:"CreationTimeUTC" json:"CreationTimeUTC"`
	EndTimeUTC      string `xml:"EndTimeUTC" json:"EndTimeUTC"`
	State           string `xml:"State" json:"State"`
	Result          string `xml:"Result" json:"Result"`
	Progress        int    `xml:"Progress" json:"Progress"`
	IsRetry         bool   `xml:"IsRetry" json:"IsRetry"`
	FailureMessage  string `xml:"FailureMessage" json:"FailureMessage"`
}

func (w *jobSessionWire) toPublic() (*BackupJobSession, error) {
	var t times
	s := &BackupJobSession{
		UID: UID(w.UID), Name: w.Name, Href: w.Href,
		JobUID: UID(w.JobUID), JobName: w.JobName, JobType: JobType(w.JobType),
		CreationTime: t.parse("CreationTimeUTC", w.CreationTimeUTC),
		EndTime:      t.parse("EndTimeUTC", w.EndTimeUTC),
		State:        State(w.State), Result: Result(w.Result),
		Progress: w.Progress, IsRetry: w.IsRetry, FailureMessage: w.FailureMessage,
		Links: w.Links,
	}
	return s, t.err
}
