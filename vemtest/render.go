package vemtest

import (
	"strconv"

	"github.com/vemkit/vem"
)

// renderer writes the fake's documents; base is the href base
// ("https://host:port") and camel selects EM 13 JSON keys.
type renderer struct {
	base  string
	camel bool
}

func (r *renderer) xml() *xmlWriter { return &xmlWriter{b: make([]byte, 0, 1024)} }

func (r *renderer) json() *jsonWriter {
	return &jsonWriter{b: make([]byte, 0, 1024), camel: r.camel}
}

// ---- BackupTaskSession ----

func (r *renderer) taskEntityXML(w *xmlWriter, t *taskRec, ns nsMode) {
	w.tag(vem.KindBackupTaskSession, ns, false,
		"Href", r.base+"/api/backupTaskSessions/"+t.id+"?format=Entity",
		"Type", vem.KindBackupTaskSession,
		"Name", t.name,
		"UID", t.uid(),
		"VmDisplayName", t.vmDisplayName)
	w.links(r.base, t.links)
	if t.jobSessionUID != "" {
		w.elem("JobSessionUid", t.jobSessionUID)
	}
	w.elem("CreationTimeUTC", fmtTime(t.created))
	if !t.ended.IsZero() {
		w.elem("EndTimeUTC", fmtTime(t.ended))
	}
	w.elem("State", t.state)
	w.elem("Result", t.result)
	w.elem("Reason", t.reason)
	w.elem("TotalSize", strconv.FormatInt(t.totalSize, 10))
	if t.vmUID != "" {
		w.elem("VmUid", t.vmUID)
	}
	w.end(vem.KindBackupTaskSession)
}

func (r *renderer) taskEntityJSON(w *jsonWriter, t *taskRec) {
	w.obj()
	w.kstrOrNull("JobSessionUid", t.jobSessionUID)
	w.kstr("CreationTimeUTC", fmtTime(t.created))
	if !t.ended.IsZero() {
		w.kstr("EndTimeUTC", fmtTime(t.ended))
	}
	w.kstrOrNull("State", t.state)
	w.kstrOrNull("Result", t.result)
	w.kstr("Reason", t.reason)
	w.kint("TotalSize", t.totalSize)
	w.kstrOrNull("VmUid", t.vmUID)
	w.kstrOrNull("VmDisplayName", t.vmDisplayName)
	w.kstrOrNull("Name", t.name)
	w.kstr("UID", t.uid())
	w.links(r.base, t.links)
	w.kstr("Href", r.base+"/api/backupTaskSessions/"+t.id+"?format=Entity")
	w.kstr("Type", vem.KindBackupTaskSession)
	w.endObj()
}

func taskRefLinks(t *taskRec) []linkSpec {
	var ls []linkSpec
	if t.serverID != "" {
		ls = append(ls, linkSpec{Rel: vem.RelUp, Type: vem.TypeBackupServerReference, Href: "/api/backupServers/" + t.serverID, Name: t.serverName})
	}
	if t.jobSessionID != "" {
		ls = append(ls, linkSpec{Rel: vem.RelUp, Type: vem.TypeBackupJobSessionReference, Href: "/api/backupSessions/" + t.jobSessionID, Name: t.jobSessionNm})
	}
	return append(ls, linkSpec{Rel: vem.RelAlternate, Type: vem.KindBackupTaskSession, Href: "/api/backupTaskSessions/" + t.id + "?format=Entity", Name: t.name})
}

// taskXMLFragment is the entity as an element of a query result (cached).
func (r *renderer) taskXMLFragment(t *taskRec) []byte {
	return t.cache.get(cacheXMLEntity, func() []byte {
		w := r.xml()
		r.taskEntityXML(w, t, nsNone)
		return w.b
	})
}

func (r *renderer) taskJSONFragment(t *taskRec) []byte {
	return t.cache.get(cacheJSONEntity, func() []byte {
		w := r.json()
		r.taskEntityJSON(w, t)
		return w.b
	})
}

func (r *renderer) taskRefXMLFragment(t *taskRec) []byte {
	return t.cache.get(cacheXMLRef, func() []byte {
		w := r.xml()
		r.refXML(w, "Ref", nsNone, refDoc{typ: vem.TypeBackupTaskSessionReference, href: "/api/backupTaskSessions/" + t.id, name: t.name, uid: t.uid(), links: taskRefLinks(t)})
		return w.b
	})
}

func (r *renderer) taskRefJSONFragment(t *taskRec) []byte {
	return t.cache.get(cacheJSONRef, func() []byte {
		w := r.json()
		r.refJSON(w, refDoc{typ: vem.TypeBackupTaskSessionReference, href: "/api/backupTaskSessions/" + t.id, name: t.name, uid: t.uid(), links: taskRefLinks(t)})
		return w.b
	})
}

// ---- references ----

// refDoc is an EntityRef: href is relative to the base.
type refDoc struct {
	typ, href, name, uid string
	links                []linkSpec
}

func (r *renderer) refXML(w *xmlWriter, root string, ns nsMode, d refDoc) {
	w.tag(root, ns, false, "Type", d.typ, "Href", r.base+d.href, "Name", d.name, "UID", d.uid)
	w.links(r.base, d.links)
	w.end(root)
}

func (r *renderer) refJSON(w *jsonWriter, d refDoc) {
	w.obj()
	w.links(r.base, d.links)
	w.kstr("UID", d.uid)
	w.kstrOrNull("Name", d.name)
	w.kstr("Href", r.base+d.href)
	w.kstr("Type", d.typ)
	w.endObj()
}

// ---- BackupJobSession ----

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

func (j *jobSessionRec) ref() refDoc {
	var ls []linkSpec
	if j.serverID != "" {
		ls = append(ls, linkSpec{Rel: vem.RelUp, Type: vem.TypeBackupServerReference, Href: "/api/backupServers/" + j.serverID, Name: j.serverName})
	}
	ls = append(ls,
		linkSpec{Rel: vem.RelAlternate, Type: vem.KindBackupJobSession, Href: "/api/backupSessions/" + j.id + "?format=Entity", Name: j.name},
		linkSpec{Rel: vem.RelDown, Type: "BackupTaskSessionReferenceList", Href: "/api/backupSessions/" + j.id + "/taskSessions"})
	return refDoc{typ: vem.TypeBackupJobSessionReference, href: "/api/backupSessions/" + j.id, name: j.name, uid: j.uid(), links: ls}
}

func (r *renderer) jobSessionXML(w *xmlWriter, j *jobSessionRec, ns nsMode) {
	w.tag(vem.KindBackupJobSession, ns, false,
		"Href", r.base+"/api/backupSessions/"+j.id+"?format=Entity",
		"Type", vem.KindBackupJobSession,
		"Name", j.name,
		"UID", j.uid())
	w.links(r.base, j.entityLinks())
	w.elem("JobUid", j.jobUID)
	w.elem("JobName", j.jobName)
	w.elem("JobType", j.jobType)
	w.elem("CreationTimeUTC", fmtTime(j.created))
	if !j.ended.IsZero() {
		w.elem("EndTimeUTC", fmtTime(j.ended))
	}
	w.elem("State", j.state)
	w.elem("Result", j.result)
	w.elem("Progress", strconv.Itoa(j.progress))
	w.elem("IsRetry", strconv.FormatBool(j.isRetry))
	if j.failureMessage != "" {
		w.elem("FailureMessage", j.failureMessage)
	}
	w.end(vem.KindBackupJobSession)
}

func (r *renderer) jobSessionJSON(w *jsonWriter, j *jobSessionRec) {
	w.obj()
	w.kstrOrNull("JobUid", j.jobUID)
	w.kstrOrNull("JobName", j.jobName)
	w.kstrOrNull("JobType", j.jobType)
	w.kstr("CreationTimeUTC", fmtTime(j.created))
	if !j.ended.IsZero() {
		w.kstr("EndTimeUTC", fmtTime(j.ended))
	}
	w.kstrOrNull("State", j.state)
	w.kstrOrNull("Result", j.result)
	w.kint("Progress", int64(j.progress))
	w.key("IsRetry")
	w.bool(j.isRetry)
	if j.failureMessage != "" {
		w.kstr("FailureMessage", j.failureMessage)
	}
	w.kstrOrNull("Name", j.name)
	w.kstr("UID", j.uid())
	w.links(r.base, j.entityLinks())
	w.kstr("Href", r.base+"/api/backupSessions/"+j.id+"?format=Entity")
	w.kstr("Type", vem.KindBackupJobSession)
	w.endObj()
}

// ---- BackupServer ----

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

func (b *serverRec) ref() refDoc {
	p := "/api/backupServers/" + b.id
	return refDoc{typ: vem.TypeBackupServerReference, href: p, name: b.name, uid: b.uid(), links: []linkSpec{
		{Rel: vem.RelAlternate, Type: vem.KindBackupServer, Href: p + "?format=Entity", Name: b.name},
		{Rel: vem.RelDown, Type: "JobReferenceList", Href: p + "/jobs"},
		{Rel: vem.RelDown, Type: "RepositoryReferenceList", Href: p + "/repositories"},
	}}
}

func (r *renderer) serverXML(w *xmlWriter, b *serverRec, ns nsMode) {
	w.tag(vem.KindBackupServer, ns, false,
		"Href", r.base+"/api/backupServers/"+b.id+"?format=Entity",
		"Type", vem.KindBackupServer,
		"Name", b.name,
		"UID", b.uid())
	w.links(r.base, b.entityLinks())
	w.elem("Description", b.description)
	w.elem("Port", strconv.Itoa(b.port))
	w.elem("Version", b.version)
	w.end(vem.KindBackupServer)
}

func (r *renderer) serverJSON(w *jsonWriter, b *serverRec) {
	w.obj()
	w.kstr("Description", b.description)
	w.kint("Port", int64(b.port))
	w.kstrOrNull("Version", b.version)
	w.kstrOrNull("Name", b.name)
	w.kstr("UID", b.uid())
	w.links(r.base, b.entityLinks())
	w.kstr("Href", r.base+"/api/backupServers/"+b.id+"?format=Entity")
	w.kstr("Type", vem.KindBackupServer)
	w.endObj()
}

// ---- VmRestorePoint ----

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

func (p *restorePointRec) ref() refDoc {
	var ls []linkSpec
	if p.serverID != "" {
		ls = append(ls, linkSpec{Rel: vem.RelUp, Type: vem.TypeBackupServerReference, Href: "/api/backupServers/" + p.serverID, Name: p.serverName})
	}
	ls = append(ls, linkSpec{Rel: vem.RelAlternate, Type: vem.KindVMRestorePoint, Href: "/api/vmRestorePoints/" + p.id + "?format=Entity", Name: p.name})
	return refDoc{typ: "VmRestorePointReference", href: "/api/vmRestorePoints/" + p.id, name: p.name, uid: p.uid(), links: ls}
}

func (r *renderer) restorePointXML(w *xmlWriter, p *restorePointRec, ns nsMode) {
	w.tag(vem.KindVMRestorePoint, ns, false,
		"Href", r.base+"/api/vmRestorePoints/"+p.id+"?format=Entity",
		"Type", vem.KindVMRestorePoint,
		"Name", p.name,
		"UID", p.uid(),
		"VmDisplayName", p.vmDisplayName)
	w.links(r.base, p.entityLinks())
	w.elem("CreationTimeUTC", fmtTime(p.created))
	w.elem("VmName", p.vmName)
	w.elem("Algorithm", p.algorithm)
	w.elem("PointType", p.pointType)
	w.elem("HierarchyObjRef", p.hierarchyObjRef)
	w.end(vem.KindVMRestorePoint)
}

func (r *renderer) restorePointJSON(w *jsonWriter, p *restorePointRec) {
	w.obj()
	w.kstr("CreationTimeUTC", fmtTime(p.created))
	w.kstrOrNull("VmName", p.vmName)
	w.kstrOrNull("Algorithm", p.algorithm)
	w.kstrOrNull("PointType", p.pointType)
	w.kstrOrNull("HierarchyObjRef", p.hierarchyObjRef)
	w.kstrOrNull("VmDisplayName", p.vmDisplayName)
	w.kstrOrNull("Name", p.name)
	w.kstr("UID", p.uid())
	w.links(r.base, p.entityLinks())
	w.kstr("Href", r.base+"/api/vmRestorePoints/"+p.id+"?format=Entity")
	w.kstr("Type", vem.KindVMRestorePoint)
	w.endObj()
}

// ---- Error ----

func (r *renderer) errorXML(status int, msg string) []byte {
	w := r.xml()
	w.b = append(w.b, xmlHeader...)
	w.tag("Error", nsError, false, "Message", msg, "StatusCode", strconv.Itoa(status))
	w.elem("FirstChanceExceptionMessage", msg)
	w.end("Error")
	return w.b
}

func (r *renderer) errorJSON(status int, msg string) []byte {
	w := r.json()
	w.obj()
	w.key("FirstChanceExceptionMessage")
	w.null()
	w.kstr("Message", msg)
	w.key("StackTrace")
	w.null()
	w.key("Status")
	w.null()
	w.kint("StatusCode", int64(status))
	w.endObj()
	return w.b
}

// ---- EnterpriseManager and LogonSession ----

var supportedVersions = []string{"v1_5", "v1_6", "v1_7"}

func (r *renderer) rootXML() []byte {
	w := r.xml()
	w.b = append(w.b, xmlHeader...)
	w.tag("EnterpriseManager", nsFull, false)
	w.links(r.base, rootLinks())
	w.tag("SupportedVersions", nsNone, false)
	for _, v := range supportedVersions {
		w.tag("SupportedVersion", nsNone, false, "Name", v)
		w.links(r.base, versionLinks(v))
		w.end("SupportedVersion")
	}
	w.end("SupportedVersions")
	w.end("EnterpriseManager")
	return w.b
}

func (r *renderer) rootJSON() []byte {
	w := r.json()
	w.obj()
	w.key("SupportedVersions")
	w.obj()
	w.key("SupportedVersions")
	w.arr()
	for _, v := range supportedVersions {
		w.obj()
		w.kstr("Name", v)
		w.links(r.base, versionLinks(v))
		w.endObj()
	}
	w.endArr()
	w.endObj()
	w.links(r.base, rootLinks())
	w.key("Href")
	w.null()
	w.key("Type")
	w.null()
	w.endObj()
	return w.b
}

func rootLinks() []linkSpec {
	return []linkSpec{
		{Rel: vem.RelDown, Type: "LogonSessionList", Href: "/api/logonSessions"},
		{Rel: "Create", Type: "LogonSession", Href: "/api/sessionMngr/?v=latest"},
	}
}

func versionLinks(v string) []linkSpec {
	return []linkSpec{{Rel: "Create", Type: "LogonSession", Href: "/api/sessionMngr/?v=" + v}}
}

// logonDownLinks are the collections a LogonSession advertises, as EM 13
// lists them.
var logonDownLinks = [][2]string{
	{"BackupServerReferenceList", "/api/backupServers"},
	{"ManagedServerReferenceList", "/api/managedServers"},
	{"JobReferenceList", "/api/jobs"},
	{"FailoverPlanReferenceList", "/api/failoverPlans"},
	{"HierarchyRootReferenceList", "/api/hierarchyRoots"},
	{"RepositoryReferenceList", "/api/repositories"},
	{"BackupReferenceList", "/api/backups"},
	{"RestorePointReferenceList", "/api/restorePoints"},
	{"VmRestorePointReferenceList", "/api/vmRestorePoints"},
	{"VAppRestorePointReferenceList", "/api/vAppRestorePoints"},
	{"ReplicaReferenceList", "/api/replicas"},
	{"VmReplicaPointReferenceList", "/api/vmReplicaPoints"},
	{"CatalogVmReferenceList", "/api/catalog/vms"},
	{"BackupJobSessionReferenceList", "/api/backupSessions"},
	{"RestoreSessionReferenceList", "/api/restoreSessions"},
	{"ReplicaJobSessionReferenceList", "/api/replicaSessions"},
	{"BackupTaskSessionReferenceList", "/api/backupTaskSessions"},
	{"ReplicaTaskSessionReferenceList", "/api/replicaTaskSessions"},
	{"EnterpriseSecuritySettings", "/api/security"},
	{"WanAcceleratorReferenceList", "/api/wanAccelerators"},
	{"BackupFileReferenceList", "/api/backupFiles"},
	{"ExternalRepositoryReferenceList", "/api/externalRepositories"},
	{"TaskList", "/api/tasks"},
	{"QueryService", "/api/querySvc"},
	{"LookupService", "/api/lookupSvc"},
	{"BackupServerList", "/api/backupServers?format=Entity"},
	{"BackupJobSessionList", "/api/backupSessions?format=Entity"},
	{"BackupTaskSessionList", "/api/backupTaskSessions?format=Entity"},
	{"VmRestorePointList", "/api/vmRestorePoints?format=Entity"},
}

func logonLinks(sessionID string) []linkSpec {
	ls := make([]linkSpec, 0, len(logonDownLinks)+2)
	ls = append(ls, linkSpec{Rel: vem.RelUp, Type: "EnterpriseManager", Href: "/api/"})
	for _, d := range logonDownLinks {
		ls = append(ls, linkSpec{Rel: vem.RelDown, Type: d[0], Href: d[1]})
	}
	return append(ls, linkSpec{Rel: "Delete", Href: "/api/logonSessions/" + sessionID})
}

func (r *renderer) logonXML(w *xmlWriter, s sessionInfo, ns nsMode) {
	w.tag("LogonSession", ns, false, "Type", "LogonSession", "Href", r.base+"/api/logonSessions/"+s.id)
	w.links(r.base, logonLinks(s.id))
	w.elem("UserName", s.user)
	w.elem("SessionId", s.id)
	w.end("LogonSession")
}

func (r *renderer) logonJSON(w *jsonWriter, s sessionInfo) {
	w.obj()
	w.kstrOrNull("UserName", s.user)
	w.kstr("SessionId", s.id)
	w.links(r.base, logonLinks(s.id))
	w.kstr("Href", r.base+"/api/logonSessions/"+s.id)
	w.kstr("Type", "LogonSession")
	w.endObj()
}
