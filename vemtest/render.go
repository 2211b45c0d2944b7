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
