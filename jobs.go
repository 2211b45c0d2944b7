package vem

import (
	"context"
	"iter"
	"strings"
	"time"

	"github.com/vemkit/vem/internal/em"
)

// KindJob is the kind of a job in UIDs and entity Type attributes, and its
// query-service type.
const KindJob = em.KindJob

// Link types of jobs.
const (
	TypeJobReference                  = "JobReference"
	TypeBackupJobSessionReferenceList = "BackupJobSessionReferenceList"
)

// JobType is the type of a job, and of the job sessions it runs. Values the
// SDK does not know are kept verbatim.
type JobType string

// Job types Enterprise Manager reports for jobs and job sessions.
const (
	JobTypeBackup                    JobType = "Backup"
	JobTypeBackupCopy                JobType = "BackupCopy"          // periodic backup copy
	JobTypeImmediateBackupCopy       JobType = "ImmediateBackupCopy" // immediate backup copy
	JobTypeImmediateBackupCopyWorker JobType = "ImmediateBackupCopyWorker"
	JobTypeReplica                   JobType = "Replica"
	JobTypeAgentBackup               JobType = "AgentBackup"     // Veeam Agent backup job
	JobTypeAgentManagement           JobType = "AgentManagement" // Veeam Agent protected machine
	JobTypeNASBackup                 JobType = "NasBackup"       // file share backup
)

// Platform is the platform a job protects. Values the SDK does not know are
// kept verbatim.
type Platform string

// Job platforms.
const (
	PlatformVMware         Platform = "VMware"
	PlatformHyperV         Platform = "Hyperv"
	PlatformVCloud         Platform = "vCloud"
	PlatformCustomPlatform Platform = "CustomPlatform" // agents, file shares, backup copies
)

// Job is a job configured on a backup server: the entity representation of
// /api/jobs/{ID}?format=Entity. The schedule and job-type specific options
// EM also sends are not decoded; read them with FollowLink into a struct of
// your own or with GetRaw.
type Job struct {
	UID                UID // urn:veeam:Job:<GUID>
	Name               string
	Href               string
	JobType            JobType
	Platform           Platform
	Description        string
	ScheduleConfigured bool
	ScheduleEnabled    bool
	NextRun            time.Time // UTC; zero when the job has no scheduled run
	Links              Links
}

// BackupServerLink returns the link to the backup server the job is
// configured on (Rel Up, Type BackupServerReference).
func (j *Job) BackupServerLink() (Link, bool) {
	return j.Links.Find(RelUp, TypeBackupServerReference)
}

// AlternateLink returns the link to the job's reference representation
// (Rel Alternate).
func (j *Job) AlternateLink() (Link, bool) {
	return j.Links.Find(RelAlternate, "")
}

// BackupJobSessionsLink returns the link to the list of the job's sessions (Rel
// Down, Type BackupJobSessionReferenceList).
func (j *Job) BackupJobSessionsLink() (Link, bool) {
	return j.Links.Find(RelDown, TypeBackupJobSessionReferenceList)
}

// JobIncludesLink returns the link to the objects the job processes (Rel Down,
// path /api/jobs/{ID}/includes); see Client.ListJobIncludes.
func (j *Job) JobIncludesLink() (Link, bool) {
	for _, l := range j.Links {
		if l.Rel == RelDown && strings.HasSuffix(linkPath(l.Href), "/includes") {
			return l, true
		}
	}
	return Link{}, false
}

// GetJob reads one job as an entity: GET /api/jobs/{ID}?format=Entity. id
// is a GUID, a Job UID, or the ID() of a link to it.
func (c *Client) GetJob(ctx context.Context, id string) (*Job, error) {
	return jobs.get(ctx, c, id)
}

// QueryJobs runs a query-service query for jobs
// (GET /api/query?type=Job&format=Entities) and yields them across every
// page, in the server's order, as QueryBackupTaskSessions does. Filter and
// sort on the JobField constants; to find a job by name:
//
//	c.QueryJobs(ctx, vem.Query{Filter: vem.Eq(vem.JobFieldName, "Fileserver Backup")})
func (c *Client) QueryJobs(ctx context.Context, q Query) iter.Seq2[*Job, error] {
	return jobs.queryAll(ctx, c, q)
}

// ListJobBackupSessions lists the sessions of one job as references:
// GET /api/jobs/{ID}/backupSessions. To read them as entities, filtered
// and paged, query: QueryBackupJobSessions with Eq(BackupJobSessionFieldJobUID, uid).
func (c *Client) ListJobBackupSessions(ctx context.Context, jobID string) ([]EntityRef, error) {
	return jobs.refs(ctx, c, jobID, "backupSessions", "job sessions")
}

// ListJobIncludes lists the objects a job processes:
// GET /api/jobs/{ID}/includes (an <ObjectsInJob> list, in JSON
// {"ObjectInJobs":[...]}).
func (c *Client) ListJobIncludes(ctx context.Context, jobID string) ([]JobInclude, error) {
	if _, err := ParseID(KindJob, jobID); err != nil {
		return nil, err
	}
	ps, err := resJobInclude.listEntities(ctx, c, "/jobs/{ID}/includes", jobID)
	if err != nil {
		return nil, err
	}
	out := make([]JobInclude, len(ps))
	for i, p := range ps {
		out[i] = *p
	}
	return out, nil
}

// Query fields of Job, for filters and sorts.
const (
	JobFieldUID                Field = "UID"
	JobFieldName               Field = "Name"
	JobFieldDescription        Field = "Description"
	JobFieldNextRun            Field = "NextRun"
	JobFieldJobType            Field = "JobType"
	JobFieldPlatform           Field = "Platform"
	JobFieldScheduleConfigured Field = "ScheduleConfigured"
	JobFieldScheduleEnabled    Field = "ScheduleEnabled"
	JobFieldBackupServerUID    Field = "BackupServerUid"
	JobFieldBackupServerName   Field = "BackupServerName"
)

var jobs = resource[Job, jobWire, *jobWire]{
	kind: KindJob, path: "/api/jobs", query: em.JobQuery(),
}

var _ entity = (*Job)(nil)

func (j *Job) decodeEntity(ct string, body []byte) error {
	return jobs.decodeInto(ct, body, j)
}

type jobWire struct {
	entityHeader
	JobType            string `xml:"JobType" json:"JobType"`
	Platform           string `xml:"Platform" json:"Platform"`
	Description        string `xml:"Description" json:"Description"`
	ScheduleConfigured bool   `xml:"ScheduleConfigured" json:"ScheduleConfigured"`
	ScheduleEnabled    bool   `xml:"ScheduleEnabled" json:"ScheduleEnabled"`
	NextRun            string `xml:"NextRun" json:"NextRun"`
}

func (w *jobWire) toPublic() (*Job, error) {
	var t times
	j := &Job{
		UID: UID(w.UID), Name: w.Name, Href: w.Href,
		JobType: JobType(w.JobType), Platform: Platform(w.Platform), Description: w.Description,
		ScheduleConfigured: w.ScheduleConfigured, ScheduleEnabled: w.ScheduleEnabled,
		NextRun: t.parse("NextRun", w.NextRun), Links: w.Links,
	}
	return j, t.err
}
