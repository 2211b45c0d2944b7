package vem

import (
	"context"
	"iter"
	"strings"
	"time"

	"github.com/vemkit/vem/internal/em"
)

// KindBackupTaskSession is the kind of a task session in UIDs and entity
// Type attributes, and its query-service type.
const KindBackupTaskSession = em.KindBackupTaskSession

// Link types that point at a task session and its related resources.
const (
	TypeBackupTaskSessionReference = "BackupTaskSessionReference"
	TypeBackupJobSessionReference  = "BackupJobSessionReference"
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
	// VMUID is the hypervisor's reference to the VM (wire name VmUid), for
	// example "urn:VMware:Vm:<root>.vm-91826"; newer EM only. It is a plain
	// string, not a urn:veeam: UID.
	VMUID string
	Links Links
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

// BackupJobSessionLink returns the link to the job session the task belongs to
// (Rel Up, Type BackupJobSessionReference).
func (s *BackupTaskSession) BackupJobSessionLink() (Link, bool) {
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
	return taskSessions.get(ctx, c, id)
}

// QueryBackupTaskSessions runs a query-service query for backup task
// sessions and yields them one by one, across every page, in the server's
// order: GET /api/query?type=BackupTaskSession&format=Entities&filter=...
// Filter and sort on the BackupTaskSessionField constants.
//
// Pages are requested only as the caller consumes results (see
// Query.Concurrency), and no more once the caller stops ranging; requests
// still in flight are then cancelled. On failure the iterator yields one
// error (nil session) and stops. A session that expires mid-query is renewed
// as for any other call.
//
//	for ts, err := range c.QueryBackupTaskSessions(ctx, vem.Query{Filter: vem.Eq(vem.BackupTaskSessionFieldResult, vem.ResultFailed)}) {
//		if err != nil {
//			return err
//		}
//		fmt.Println(ts.Name)
//	}
func (c *Client) QueryBackupTaskSessions(ctx context.Context, q Query) iter.Seq2[*BackupTaskSession, error] {
	return taskSessions.queryAll(ctx, c, q)
}

// JobSessionID returns the GUID of the job session the task belongs to:
// from JobSessionUID, or else from the job session link; "" when the task
// names neither.
func (s *BackupTaskSession) JobSessionID() string {
	if id := s.JobSessionUID.ID(); isGUID(id) {
		return strings.ToLower(id)
	}
	if l, ok := s.BackupJobSessionLink(); ok {
		return l.ID()
	}
	return ""
}

// Query fields of BackupTaskSession, for filters and sorts.
const (
	BackupTaskSessionFieldUID              Field = "UID"
	BackupTaskSessionFieldName             Field = "Name"
	BackupTaskSessionFieldCreationTime     Field = "CreationTime"
	BackupTaskSessionFieldEndTime          Field = "EndTime"
	BackupTaskSessionFieldState            Field = "State"
	BackupTaskSessionFieldResult           Field = "Result"
	BackupTaskSessionFieldReason           Field = "Reason"
	BackupTaskSessionFieldTotalSize        Field = "TotalSize"
	BackupTaskSessionFieldJobSessionUID    Field = "JobSessionUid"
	BackupTaskSessionFieldJobUID           Field = "JobUid"
	BackupTaskSessionFieldJobName          Field = "JobName"
	BackupTaskSessionFieldBackupServerUID  Field = "BackupServerUid"
	BackupTaskSessionFieldBackupServerName Field = "BackupServerName"
	BackupTaskSessionFieldVMDisplayName    Field = "VmDisplayName"
)

var taskSessions = resource[BackupTaskSession, taskSessionWire, *taskSessionWire]{
	kind: KindBackupTaskSession, path: "/api/backupTaskSessions", query: em.BackupTaskSessionQuery(),
}

var _ entity = (*BackupTaskSession)(nil)

func (s *BackupTaskSession) decodeEntity(ct string, body []byte) error {
	return taskSessions.decodeInto(ct, body, s)
}

// taskSessionWire is the BackupTaskSession as it travels, in XML and in both
// JSON casings.
type taskSessionWire struct {
	entityHeader
	VMDisplayName   string `xml:"VmDisplayName,attr" json:"VmDisplayName"`
	JobSessionUID   string `xml:"JobSessionUid" json:"JobSessionUid"`
	CreationTimeUTC string `xml:"CreationTimeUTC" json:"CreationTimeUTC"`
	EndTimeUTC      string `xml:"EndTimeUTC" json:"EndTimeUTC"`
	State           string `xml:"State" json:"State"`
	Result          string `xml:"Result" json:"Result"`
	Reason          string `xml:"Reason" json:"Reason"`
	TotalSize       int64  `xml:"TotalSize" json:"TotalSize"`
	VMUID           string `xml:"VmUid" json:"VmUid"`
}

func (w *taskSessionWire) toPublic() (*BackupTaskSession, error) {
	var t times
	s := &BackupTaskSession{
		UID:           UID(w.UID),
		Name:          w.Name,
		VMDisplayName: w.VMDisplayName,
		Href:          w.Href,
		JobSessionUID: UID(w.JobSessionUID),
		CreationTime:  t.parse("CreationTimeUTC", w.CreationTimeUTC),
		EndTime:       t.parse("EndTimeUTC", w.EndTimeUTC),
		State:         State(w.State),
		Result:        Result(w.Result),
		Reason:        w.Reason,
		TotalSize:     w.TotalSize,
		VMUID:         w.VMUID,
		Links:         w.Links,
	}
	return s, t.err
}
