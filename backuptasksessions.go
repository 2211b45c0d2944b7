package vem

import (
	"context"
	"encoding/xml"
	"time"
)

// Object kinds as they appear in UIDs and in entity Type attributes.
const (
	KindBackupTaskSession = "BackupTaskSession"
	KindBackupJobSession  = "BackupJobSession"
	KindBackupServer      = "BackupServer"
	KindVMRestorePoint    = "VmRestorePoint"
)

// Link types that point at a task session's related resources.
const (
	TypeBackupServerReference      = "BackupServerReference"
	TypeBackupJobSessionReference  = "BackupJobSessionReference"
	TypeBackupTaskSessionReference = "BackupTaskSessionReference"
	TypeVMRestorePoint             = "VmRestorePoint"
)

// BackupTaskSession is one VM's task inside a backup job session: the
// entity representation of /api/backupTaskSessions/{ID}?format=Entity.
type BackupTaskSession struct {
	UID           UID    // urn:veeam:BackupTaskSession:<GUID>
	Name          string // "<VM>@<start time>"
	VMDisplayName string
	Href          string    // the entity's own URL, as EM wrote it
	JobSessionUID UID       // urn:veeam:BackupJobSession:<GUID>
	CreationTime  time.Time // UTC; wire name CreationTimeUTC
	EndTime       time.Time // UTC; wire name EndTimeUTC; zero while the task runs
	State         State
	Result        Result
	Reason        string // why the task warned or failed; often empty
	TotalSize     int64  // bytes
	VMUID         string // wire name VmUid, e.g. urn:VMware:Vm:<root>.vm-91826; newer EM only
	Links         Links
}

// Duration returns how long the task ran: EndTime-CreationTime, or 0 while it
// runs.
func (s *BackupTaskSession) Duration() time.Duration {
	if s.EndTime.IsZero() || s.CreationTime.IsZero() {
		return 0
	}
	return s.EndTime.Sub(s.CreationTime)
}

// BackupServerLink returns the link to the backup server that ran the task
// (Rel Up, Type BackupServerReference).
func (s *BackupTaskSession) BackupServerLink() (Link, bool) {
	return s.Links.Find(RelUp, TypeBackupServerReference)
}

// JobSessionLink returns the link to the job session the task belongs to
// (Rel Up, Type BackupJobSessionReference).
func (s *BackupTaskSession) JobSessionLink() (Link, bool) {
	return s.Links.Find(RelUp, TypeBackupJobSessionReference)
}

// AlternateLink returns the link to the task session's other representation,
// its reference (Rel Alternate).
func (s *BackupTaskSession) AlternateLink() (Link, bool) {
	return s.Links.Find(RelAlternate, "")
}

// VMRestorePointLink returns the link to the VM restore point the task
// produced (Rel Related, Type VmRestorePoint). EM adds it only once a
// restore point exists.
func (s *BackupTaskSession) VMRestorePointLink() (Link, bool) {
	return s.Links.Find(RelRelated, TypeVMRestorePoint)
}

// GetBackupTaskSession reads one backup task session as an entity:
// GET /api/backupTaskSessions/{ID}?format=Entity.
//
// id is a bare GUID (any letter case) or a full BackupTaskSession UID;
// anything else returns an error matching ErrInvalidID without a request.
// A missing session returns an *APIError matching ErrNotFound.
func (c *Client) GetBackupTaskSession(ctx context.Context, id string) (*BackupTaskSession, error) {
	guid, err := ParseID(KindBackupTaskSession, id)
	if err != nil {
		return nil, err
	}
	return getEntity[BackupTaskSession, taskSessionWire](ctx, c, "/api/backupTaskSessions/"+guid, KindBackupTaskSession+" "+guid)
}

// taskSessionWire is the BackupTaskSession as it travels, in XML and in both
// JSON casings.
type taskSessionWire struct {
	XMLName         xml.Name `json:"-"`
	Type            string   `xml:"Type,attr" json:"Type"`
	Href            string   `xml:"Href,attr" json:"Href"`
	Name            string   `xml:"Name,attr" json:"Name"`
	UID             string   `xml:"UID,attr" json:"UID"`
	VMDisplayName   string   `xml:"VmDisplayName,attr" json:"VmDisplayName"`
	Links           Links    `xml:"Links>Link" json:"Links"`
	JobSessionUID   string   `xml:"JobSessionUid" json:"JobSessionUid"`
	CreationTimeUTC string   `xml:"CreationTimeUTC" json:"CreationTimeUTC"`
	EndTimeUTC      string   `xml:"EndTimeUTC" json:"EndTimeUTC"`
	State           string   `xml:"State" json:"State"`
	Result          string   `xml:"Result" json:"Result"`
	Reason          string   `xml:"Reason" json:"Reason"`
	TotalSize       int64    `xml:"TotalSize" json:"TotalSize"`
	VMUID           string   `xml:"VmUid" json:"VmUid"`
}

func (w *taskSessionWire) toPublic() (*BackupTaskSession, error) {
	if err := checkKind(w.XMLName, w.Type, w.UID, KindBackupTaskSession); err != nil {
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
	return &BackupTaskSession{
		UID:           UID(w.UID),
		Name:          w.Name,
		VMDisplayName: w.VMDisplayName,
		Href:          w.Href,
		JobSessionUID: UID(w.JobSessionUID),
		CreationTime:  created,
		EndTime:       ended,
		State:         State(w.State),
		Result:        Result(w.Result),
		Reason:        w.Reason,
		TotalSize:     w.TotalSize,
		VMUID:         w.VMUID,
		Links:         w.Links,
	}, nil
}
