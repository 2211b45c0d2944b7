package vemtest

import (
	"cmp"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/vemkit/vem"
	"github.com/vemkit/vem/internal/em"
)

// The entity types the fake serves, one description each. A new type is
// one more entityType here, its record in store.go and its data.

// taskSessionWindow is how far back GET /api/backupTaskSessions looks.
const taskSessionWindow = 30 * 24 * time.Hour

var taskSessions = (&entityType[*taskRec]{
	kind:    vem.KindBackupTaskSession,
	refType: vem.TypeBackupTaskSessionReference,
	path:    "/api/backupTaskSessions",
	list:    "BackupTaskSessions",
	noun:    "backup task session",
	name:    func(t *taskRec) string { return t.name },
	attrs:   []field[*taskRec]{fStrNull("VmDisplayName", func(t *taskRec) string { return t.vmDisplayName })},
	fields: []field[*taskRec]{
		fStrOpt("JobSessionUid", func(t *taskRec) string { return t.jobSessionUID }),
		fTime("CreationTimeUTC", func(t *taskRec) time.Time { return t.created }),
		fTimeOpt("EndTimeUTC", func(t *taskRec) time.Time { return t.ended }),
		fStrNull("State", func(t *taskRec) string { return t.state }),
		fStrNull("Result", func(t *taskRec) string { return t.result }),
		fStr("Reason", func(t *taskRec) string { return t.reason }),
		fInt("TotalSize", func(t *taskRec) int64 { return t.totalSize }),
		fStrOpt("VmUid", func(t *taskRec) string { return t.vmUID }),
	},
	links: func(t *taskRec) []linkSpec { return t.links },
	refs: func(t *taskRec) []linkSpec {
		return append(upLinks(t.serverID, t.serverName, t.jobSessionID, t.jobSessionNm),
			linkSpec{Rel: vem.RelAlternate, Type: vem.KindBackupTaskSession, Href: "/api/backupTaskSessions/" + t.id + "?format=Entity", Name: t.name})
	},
	all:    func(st *store) []*taskRec { return st.order },
	lookup: func(st *store, id string) (*taskRec, bool) { t, ok := st.tasks[id]; return t, ok },
	listed: func(s *Server, t *taskRec) bool { return !t.created.Before(s.cfg.clock().Add(-taskSessionWindow)) },
	server: func(t *taskRec) (string, string) { return t.serverID, t.serverName },
	query:  em.BackupTaskSessionQuery(),
	getters: map[string]getter[*taskRec]{
		"creationtime":  gTime(func(t *taskRec) time.Time { return t.created }),
		"endtime":       gTime(func(t *taskRec) time.Time { return t.ended }),
		"state":         gStr(func(t *taskRec) string { return t.state }),
		"result":        gStr(func(t *taskRec) string { return t.result }),
		"reason":        gStr(func(t *taskRec) string { return t.reason }),
		"totalsize":     gInt(func(t *taskRec) int64 { return t.totalSize }),
		"jobsessionuid": gStr(func(t *taskRec) string { return t.jobSessionUID }),
		"jobuid":        gStrSt(func(st *store, t *taskRec) string { u, _ := st.jobOf(t); return u }),
		"jobname":       gStrSt(func(st *store, t *taskRec) string { _, n := st.jobOf(t); return n }),
		"vmdisplayname": gStr(func(t *taskRec) string { return t.vmDisplayName }),
	},
	collected:  func(t *taskRec, now time.Time) bool { return !now.Before(t.collectedAt) },
	byCreation: true,
}).init()

var jobSessions = (&entityType[*jobSessionRec]{
	kind:    vem.KindBackupJobSession,
	refType: vem.TypeBackupJobSessionReference,
	path:    "/api/backupSessions",
	list:    "BackupJobSessions",
	noun:    "backup job session",
	name:    func(j *jobSessionRec) string { return j.name },
	fields: []field[*jobSessionRec]{
		fStrNull("JobUid", func(j *jobSessionRec) string { return j.jobUID }),
		fStrNull("JobName", func(j *jobSessionRec) string { return j.jobName }),
		fStrNull("JobType", func(j *jobSessionRec) string { return j.jobType }),
		fTime("CreationTimeUTC", func(j *jobSessionRec) time.Time { return j.created }),
		fTimeOpt("EndTimeUTC", func(j *jobSessionRec) time.Time { return j.ended }),
		fStrNull("State", func(j *jobSessionRec) string { return j.state }),
		fStrNull("Result", func(j *jobSessionRec) string { return j.result }),
		fInt("Progress", func(j *jobSessionRec) int64 { return int64(j.progress) }),
		fBool("IsRetry", func(j *jobSessionRec) bool { return j.isRetry }),
		fStrOpt("FailureMessage", func(j *jobSessionRec) string { return j.failureMessage }),
	},
	jsonFirst: []string{"IsRetry"},
	links:     (*jobSessionRec).entityLinks,
	refs: func(j *jobSessionRec) []linkSpec {
		return append(upLinks(j.serverID, j.serverName, "", ""),
			linkSpec{Rel: vem.RelAlternate, Type: vem.KindBackupJobSession, Href: "/api/backupSessions/" + j.id + "?format=Entity", Name: j.name},
			linkSpec{Rel: vem.RelDown, Type: "BackupTaskSessionReferenceList", Href: "/api/backupSessions/" + j.id + "/taskSessions"})
	},
	all:    func(st *store) []*jobSessionRec { return sortedByCreation(st.jobSessions) },
	lookup: func(st *store, id string) (*jobSessionRec, bool) { j, ok := st.jobSessions[id]; return j, ok },
	server: func(j *jobSessionRec) (string, string) { return j.serverID, j.serverName },
	query:  em.BackupJobSessionQuery(),
	getters: map[string]getter[*jobSessionRec]{
		"jobtype":      gStr(func(j *jobSessionRec) string { return j.jobType }),
		"jobuid":       gStr(func(j *jobSessionRec) string { return j.jobUID }),
		"jobname":      gStr(func(j *jobSessionRec) string { return j.jobName }),
		"creationtime": gTime(func(j *jobSessionRec) time.Time { return j.created }),
		"endtime":      gTime(func(j *jobSessionRec) time.Time { return j.ended }),
		"state":        gStr(func(j *jobSessionRec) string { return j.state }),
		"result":       gStr(func(j *jobSessionRec) string { return j.result }),
		"isretry":      gBool(func(j *jobSessionRec) bool { return j.isRetry }),
	},
	collected:  func(j *jobSessionRec, now time.Time) bool { return !now.Before(j.collectedAt) },
	byCreation: true,
}).init()

var backupServers = (&entityType[*serverRec]{
	kind:    vem.KindBackupServer,
	refType: vem.TypeBackupServerReference,
	path:    "/api/backupServers",
	list:    "BackupServers",
	noun:    "backup server",
	name:    func(b *serverRec) string { return b.name },
	fields: []field[*serverRec]{
		fStr("Description", func(b *serverRec) string { return b.description }),
		fInt("Port", func(b *serverRec) int64 { return int64(b.port) }),
		fStrNull("Version", func(b *serverRec) string { return b.version }),
		fInt("WcfPort", func(b *serverRec) int64 { return int64(b.wcfPort) }),
		fStrNull("VbrCertificateThumbprint", func(b *serverRec) string { return b.thumbprint }),
	},
	links: (*serverRec).entityLinks,
	refs: func(b *serverRec) []linkSpec {
		p := "/api/backupServers/" + b.id
		return []linkSpec{
			{Rel: vem.RelAlternate, Type: vem.KindBackupServer, Href: p + "?format=Entity", Name: b.name},
			{Rel: vem.RelDown, Type: "JobReferenceList", Href: p + "/jobs"},
			{Rel: vem.RelDown, Type: "RepositoryReferenceList", Href: p + "/repositories"},
		}
	},
	all: func(st *store) []*serverRec {
		return sortedBy(st.servers, func(a, b *serverRec) int { return strings.Compare(a.name+a.id, b.name+b.id) })
	},
	lookup: func(st *store, id string) (*serverRec, bool) { b, ok := st.servers[id]; return b, ok },
	query:  em.BackupServerQuery(),
	getters: map[string]getter[*serverRec]{
		"description": gStr(func(b *serverRec) string { return b.description }),
		"ipordnsname": gStr(func(b *serverRec) string { return b.name }),
		"port":        gInt(func(b *serverRec) int64 { return int64(b.port) }),
		"version":     gStr(func(b *serverRec) string { return b.version }),
	},
}).init()

var vmRestorePoints = (&entityType[*restorePointRec]{
	kind:    vem.KindVMRestorePoint,
	refType: "VmRestorePointReference",
	path:    "/api/vmRestorePoints",
	list:    "VmRestorePoints",
	noun:    "VM restore point",
	name:    func(p *restorePointRec) string { return p.name },
	attrs:   []field[*restorePointRec]{fStrNull("VmDisplayName", func(p *restorePointRec) string { return p.vmDisplayName })},
	fields: []field[*restorePointRec]{
		fTime("CreationTimeUTC", func(p *restorePointRec) time.Time { return p.created }),
		fStrNull("VmName", func(p *restorePointRec) string { return p.vmName }),
		fStrNull("Algorithm", func(p *restorePointRec) string { return p.algorithm }),
		fStrNull("PointType", func(p *restorePointRec) string { return p.pointType }),
		fStrNull("HierarchyObjRef", func(p *restorePointRec) string { return p.hierarchyObjRef }),
	},
	links: (*restorePointRec).entityLinks,
	refs: func(p *restorePointRec) []linkSpec {
		return append(upLinks(p.serverID, p.serverName, "", ""),
			linkSpec{Rel: vem.RelAlternate, Type: vem.KindVMRestorePoint, Href: "/api/vmRestorePoints/" + p.id + "?format=Entity", Name: p.name})
	},
	all:    func(st *store) []*restorePointRec { return sortedByCreation(st.restorePoints) },
	lookup: func(st *store, id string) (*restorePointRec, bool) { p, ok := st.restorePoints[id]; return p, ok },
	server: func(p *restorePointRec) (string, string) { return p.serverID, p.serverName },
	query:  em.VMRestorePointQuery(),
	getters: map[string]getter[*restorePointRec]{
		"creationtime":     gTime(func(p *restorePointRec) time.Time { return p.created }),
		"type":             gStr(func(p *restorePointRec) string { return p.pointType }),
		"algorithm":        gStr(func(p *restorePointRec) string { return p.algorithm }),
		"restorepointid":   gStr(func(p *restorePointRec) string { return em.UID(em.KindRestorePoint, p.restorePointID()) }),
		"restorepointname": gStr(func(p *restorePointRec) string { return p.restorePointName() }),
		"vmdisplayname":    gStr(func(p *restorePointRec) string { return p.vmDisplayName }),
	},
	byCreation: true,
}).init()

var jobs = (&entityType[*jobRec]{
	kind:    em.KindJob,
	refType: "JobReference",
	path:    "/api/jobs",
	list:    "Jobs",
	noun:    "job",
	name:    func(j *jobRec) string { return j.name },
	fields: []field[*jobRec]{
		fStrNull("JobType", func(j *jobRec) string { return j.jobType }),
		fStrNull("Platform", func(j *jobRec) string { return j.platform }),
		fStr("Description", func(j *jobRec) string { return j.description }),
		fBool("ScheduleConfigured", func(j *jobRec) bool { return j.scheduleConfigured }),
		fBool("ScheduleEnabled", func(j *jobRec) bool { return j.scheduleEnabled }),
		fTimeOpt("NextRun", func(j *jobRec) time.Time { return j.nextRun }),
	},
	links: (*jobRec).entityLinks,
	refs: func(j *jobRec) []linkSpec {
		return append(upLinks(j.serverID, j.serverName, "", ""),
			linkSpec{Rel: vem.RelAlternate, Type: em.KindJob, Href: "/api/jobs/" + j.id + "?format=Entity", Name: j.name},
			linkSpec{Rel: vem.RelDown, Type: "BackupJobSessionReferenceList", Href: "/api/jobs/" + j.id + "/backupSessions"})
	},
	all: func(st *store) []*jobRec {
		return sortedBy(st.jobs, func(a, b *jobRec) int { return strings.Compare(a.name+a.id, b.name+b.id) })
	},
	lookup: func(st *store, id string) (*jobRec, bool) { j, ok := st.jobs[id]; return j, ok },
	server: func(j *jobRec) (string, string) { return j.serverID, j.serverName },
	query:  em.JobQuery(),
	getters: map[string]getter[*jobRec]{
		"description":        gStr(func(j *jobRec) string { return j.description }),
		"nextrun":            gTime(func(j *jobRec) time.Time { return j.nextRun }),
		"jobtype":            gStr(func(j *jobRec) string { return j.jobType }),
		"platform":           gStr(func(j *jobRec) string { return j.platform }),
		"scheduleconfigured": gBool(func(j *jobRec) bool { return j.scheduleConfigured }),
		"scheduleenabled":    gBool(func(j *jobRec) bool { return j.scheduleEnabled }),
	},
}).init()

// entityTypes lists every type, in the order of the route table.
var entityTypes = append([]resource{taskSessions, jobSessions, backupServers, vmRestorePoints, jobs, tasksQuery}, specResources()...)

// queryResource returns the type of a query's type parameter (any case).
func queryResource(name string) resource {
	for _, r := range entityTypes {
		if r.queryable() && strings.EqualFold(r.kindName(), name) {
			return r
		}
	}
	return nil
}

// queryTypeNames lists the types the query service accepts.
func queryTypeNames() []string {
	var out []string
	for _, r := range entityTypes {
		if r.queryable() {
			out = append(out, r.kindName())
		}
	}
	return out
}

func (t *entityType[R]) queryable() bool { return t.query.Name != "" }

// upLinks are the Up links of a reference: its backup server, and its job
// session when jobSessionID is set.
func upLinks(serverID, serverName, jobSessionID, jobSessionName string) []linkSpec {
	var ls []linkSpec
	if serverID != "" {
		ls = append(ls, linkSpec{Rel: vem.RelUp, Type: vem.TypeBackupServerReference, Href: "/api/backupServers/" + serverID, Name: serverName})
	}
	if jobSessionID != "" {
		ls = append(ls, linkSpec{Rel: vem.RelUp, Type: vem.TypeBackupJobSessionReference, Href: "/api/backupSessions/" + jobSessionID, Name: jobSessionName})
	}
	return ls
}

type created interface {
	record
	creationTime() time.Time
}

// sortedByCreation returns the records of m by (CreationTime, ID).
func sortedByCreation[R created](m map[string]R) []R {
	return sortedBy(m, func(a, b R) int {
		if c := a.creationTime().Compare(b.creationTime()); c != 0 {
			return c
		}
		return cmp.Compare(a.guid(), b.guid())
	})
}

func sortedBy[R any](m map[string]R, order func(a, b R) int) []R {
	out := slices.Collect(maps.Values(m))
	slices.SortFunc(out, order)
	return out
}

// Entity links of the types whose records were stored without links.

func (j *jobSessionRec) entityLinks() []linkSpec {
	if len(j.links) > 0 {
		return j.links
	}
	var ls []linkSpec
	if j.serverID != "" {
		ls = append(ls, linkSpec{Rel: vem.RelUp, Type: vem.TypeBackupServerReference, Href: "/api/backupServers/" + j.serverID, Name: j.serverName})
	}
	if id := vem.UID(j.jobUID).ID(); id != "" {
		ls = append(ls, linkSpec{Rel: vem.RelUp, Type: "JobReference", Href: "/api/jobs/" + id, Name: j.jobName})
	}
	ls = append(ls,
		linkSpec{Rel: vem.RelAlternate, Type: vem.TypeBackupJobSessionReference, Href: "/api/backupSessions/" + j.id, Name: j.name},
		linkSpec{Rel: vem.RelDown, Type: "BackupTaskSessionReferenceList", Href: "/api/backupSessions/" + j.id + "/taskSessions"})
	if !finished(j.state) {
		ls = append(ls, linkSpec{Rel: "Stop", Href: "/api/backupSessions/" + j.id + "?action=stop"})
	}
	return ls
}

func (b *serverRec) entityLinks() []linkSpec {
	if len(b.links) > 0 {
		return b.links
	}
	p := "/api/backupServers/" + b.id
	return []linkSpec{
		{Rel: vem.RelAlternate, Type: vem.TypeBackupServerReference, Href: p, Name: b.name},
		{Rel: "Edit", Type: vem.TypeBackupServerReference, Href: p},
		{Rel: "Delete", Type: vem.TypeBackupServerReference, Href: p},
		{Rel: vem.RelDown, Type: "JobReferenceList", Href: p + "/jobs"},
		{Rel: vem.RelDown, Type: "ManagedServerReferenceList", Href: p + "/managedServers"},
		{Rel: vem.RelDown, Type: "RepositoryReferenceList", Href: p + "/repositories"},
		{Rel: vem.RelDown, Type: "CredentialsList", Href: p + "/credentials"},
		{Rel: "Create", Href: p + "/credentials?action=create"},
		{Rel: vem.RelDown, Type: "PasswordKeyList", Href: p + "/passwords"},
		{Rel: "Create", Href: p + "/passwords?action=create"},
		{Rel: "VeeamZip", Href: p + "?action=veeamzip"},
		{Rel: "QuickBackup", Href: p + "?action=quickbackup"},
		{Rel: "Start", Href: p + "?action=collect"},
	}
}

func (p *restorePointRec) entityLinks() []linkSpec {
	if len(p.links) > 0 {
		return p.links
	}
	self := "/api/vmRestorePoints/" + p.id
	ls := []linkSpec{{Rel: "Restore", Href: self + "?action=restore"}}
	if p.serverID != "" {
		ls = append(ls, linkSpec{Rel: vem.RelUp, Type: vem.TypeBackupServerReference, Href: "/api/backupServers/" + p.serverID, Name: p.serverName})
	}
	ls = append(ls,
		linkSpec{Rel: vem.RelUp, Type: "RestorePointReference", Href: "/api/restorePoints/" + guidFrom("restorePoint", p.id), Name: p.created.Format("Jan _2 2006  3:04PM")},
		linkSpec{Rel: vem.RelUp, Type: "BackupFileReference", Href: "/api/backupFiles/" + guidFrom("backupFile", p.id), Name: p.vmName + "D" + p.created.Format("2006-01-02T150405") + ".vib"},
		linkSpec{Rel: vem.RelAlternate, Type: "VmRestorePointReference", Href: self, Name: p.name},
		linkSpec{Rel: vem.RelDown, Type: "VmRestorePointMountList", Href: self + "/mounts"},
		linkSpec{Rel: "Create", Type: "VmRestorePointMount", Href: self + "/mounts"},
	)
	return ls
}

func (j *jobRec) entityLinks() []linkSpec {
	if len(j.links) > 0 {
		return j.links
	}
	p := "/api/jobs/" + j.id
	return append(upLinks(j.serverID, j.serverName, "", ""),
		linkSpec{Rel: vem.RelAlternate, Type: "JobReference", Href: p, Name: j.name},
		linkSpec{Rel: vem.RelDown, Type: "BackupJobSessionReferenceList", Href: p + "/backupSessions"},
		linkSpec{Rel: vem.RelDown, Type: "ObjectInJobList", Href: p + "/includes"},
		linkSpec{Rel: "Edit", Type: "JobReference", Href: p, Name: j.name},
		linkSpec{Rel: "Create", Type: "ObjectInJob", Href: p + "/includes"},
		linkSpec{Rel: "Start", Href: p + "?action=start"},
		linkSpec{Rel: "Stop", Href: p + "?action=stop"},
		linkSpec{Rel: "Retry", Href: p + "?action=retry"},
		linkSpec{Rel: "Clone", Href: p + "?action=clone"},
		linkSpec{Rel: "ToggleScheduleEnabled", Href: p + "?action=toggleScheduleEnabled"},
	)
}
