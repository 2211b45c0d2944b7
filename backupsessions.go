package vem

import (
	"context"
	"encoding/xml"
	"time"
)

// Link types found on a job session.
const (
	TypeJobReference                   = "JobReference"
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
	JobType        string
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

// TaskSessionsLink returns the link to the list of the job session's task
// sessions (Rel Down, Type BackupTaskSessionReferenceList); see also
// Client.ListBackupJobSessionTaskSessions.
func (s *BackupJobSession) TaskSessionsLink() (Link, bool) {
	return s.Links.Find(RelDown, TypeBackupTaskSessionReferenceList)
}

// JobRestorePointLink returns the link to the job-level restore point the job session
// produced (Rel Related, Type RestorePointReference), once there is one.
func (s *BackupJobSession) JobRestorePointLink() (Link, bool) {
	return s.Links.Find(RelRelated, TypeRestorePointReference)
}

// GetBackupJobSession reads one backup job session as an entity:
// GET /api/backupSessions/{ID}?format=Entity. id is a GUID, a
// BackupJobSession UID, or the ID() of a link to it.
func (c *Client) GetBackupJobSession(ctx context.Context, id string) (*BackupJobSession, error) {
	guid, err := ParseID(KindBackupJobSession, id)
	if err != nil {
		return nil, err
	}
	return getEntity[BackupJobSession, jobSessionWire](ctx, c, "/api/backupSessions/"+guid, KindBackupJobSession+" "+guid)
}

// ListBackupJobSessionTaskSessions lists the task sessions of one job session as
// references: GET /api/backupSessions/{ID}/taskSessions. Read a task
// session itself with GetBackupTaskSession(ctx, ref.UID.String()) or
// FollowLink.
func (c *Client) ListBackupJobSessionTaskSessions(ctx context.Context, jobSessionID string) ([]EntityRef, error) {
	guid, err := ParseID(KindBackupJobSession, jobSessionID)
	if err != nil {
		return nil, err
	}
	return c.getRefs(ctx, "/api/backupSessions/"+guid+"/taskSessions", "", "task sessions of "+KindBackupJobSession+" "+guid)
}

type jobSessionWire struct {
	XMLName         xml.Name `json:"-"`
	Type            string   `xml:"Type,attr" json:"Type"`
	Href            string   `xml:"Href,attr" json:"Href"`
	Name            string   `xml:"Name,attr" json:"Name"`
	UID             string   `xml:"UID,attr" json:"UID"`
	Links           Links    `xml:"Links>Link" json:"Links"`
	JobUID          string   `xml:"JobUid" json:"JobUid"`
	JobName         string   `xml:"JobName" json:"JobName"`
	JobType         string   `xml:"JobType" json:"JobType"`
	CreationTimeUTC string   `xml:"CreationTimeUTC" json:"CreationTimeUTC"`
	EndTimeUTC      string   `xml:"EndTimeUTC" json:"EndTimeUTC"`
	State           string   `xml:"State" json:"State"`
	Result          string   `xml:"Result" json:"Result"`
	Progress        int      `xml:"Progress" json:"Progress"`
	IsRetry         bool     `xml:"IsRetry" json:"IsRetry"`
	FailureMessage  string   `xml:"FailureMessage" json:"FailureMessage"`
}

func (w *jobSessionWire) toPublic() (*BackupJobSession, error) {
	if err := checkKind(w.XMLName, w.Type, w.UID, KindBackupJobSession); err != nil {
		return nil, err
	}
	created, err := parseTime("CreationTimeUTC", w.CreationTimeUTC)
	if err != nil {
		return nil, err
	}
	ended, err := parseTime("EndTimeUTC", w.EndTimeUTC)
	if err != nil {
		return nil, err
	}
	return &BackupJobSession{
		UID: UID(w.UID), Name: w.Name, Href: w.Href,
		JobUID: UID(w.JobUID), JobName: w.JobName, JobType: w.JobType,
		CreationTime: created, EndTime: ended,
		State: State(w.State), Result: Result(w.Result),
		Progress: w.Progress, IsRetry: w.IsRetry, FailureMessage: w.FailureMessage,
		Links: w.Links,
	}, nil
}
