package output

import (
	"math"
	"strings"
	"time"

	"github.com/vemkit/vem"
)

// The JSON schema below is documented field by field in docs/cli.md and is
// a promise to scripts: add fields, never rename, retype or remove one.
// Every key is always present; a value the server did not give is null
// (never "" or 0 as a placeholder). Times are RFC 3339 in UTC with as many
// fraction digits as needed (time.RFC3339Nano); sizes are integer bytes.

// LinkJSON is one link of an object's "links" array.
type LinkJSON struct {
	Rel  string  `json:"rel"`
	Type *string `json:"type"`
	Href string  `json:"href"`
	Name *string `json:"name"`
}

// TaskSessionJSON is a backup task session.
type TaskSessionJSON struct {
	UID             string     `json:"uid"`
	ID              string     `json:"id"`
	Name            *string    `json:"name"`
	VMDisplayName   *string    `json:"vmDisplayName"`
	VMUID           *string    `json:"vmUid"`
	State           *string    `json:"state"`
	Finished        bool       `json:"finished"`
	Result          *string    `json:"result"`
	Reason          *string    `json:"reason"`
	CreationTime    *string    `json:"creationTime"`
	EndTime         *string    `json:"endTime"`
	DurationSeconds *float64   `json:"durationSeconds"`
	TotalSize       int64      `json:"totalSize"`
	JobSessionUID   *string    `json:"jobSessionUid"`
	JobName         *string    `json:"jobName"`
	BackupServer    *string    `json:"backupServerName"`
	Links           []LinkJSON `json:"links"`
}

// FollowedTaskSessionJSON is a task session with its related objects, as
// printed by "task-session get --follow".
type FollowedTaskSessionJSON struct {
	TaskSessionJSON
	JobSession   *JobSessionJSON   `json:"jobSession"`
	BackupServer *BackupServerJSON `json:"backupServer"`
	RestorePoint *RestorePointJSON `json:"restorePoint"`
}

// JobSessionJSON is a backup job session.
type JobSessionJSON struct {
	UID             string     `json:"uid"`
	ID              string     `json:"id"`
	Name            *string    `json:"name"`
	JobUID          *string    `json:"jobUid"`
	JobName         *string    `json:"jobName"`
	JobType         *string    `json:"jobType"`
	State           *string    `json:"state"`
	Finished        bool       `json:"finished"`
	Result          *string    `json:"result"`
	Progress        int        `json:"progress"`
	IsRetry         bool       `json:"isRetry"`
	FailureMessage  *string    `json:"failureMessage"`
	CreationTime    *string    `json:"creationTime"`
	EndTime         *string    `json:"endTime"`
	DurationSeconds *float64   `json:"durationSeconds"`
	Links           []LinkJSON `json:"links"`
}

// BackupServerJSON is a Veeam Backup & Replication server.
type BackupServerJSON struct {
	UID         string     `json:"uid"`
	ID          string     `json:"id"`
	Name        *string    `json:"name"`
	Description *string    `json:"description"`
	Port        *int       `json:"port"`
	Version     *string    `json:"version"`
	Links       []LinkJSON `json:"links"`
}

// RestorePointJSON is a VM restore point.
type RestorePointJSON struct {
	UID             string     `json:"uid"`
	ID              string     `json:"id"`
	Name            *string    `json:"name"`
	VMDisplayName   *string    `json:"vmDisplayName"`
	VMName          *string    `json:"vmName"`
	Algorithm       *string    `json:"algorithm"`
	PointType       *string    `json:"pointType"`
	HierarchyObjRef *string    `json:"hierarchyObjRef"`
	CreationTime    *string    `json:"creationTime"`
	Links           []LinkJSON `json:"links"`
}

// Str returns nil for "" so that absent values print as null.
func Str[S ~string](s S) *string {
	if s == "" {
		return nil
	}
	v := string(s)
	return &v
}

// JSONTime renders t as RFC 3339 UTC, or nil for the zero time.
func JSONTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339Nano)
	return &s
}

// Seconds returns end-start in seconds, to the millisecond, or nil when
// either is unknown.
func Seconds(start, end time.Time) *float64 {
	if start.IsZero() || end.IsZero() {
		return nil
	}
	s := math.Round(end.Sub(start).Seconds()*1000) / 1000
	return &s
}

// LinksJSON is the "links" array of an object: [] when it has none.
func LinksJSON(ls vem.Links) []LinkJSON {
	out := make([]LinkJSON, 0, len(ls))
	for _, l := range ls {
		out = append(out, LinkJSON{Rel: l.Rel, Type: Str(l.Type), Href: l.Href, Name: Str(l.Name)})
	}
	return out
}

// JobNameOf returns the job name of a task session: the part before the
// last "@" of its job session link's name ("Backup Job 1@2025-06-05 01:03:37").
func JobNameOf(ts *vem.BackupTaskSession) string {
	l, ok := ts.BackupJobSessionLink()
	if !ok {
		return ""
	}
	name := l.Name
	if i := strings.LastIndexByte(name, '@'); i >= 0 {
		name = name[:i]
	}
	return name
}

// BackupServerNameOf returns the name of a task session's backup server
// link.
func BackupServerNameOf(ts *vem.BackupTaskSession) string {
	l, _ := ts.BackupServerLink()
	return l.Name
}

// NewTaskSessionJSON is the JSON of a task session.
func NewTaskSessionJSON(ts *vem.BackupTaskSession) TaskSessionJSON {
	return TaskSessionJSON{
		UID:             ts.UID.String(),
		ID:              ts.UID.ID(),
		Name:            Str(ts.Name),
		VMDisplayName:   Str(ts.VMDisplayName),
		VMUID:           Str(ts.VMUID),
		State:           Str(ts.State),
		Finished:        ts.State.Ended(),
		Result:          Str(ts.Result),
		Reason:          Str(strings.TrimSpace(ts.Reason)),
		CreationTime:    JSONTime(ts.CreationTime),
		EndTime:         JSONTime(ts.EndTime),
		DurationSeconds: Seconds(ts.CreationTime, ts.EndTime),
		TotalSize:       ts.TotalSize,
		JobSessionUID:   Str(ts.JobSessionUID),
		JobName:         Str(JobNameOf(ts)),
		BackupServer:    Str(BackupServerNameOf(ts)),
		Links:           LinksJSON(ts.Links),
	}
}

// NewJobSessionJSON is the JSON of a job session, or nil for nil.
func NewJobSessionJSON(js *vem.BackupJobSession) *JobSessionJSON {
	if js == nil {
		return nil
	}
	return &JobSessionJSON{
		UID:             js.UID.String(),
		ID:              js.UID.ID(),
		Name:            Str(js.Name),
		JobUID:          Str(js.JobUID),
		JobName:         Str(js.JobName),
		JobType:         Str(js.JobType),
		State:           Str(js.State),
		Finished:        js.State.Ended(),
		Result:          Str(js.Result),
		Progress:        js.Progress,
		IsRetry:         js.IsRetry,
		FailureMessage:  Str(js.FailureMessage),
		CreationTime:    JSONTime(js.CreationTime),
		EndTime:         JSONTime(js.EndTime),
		DurationSeconds: Seconds(js.CreationTime, js.EndTime),
		Links:           LinksJSON(js.Links),
	}
}

// NewBackupServerJSON is the JSON of a backup server, or nil for nil.
func NewBackupServerJSON(s *vem.BackupServer) *BackupServerJSON {
	if s == nil {
		return nil
	}
	out := &BackupServerJSON{
		UID:         s.UID.String(),
		ID:          s.UID.ID(),
		Name:        Str(s.Name),
		Description: Str(s.Description),
		Version:     Str(s.Version),
		Links:       LinksJSON(s.Links),
	}
	if s.Port != 0 {
		port := s.Port
		out.Port = &port
	}
	return out
}

// NewRestorePointJSON is the JSON of a VM restore point, or nil for nil.
func NewRestorePointJSON(p *vem.VMRestorePoint) *RestorePointJSON {
	if p == nil {
		return nil
	}
	return &RestorePointJSON{
		UID:             p.UID.String(),
		ID:              p.UID.ID(),
		Name:            Str(p.Name),
		VMDisplayName:   Str(p.VMDisplayName),
		VMName:          Str(p.VMName),
		Algorithm:       Str(p.Algorithm),
		PointType:       Str(p.PointType),
		HierarchyObjRef: Str(p.HierarchyObjRef),
		CreationTime:    JSONTime(p.CreationTime),
		Links:           LinksJSON(p.Links),
	}
}
