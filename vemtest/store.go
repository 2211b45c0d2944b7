package vemtest

import (
	"cmp"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vemkit/vem"
	"github.com/vemkit/vem/internal/em"
)

// linkSpec is a link as stored: Href is a path and query relative to the
// server's href base ("/api/backupServers/<ID>"), unless abs is set, in which
// case Href is kept verbatim (an input Href that had no usable path).
type linkSpec struct {
	Rel, Type, Name, Href string
	abs                   bool
}

func (l linkSpec) href(base string) string {
	if l.abs {
		return l.Href
	}
	return base + l.Href
}

// specFromLink turns a caller's link into a linkSpec on the fake's own host:
// only the path and query of its Href are kept (a Href that is already a
// path stays as it is).
func specFromLink(l vem.Link) linkSpec {
	s := linkSpec{Rel: l.Rel, Type: l.Type, Name: l.Name, Href: l.Href}
	if strings.HasPrefix(l.Href, "/") && !strings.HasPrefix(l.Href, "//") {
		return s // already a path on the server
	}
	u, err := url.Parse(l.Href)
	if err != nil || u.Path == "" || !strings.HasPrefix(u.Path, "/") {
		s.abs = true
		return s
	}
	s.Href = u.EscapedPath()
	if u.RawQuery != "" {
		s.Href += "?" + u.RawQuery
	}
	return s
}

func specsFromLinks(ls vem.Links) []linkSpec {
	if len(ls) == 0 {
		return nil
	}
	out := make([]linkSpec, len(ls))
	for i, l := range ls {
		out[i] = specFromLink(l)
	}
	return out
}

// taskRec is a stored task session.
type taskRec struct {
	taskData
	renderCache
}

type taskData struct {
	id            string // lower-case GUID
	name          string
	vmDisplayName string
	jobSessionID  string // lower-case GUID, or ""
	jobSessionUID string // as rendered in <JobSessionUid>
	jobSessionNm  string // name of the Up job session link
	serverID      string // lower-case GUID, or ""
	serverName    string // name of the Up backup server link
	rpID          string // restore point GUID, or ""
	created       time.Time
	ended         time.Time // zero while running
	state         string
	result        string
	reason        string
	totalSize     int64
	vmUID         string
	links         []linkSpec // entity links
	collectedAt   time.Time  // the query service sees it from then on
}

func (t *taskRec) guid() string            { return t.id }
func (t *taskRec) creationTime() time.Time { return t.created }

// jobSessionRec is a stored job session.
type jobSessionRec struct {
	jobSessionData
	renderCache
}

type jobSessionData struct {
	id             string
	name           string
	jobUID         string
	jobName        string
	jobType        string
	serverID       string
	serverName     string
	created, ended time.Time
	state, result  string
	progress       int
	isRetry        bool
	failureMessage string
	links          []linkSpec
	collectedAt    time.Time // the query service sees it from then on
}

func (j *jobSessionRec) guid() string            { return j.id }
func (j *jobSessionRec) creationTime() time.Time { return j.created }

type serverRec struct {
	id          string
	name        string
	description string
	port        int
	version     string
	wcfPort     int
	thumbprint  string
	links       []linkSpec
	renderCache
}

func (b *serverRec) guid() string { return b.id }

type restorePointRec struct {
	id              string
	name            string
	vmDisplayName   string
	vmName          string
	algorithm       string
	pointType       string
	hierarchyObjRef string
	serverID        string
	serverName      string
	created         time.Time
	links           []linkSpec
	renderCache
}

func (p *restorePointRec) guid() string            { return p.id }
func (p *restorePointRec) creationTime() time.Time { return p.created }

// restorePointID is the GUID of the job-level restore point the VM restore
// point belongs to, and restorePointName its name.
func (p *restorePointRec) restorePointID() string { return guidFrom("restorePoint", p.id) }
func (p *restorePointRec) restorePointName() string {
	return p.created.Format("Jan _2 2006  3:04PM")
}

// jobRec is a job; its VMs are in store.includes.
type jobRec struct {
	id                 string
	name               string
	jobType            string
	platform           string
	description        string
	scheduleConfigured bool
	scheduleEnabled    bool
	nextRun            time.Time
	serverID           string
	serverName         string
	links              []linkSpec
	renderCache
}

func (j *jobRec) uid() string  { return em.UID(em.KindJob, j.id) }
func (j *jobRec) guid() string { return j.id }

// includeRec is an object in a job (ObjectInJob).
type includeRec struct {
	id              string // ObjectInJobId
	hierarchyObjRef string
	name            string
	displayName     string
}

// store holds the fake's data set. All access goes through mu; records are
// never modified once stored.
type store struct {
	mu            sync.RWMutex
	tasks         map[string]*taskRec
	order         []*taskRec // tasks by (created, id)
	jobSessions   map[string]*jobSessionRec
	servers       map[string]*serverRec
	restorePoints map[string]*restorePointRec
	jobs          map[string]*jobRec
	includes      map[string][]includeRec // by job ID
	runs          runTable
	// spec holds the records of the types described by internal/emspec
	// (spectypes.go), by EM type, then by ID.
	spec map[string]map[string]*specRec
}

func newStore() *store {
	return &store{
		spec:          make(map[string]map[string]*specRec),
		tasks:         make(map[string]*taskRec),
		jobSessions:   make(map[string]*jobSessionRec),
		servers:       make(map[string]*serverRec),
		restorePoints: make(map[string]*restorePointRec),
		jobs:          make(map[string]*jobRec),
		includes:      make(map[string][]includeRec),
	}
}

func taskOrder(a, b *taskRec) int {
	if c := a.created.Compare(b.created); c != 0 {
		return c
	}
	return cmp.Compare(a.id, b.id)
}

// putTask stores t, replacing a task with the same ID. sorted=false appends
// without keeping order (bulk loading); call sortTasks afterwards.
func (st *store) putTask(t *taskRec, sorted bool) {
	if old, ok := st.tasks[t.id]; ok {
		if i, found := slices.BinarySearchFunc(st.order, old, taskOrder); found {
			st.order = slices.Delete(st.order, i, i+1)
		} else if i := slices.Index(st.order, old); i >= 0 {
			st.order = slices.Delete(st.order, i, i+1)
		}
	}
	st.tasks[t.id] = t
	if !sorted {
		st.order = append(st.order, t)
		return
	}
	i, _ := slices.BinarySearchFunc(st.order, t, taskOrder)
	st.order = slices.Insert(st.order, i, t)
}

func (st *store) sortTasks() { slices.SortFunc(st.order, taskOrder) }

// jobOf returns the job UID and name of a task's job session, falling
// back to the name of its job session link.
func (st *store) jobOf(t *taskRec) (jobUID, jobName string) {
	if js, ok := st.jobSessions[t.jobSessionID]; ok {
		return js.jobUID, js.jobName
	}
	name, _ := splitAt(t.jobSessionNm)
	return "", name
}

// splitAt splits "Job name@2025-10-11 20:00:04" at its last "@".
func splitAt(name string) (before, after string) {
	if i := strings.LastIndexByte(name, '@'); i >= 0 {
		return name[:i], name[i+1:]
	}
	return name, ""
}

// nameTimeLayout is the layout of the time in session names.
const nameTimeLayout = "2006-01-02 15:04:05"

// guidFrom derives a stable GUID from parts (a name-based, version 5 style
// UUID), used for entities synthesized from links.
func guidFrom(parts ...string) string {
	h := sha1.Sum([]byte(strings.Join(parts, "\x00")))
	h[6] = h[6]&0x0f | 0x50
	h[8] = h[8]&0x3f | 0x80
	return formatGUID([16]byte(h[:16]))
}

// formatGUID writes 16 bytes in the 8-4-4-4-12 form, lower case.
func formatGUID(b [16]byte) string {
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:16])
	return string(out[:])
}

// parseGUIDOrUID accepts a bare GUID or a UID of the given kind and returns
// the lower-case GUID.
func parseGUIDOrUID(kind, s string) (string, bool) {
	if em.IsGUID(s) {
		return strings.ToLower(s), true
	}
	k, _, ok := em.SplitUID(s)
	if !ok || k != kind {
		return "", false
	}
	return em.GUIDOf(s)
}

// addTask stores a task session and synthesizes the job session, backup
// server and restore point it links to when they are not present. It
// panics on a UID that is not a BackupTaskSession UID or GUID: that is a
// mistake in a test's setup.
func (st *store) addTask(ts vem.BackupTaskSession, sorted bool) *taskRec {
	id, ok := parseGUIDOrUID(vem.KindBackupTaskSession, string(ts.UID))
	if !ok {
		panic(fmt.Sprintf("vemtest: AddBackupTaskSession: UID %q is neither a GUID nor a BackupTaskSession UID", ts.UID))
	}
	t := &taskRec{taskData: taskData{
		id:            id,
		name:          ts.Name,
		vmDisplayName: ts.VMDisplayName,
		created:       ts.CreationTime.UTC(),
		state:         string(ts.State),
		result:        string(ts.Result),
		reason:        ts.Reason,
		totalSize:     ts.TotalSize,
		vmUID:         ts.VMUID,
		links:         specsFromLinks(ts.Links),
	}}
	if !ts.EndTime.IsZero() {
		t.ended = ts.EndTime.UTC()
	}
	if t.name == "" {
		t.name = t.vmDisplayName + "@" + t.created.Format(nameTimeLayout)
	}
	if l, ok := ts.Links.Find(vem.RelUp, vem.TypeBackupServerReference); ok {
		t.serverID, t.serverName = l.ID(), l.Name
	}
	if l, ok := ts.Links.Find(vem.RelUp, vem.TypeBackupJobSessionReference); ok {
		t.jobSessionID, t.jobSessionNm = l.ID(), l.Name
	}
	if l, ok := ts.Links.Find(vem.RelRelated, vem.TypeVMRestorePoint); ok {
		t.rpID = l.ID()
	}
	if jsID, ok := parseGUIDOrUID(vem.KindBackupJobSession, string(ts.JobSessionUID)); ok {
		t.jobSessionID = jsID
	}
	if t.jobSessionID != "" {
		t.jobSessionUID = em.UID(vem.KindBackupJobSession, t.jobSessionID)
	} else {
		t.jobSessionUID = string(ts.JobSessionUID)
	}
	// Fill in what the links did not say from the job session, if known.
	if js, ok := st.jobSessions[t.jobSessionID]; ok {
		if t.jobSessionNm == "" {
			t.jobSessionNm = js.name
		}
		if t.serverID == "" {
			t.serverID, t.serverName = js.serverID, js.serverName
		}
	}
	if t.serverID != "" && t.serverName == "" {
		if s, ok := st.servers[t.serverID]; ok {
			t.serverName = s.name
		}
	}
	if len(t.links) == 0 {
		t.links = defaultTaskLinks(t)
	}
	st.synthesizeForTask(t)
	if js, ok := st.jobSessions[t.jobSessionID]; ok && t.vmDisplayName != "" {
		if jobID, ok := em.GUIDOf(js.jobUID); ok {
			st.ensureInclude(jobID, t.vmDisplayName, t.vmUID)
		}
	}
	st.putTask(t, sorted)
	return t
}

// ensureJob stores the job of a job session when it is not stored yet.
func (st *store) ensureJob(js *jobSessionRec) {
	id, ok := parseGUIDOrUID(em.KindJob, js.jobUID)
	if !ok {
		return
	}
	if _, ok := st.jobs[id]; ok {
		return
	}
	st.jobs[id] = &jobRec{id: id, name: js.jobName, jobType: cmp.Or(js.jobType, "Backup"), platform: "VMware",
		serverID: js.serverID, serverName: js.serverName}
}

// ensureInclude adds a VM to a job's objects when it is not there yet.
func (st *store) ensureInclude(jobID, vm, vmUID string) {
	for _, in := range st.includes[jobID] {
		if in.name == vm {
			return
		}
	}
	st.includes[jobID] = append(st.includes[jobID], includeRec{
		id: guidFrom("objectInJob", jobID, vm), hierarchyObjRef: vmUID, name: vm, displayName: vm,
	})
}

func defaultTaskLinks(t *taskRec) []linkSpec {
	var ls []linkSpec
	if t.serverID != "" {
		ls = append(ls, linkSpec{Rel: vem.RelUp, Type: vem.TypeBackupServerReference, Href: "/api/backupServers/" + t.serverID, Name: t.serverName})
	}
	if t.jobSessionID != "" {
		ls = append(ls, linkSpec{Rel: vem.RelUp, Type: vem.TypeBackupJobSessionReference, Href: "/api/backupSessions/" + t.jobSessionID, Name: t.jobSessionNm})
	}
	ls = append(ls, linkSpec{Rel: vem.RelAlternate, Type: vem.TypeBackupTaskSessionReference, Href: "/api/backupTaskSessions/" + t.id, Name: t.name})
	if t.rpID != "" {
		ls = append(ls, linkSpec{Rel: vem.RelRelated, Type: vem.TypeVMRestorePoint, Href: "/api/vmRestorePoints/" + t.rpID + "?format=Entity"})
	}
	return ls
}

// synthesizeForTask creates the server, job session and restore point a
// task links to, when they are not stored yet, with values consistent with
// the task.
func (st *store) synthesizeForTask(t *taskRec) {
	st.ensureServer(t.serverID, t.serverName)
	if t.jobSessionID != "" {
		if _, ok := st.jobSessions[t.jobSessionID]; !ok {
			name := t.jobSessionNm
			jobName, at := splitAt(name)
			created, err := time.ParseInLocation(nameTimeLayout, at, time.UTC)
			if err != nil || created.After(t.created) {
				created = t.created
			}
			if name == "" {
				jobName = "Backup Job"
				name = jobName + "@" + created.Format(nameTimeLayout)
			}
			js := &jobSessionRec{jobSessionData: jobSessionData{
				id:         t.jobSessionID,
				name:       name,
				jobUID:     em.UID(em.KindJob, guidFrom("job", jobName)),
				jobName:    jobName,
				jobType:    "Backup",
				serverID:   t.serverID,
				serverName: t.serverName,
				created:    created,
				state:      string(vem.StateStopped),
				result:     t.result,
				progress:   100,
			}}
			if finished(t.state) {
				js.ended = t.ended
				if !js.ended.IsZero() {
					js.ended = js.ended.Add(21 * time.Second)
				}
			} else {
				js.state, js.result, js.progress = string(vem.StateWorking), string(vem.ResultNone), 50
			}
			st.jobSessions[js.id] = js
			st.ensureJob(js)
		}
	}
	if t.rpID != "" {
		if _, ok := st.restorePoints[t.rpID]; !ok {
			name := t.vmDisplayName + "@" + t.created.Format(nameTimeLayout)
			for _, l := range t.links {
				if strings.EqualFold(l.Rel, vem.RelRelated) && strings.EqualFold(l.Type, vem.TypeVMRestorePoint) && l.Name != "" {
					name = l.Name
				}
			}
			vmName, at := splitAt(name)
			created := t.created
			if c, err := time.ParseInLocation(nameTimeLayout, at, time.UTC); err == nil {
				// the name has whole seconds; keep the task's milliseconds
				created = c.Add(time.Duration(t.created.Nanosecond()/1e6) * time.Millisecond)
			}
			st.restorePoints[t.rpID] = &restorePointRec{
				id:              t.rpID,
				name:            name,
				vmDisplayName:   t.vmDisplayName,
				vmName:          vmName,
				algorithm:       "Incremental",
				pointType:       "Increment",
				hierarchyObjRef: t.vmUID,
				serverID:        t.serverID,
				serverName:      t.serverName,
				created:         created,
			}
		}
	}
}

func finished(state string) bool {
	return strings.EqualFold(state, string(vem.StateCompleted)) || strings.EqualFold(state, string(vem.StateStopped))
}

// newServerRec makes a backup server with EM's default ports and a
// certificate thumbprint derived from its ID.
func newServerRec(id, name, description string, port int, version string) *serverRec {
	h := sha1.Sum([]byte("thumbprint\x00" + id))
	return &serverRec{id: id, name: name, description: description, port: port, version: version,
		wcfPort: defaultWCFPort, thumbprint: strings.ToUpper(hex.EncodeToString(h[:]))}
}

// defaultWCFPort is the port EM collects from backup servers of version 12
// and later on.
const defaultWCFPort = 9405

func (st *store) addJobSession(js vem.BackupJobSession) {
	id, ok := parseGUIDOrUID(vem.KindBackupJobSession, string(js.UID))
	if !ok {
		panic(fmt.Sprintf("vemtest: AddBackupJobSession: UID %q is neither a GUID nor a BackupJobSession UID", js.UID))
	}
	r := &jobSessionRec{jobSessionData: jobSessionData{
		id:             id,
		name:           js.Name,
		jobUID:         string(js.JobUID),
		jobName:        js.JobName,
		jobType:        string(js.JobType),
		created:        js.CreationTime.UTC(),
		state:          string(js.State),
		result:         string(js.Result),
		progress:       js.Progress,
		isRetry:        js.IsRetry,
		failureMessage: js.FailureMessage,
		links:          specsFromLinks(js.Links),
	}}
	if !js.EndTime.IsZero() {
		r.ended = js.EndTime.UTC()
	}
	if r.name == "" {
		r.name = r.jobName + "@" + r.created.Format(nameTimeLayout)
	}
	if r.jobName == "" {
		r.jobName, _ = splitAt(r.name)
	}
	if r.jobUID == "" {
		r.jobUID = em.UID(em.KindJob, guidFrom("job", r.jobName))
	}
	if l, ok := js.Links.Find(vem.RelUp, vem.TypeBackupServerReference); ok {
		r.serverID, r.serverName = st.serverOfLink(l)
	}
	st.jobSessions[id] = r
	st.ensureJob(r)
}

func (st *store) addServer(bs vem.BackupServer) {
	id, ok := parseGUIDOrUID(vem.KindBackupServer, string(bs.UID))
	if !ok {
		panic(fmt.Sprintf("vemtest: AddBackupServer: UID %q is neither a GUID nor a BackupServer UID", bs.UID))
	}
	r := newServerRec(id, bs.Name, bs.Description, bs.Port, bs.Version)
	r.links = specsFromLinks(bs.Links)
	r.wcfPort = cmp.Or(bs.WcfPort, r.wcfPort)
	r.thumbprint = cmp.Or(bs.VBRCertificateThumbprint, r.thumbprint)
	st.servers[id] = r
}

func (st *store) addRestorePoint(rp vem.VMRestorePoint) {
	id, ok := parseGUIDOrUID(vem.KindVMRestorePoint, string(rp.UID))
	if !ok {
		panic(fmt.Sprintf("vemtest: AddVMRestorePoint: UID %q is neither a GUID nor a VmRestorePoint UID", rp.UID))
	}
	r := &restorePointRec{
		id:              id,
		name:            rp.Name,
		vmDisplayName:   rp.VMDisplayName,
		vmName:          rp.VMName,
		algorithm:       string(rp.Algorithm),
		pointType:       string(rp.PointType),
		hierarchyObjRef: rp.HierarchyObjRef,
		created:         rp.CreationTime.UTC(),
		links:           specsFromLinks(rp.Links),
	}
	if l, ok := rp.Links.Find(vem.RelUp, vem.TypeBackupServerReference); ok {
		r.serverID, r.serverName = st.serverOfLink(l)
	}
	st.restorePoints[id] = r
}

func (st *store) addJob(j vem.Job, includes []vem.JobInclude) {
	id, ok := parseGUIDOrUID(em.KindJob, string(j.UID))
	if !ok {
		panic(fmt.Sprintf("vemtest: AddJob: UID %q is neither a GUID nor a Job UID", j.UID))
	}
	r := &jobRec{
		id: id, name: j.Name, jobType: cmp.Or(string(j.JobType), "Backup"), platform: cmp.Or(string(j.Platform), "VMware"),
		description: j.Description, scheduleConfigured: j.ScheduleConfigured, scheduleEnabled: j.ScheduleEnabled,
		links: specsFromLinks(j.Links),
	}
	if !j.NextRun.IsZero() {
		r.nextRun = j.NextRun.UTC()
	}
	if l, ok := j.Links.Find(vem.RelUp, vem.TypeBackupServerReference); ok {
		r.serverID, r.serverName = st.serverOfLink(l)
	}
	st.jobs[id] = r
	if len(includes) == 0 {
		return
	}
	ins := make([]includeRec, 0, len(includes))
	for _, in := range includes {
		name := cmp.Or(in.Name, in.DisplayName)
		ins = append(ins, includeRec{
			id:              cmp.Or(strings.ToLower(in.ObjectInJobID), guidFrom("objectInJob", id, name)),
			hierarchyObjRef: in.HierarchyObjRef, name: name, displayName: cmp.Or(in.DisplayName, name),
		})
	}
	st.includes[id] = ins
}

// serverOfLink returns the backup server an Up link names, and makes sure
// it is stored.
func (st *store) serverOfLink(l vem.Link) (id, name string) {
	id, name = l.ID(), l.Name
	st.ensureServer(id, name)
	return id, name
}

// ensureServer synthesizes the backup server with a GUID id when it is not
// stored yet.
func (st *store) ensureServer(id, name string) {
	if _, ok := st.servers[id]; ok || len(id) < 8 {
		return
	}
	st.servers[id] = newServerRec(id, cmp.Or(name, "backup-"+id[:8]+".tech.local"), "", 9392, "13.0.1.1071")
}
