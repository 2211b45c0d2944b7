package vemtest

import (
	"encoding/binary"
	"hash/crc32"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/vemkit/vem"
	"github.com/vemkit/vem/internal/em"
)

// IDs of the seed entities: the task session of EM's documentation example
// (testdata/backuptasksession.xml) and the three entities its links name.
const (
	SeedBackupTaskSessionID = "88322206-a645-4aa3-9228-028ce51e7c0f"
	SeedBackupJobSessionID  = "0d3a8230-3db1-4cc1-a7b2-3b0b5c8f784c"
	SeedBackupServerID      = "a490c017-2c1c-40ee-8bcf-73bcce6ab36f"
	SeedVMRestorePointID    = "a3571c27-a3a9-4ac8-8dfb-71a2336b3218"
	// SeedJobID is the backup job of the seed job session, "vCD Job
	// Template"; its objects are AnT_VM1, AnT_VM3, AnT_web01 and AnT_VM2.
	SeedJobID = "05376e9a-a862-50ce-9c05-ee54d1866b94"
)

// datasetSeed fixes the generator: the data set depends only on its size
// and on the WithNow time.
const datasetSeed = 0x5EED_0F_E3

// SeedBackupTaskSession returns the seed task session exactly as EM's
// documentation example shows it (Hrefs on https://localhost:9398).
func SeedBackupTaskSession() vem.BackupTaskSession {
	const host = "https://localhost:9398/api"
	return vem.BackupTaskSession{
		UID:           "urn:veeam:BackupTaskSession:" + SeedBackupTaskSessionID,
		Name:          "AnT_VM2@2025-10-11 20:06:09",
		VMDisplayName: "AnT_VM2",
		Href:          host + "/backupTaskSessions/" + SeedBackupTaskSessionID + "?format=Entity",
		JobSessionUID: "urn:veeam:BackupJobSession:" + SeedBackupJobSessionID,
		CreationTime:  time.Date(2025, 10, 11, 20, 6, 9, 627e6, time.UTC),
		EndTime:       time.Date(2025, 10, 11, 20, 7, 9, 347e6, time.UTC),
		State:         vem.StateCompleted,
		Result:        vem.ResultSuccess,
		Reason:        "",
		TotalSize:     12884901888,
		VMUID:         "urn:VMware:Vm:a87d15db-dd70-4769-acd6-41bae88219d4.vm-91826",
		Links: vem.Links{
			{Rel: vem.RelUp, Type: vem.TypeBackupServerReference, Href: host + "/backupServers/" + SeedBackupServerID, Name: "enterprise01.tech.local"},
			{Rel: vem.RelUp, Type: vem.TypeBackupJobSessionReference, Href: host + "/backupSessions/" + SeedBackupJobSessionID, Name: "vCD Job Template@2025-10-11 20:00:04"},
			{Rel: vem.RelAlternate, Type: vem.TypeBackupTaskSessionReference, Href: host + "/backupTaskSessions/" + SeedBackupTaskSessionID, Name: "AnT_VM2@2025-10-11 20:06:09"},
			{Rel: vem.RelRelated, Type: vem.TypeVMRestorePoint, Href: host + "/vmRestorePoints/" + SeedVMRestorePointID + "?format=Entity", Name: "AnT_VM2-bFpa@2025-10-11 20:06:23"},
		},
	}
}

type genServer struct {
	id, name, description, version string
}

type genJob struct {
	name   string
	server int // index into the servers
	vms    []string
}

var (
	genServers = []genServer{
		{SeedBackupServerID, "enterprise01.tech.local", "", "13.0.1.1071"},
		{"ce15a8c7-aa49-495e-b05b-ee3398c91018", "srv02.tech.local", "Branch office backup server", "12.3.2.3617"},
		{guidFrom("server", "paris"), "sauvegarde-paris.exemple.fr", "Serveur « Paris » & archives <froides>", "13.0.1.1071"},
	}
	genJobs = []genJob{
		{"vCD Job Template", 0, []string{"AnT_VM1", "AnT_VM3", "AnT_web01"}},
		{`Fileserver "A" Backup`, 1, []string{"fs01", "fs02", "fs-archive 2019"}},
		{"SQL & Exchange <Prod>", 0, []string{"sql01", "sql02", "exch01"}},
		{"Sauvegarde Comptabilité", 2, []string{"compta-01", "compta-02", "ged-archivage"}},
		{"Oracle Backup", 1, []string{"oracle01", "oracle02"}},
		{"Daily NetApp Snapshots", 2, []string{"dns", "dhcp", "ad01", "wsus"}},
	}
	genWarnings = []string{
		`Changed block tracking is disabled for "Hard disk 2"; a full scan was performed.`,
		"Snapshot removal took longer than expected & was retried 1 time.",
		"Avertissement : le disque « Données » est presque plein (92 %).",
	}
	genFailures = []string{
		"Échec de la sauvegarde: disque « plein »",
		`Error: There is not enough space on the disk. Failed to write data to the file [E:\Backup\Fileserver "A" Backup\fs01D2025-06-05T030355_06C7.vib].`,
		"Processing <sql01> failed: VSS error 0x800423f4 & retry limit reached.",
	}
)

// loadDataset stores the seed entities, the backup jobs and n generated
// task sessions with their job sessions and restore points. The caller
// holds st.mu.
func loadDataset(st *store, now time.Time, n int) {
	for _, s := range genServers {
		st.servers[s.id] = newServerRec(s.id, s.name, s.description, 9392, s.version)
	}
	for i, j := range genJobs {
		srv := genServers[j.server]
		id := guidFrom("job", j.name)
		next := time.Date(now.Year(), now.Month(), now.Day(), 20+i%4, 0, 0, 0, time.UTC)
		if !next.After(now) {
			next = next.AddDate(0, 0, 1)
		}
		st.jobs[id] = &jobRec{id: id, name: j.name, jobType: "Backup", platform: "VMware",
			description:        `Created by TECH\Administrator at 3/14/2025 9:26 AM.`,
			scheduleConfigured: true, scheduleEnabled: i != 4, nextRun: next,
			serverID: srv.id, serverName: srv.name}
		if i == 4 {
			st.jobs[id].nextRun = time.Time{}
		}
		for _, vm := range j.vms {
			st.ensureInclude(id, vm, vmUID(guidFrom("vcenter", srv.name), vm))
		}
	}
	seedJob := "vCD Job Template"
	st.jobSessions[SeedBackupJobSessionID] = &jobSessionRec{jobSessionData: jobSessionData{
		id: SeedBackupJobSessionID, name: seedJob + "@2025-10-11 20:00:04",
		jobUID: em.UID(em.KindJob, guidFrom("job", seedJob)), jobName: seedJob, jobType: "Backup",
		serverID: SeedBackupServerID, serverName: "enterprise01.tech.local",
		created: time.Date(2025, 10, 11, 20, 0, 4, 553e6, time.UTC),
		ended:   time.Date(2025, 10, 11, 20, 7, 31, 877e6, time.UTC),
		state:   string(vem.StateStopped), result: string(vem.ResultSuccess), progress: 100,
	}}
	st.restorePoints[SeedVMRestorePointID] = &restorePointRec{
		id: SeedVMRestorePointID, name: "AnT_VM2-bFpa@2025-10-11 20:06:23",
		vmDisplayName: "AnT_VM2", vmName: "AnT_VM2-bFpa", algorithm: "Incremental", pointType: "Increment",
		hierarchyObjRef: "urn:VMware:Vm:a87d15db-dd70-4769-acd6-41bae88219d4.vm-91826",
		serverID:        SeedBackupServerID, serverName: "enterprise01.tech.local",
		created: time.Date(2025, 10, 11, 20, 6, 23, 18e7, time.UTC),
	}
	st.addTask(SeedBackupTaskSession(), false)
	generate(st, now.Truncate(time.Millisecond), n)
	st.sortTasks()
	seedSpec(st, now.Truncate(time.Second))
}

// generate adds n task sessions spread over the 30 days before now. The
// first job session is still running (tasks InProgress and Pending, no end
// time); the second covers Success, Warning and Failed; the rest are random.
func generate(st *store, now time.Time, n int) {
	rng := rand.New(rand.NewPCG(datasetSeed, datasetSeed>>7))
	warnings, failures := 0, 0 // reasons go round, so that all of them appear
	vcenters := make([]string, len(genServers))
	for i, s := range genServers {
		vcenters[i] = guidFrom("vcenter", s.name)
	}
	const base = "/api"
	for js := 0; n > 0; js++ {
		job := genJobs[js%len(genJobs)]
		srv := genServers[job.server]
		running := js == 0
		var start time.Time
		if running {
			start = now.Add(-7*time.Minute - time.Duration(rng.IntN(1000))*time.Millisecond).Truncate(time.Millisecond)
		} else {
			span := int64(30*24*time.Hour - 3*time.Hour)
			start = now.Add(-time.Hour - time.Duration(rng.Int64N(span))).Truncate(time.Millisecond)
		}
		k := len(job.vms)
		if js > 1 {
			k = 2 + rng.IntN(len(job.vms)-1)
		}
		k = min(k, n)
		n -= k

		jsID := randGUID(rng)
		jsName := job.name + "@" + start.Format(nameTimeLayout)
		jobRec := &jobSessionRec{jobSessionData: jobSessionData{
			id: jsID, name: jsName, jobUID: em.UID(em.KindJob, guidFrom("job", job.name)), jobName: job.name,
			jobType: "Backup", serverID: srv.id, serverName: srv.name, created: start,
			state: string(vem.StateStopped), result: string(vem.ResultSuccess), progress: 100,
			isRetry: js%9 == 4,
		}}
		st.jobSessions[jsID] = jobRec // completed below, before anyone can read it
		worst, failed := 1, 0         // worst: index in resultOrderNames, from Success
		var lastEnd time.Time
		for j := range k {
			vm := job.vms[j]
			created := start.Add(time.Duration(20+35*j+rng.IntN(20))*time.Second + time.Duration(rng.IntN(1000))*time.Millisecond)
			ts := vem.BackupTaskSession{
				UID:           vem.UID(em.UID(vem.KindBackupTaskSession, randGUID(rng))),
				Name:          vm + "@" + created.Format(nameTimeLayout),
				VMDisplayName: vm,
				JobSessionUID: vem.UID(em.UID(vem.KindBackupJobSession, jsID)),
				CreationTime:  created,
				VMUID:         vmUID(vcenters[job.server], vm),
			}
			switch {
			case running:
				ts.State = []vem.State{vem.StateInProgress, vem.StatePending, vem.StateInProgress}[j%3]
				ts.Result = vem.ResultNone
				if j == 2 {
					ts.Result = vem.ResultSuccess // a running task may already say Success
				}
				ts.TotalSize = rng.Int64N(1 << 36)
			default:
				ts.State = vem.StateCompleted
				ts.EndTime = created.Add(30*time.Second + time.Duration(rng.Int64N(int64(2*time.Hour)))).Truncate(time.Millisecond)
				r := rng.Float64()
				switch {
				case js == 1:
					ts.Result = []vem.Result{vem.ResultSuccess, vem.ResultWarning, vem.ResultFailed}[j%3]
				case r < 0.72:
					ts.Result = vem.ResultSuccess
				case r < 0.88:
					ts.Result = vem.ResultWarning
				default:
					ts.Result = vem.ResultFailed
				}
				switch ts.Result {
				case vem.ResultWarning:
					ts.Reason = genWarnings[warnings%len(genWarnings)]
					warnings++
					ts.TotalSize = 1<<30 + rng.Int64N(1<<39)
				case vem.ResultFailed:
					ts.Reason = genFailures[failures%len(genFailures)]
					failures++
					if rng.IntN(2) == 0 {
						ts.TotalSize = rng.Int64N(1 << 33)
					}
				default:
					ts.TotalSize = 1<<30 + rng.Int64N(1<<39)
				}
				worst = max(worst, enumIndex(em.Results(), string(ts.Result)))
				if ts.Result == vem.ResultFailed {
					failed++
				}
				if ts.EndTime.After(lastEnd) {
					lastEnd = ts.EndTime
				}
			}
			ts.Links = vem.Links{
				{Rel: vem.RelUp, Type: vem.TypeBackupServerReference, Href: base + "/backupServers/" + srv.id, Name: srv.name},
				{Rel: vem.RelUp, Type: vem.TypeBackupJobSessionReference, Href: base + "/backupSessions/" + jsID, Name: jsName},
				{Rel: vem.RelAlternate, Type: vem.TypeBackupTaskSessionReference, Href: base + "/backupTaskSessions/" + ts.UID.ID(), Name: ts.Name},
			}
			if ts.State == vem.StateCompleted && ts.Result != vem.ResultFailed && rng.Float64() < 0.75 {
				rpID := randGUID(rng)
				rpTime := created.Add(14 * time.Second)
				rpName := vm + "@" + rpTime.Format(nameTimeLayout)
				st.restorePoints[rpID] = &restorePointRec{
					id: rpID, name: rpName, vmDisplayName: vm, vmName: vm,
					algorithm: "Incremental", pointType: "Increment", hierarchyObjRef: ts.VMUID,
					serverID: srv.id, serverName: srv.name, created: rpTime,
				}
				if js%7 == 3 {
					st.restorePoints[rpID].algorithm, st.restorePoints[rpID].pointType = "Full", "Full"
				}
				ts.Links = append(ts.Links, vem.Link{Rel: vem.RelRelated, Type: vem.TypeVMRestorePoint, Href: base + "/vmRestorePoints/" + rpID + "?format=Entity", Name: rpName})
			}
			st.addTask(ts, false)
		}
		if running {
			jobRec.state, jobRec.result, jobRec.progress = string(vem.StateWorking), string(vem.ResultNone), 40
		} else {
			jobRec.result = string(resultOrderNames[worst])
			jobRec.ended = lastEnd.Add(time.Duration(5000+rng.IntN(20000)) * time.Millisecond)
			if failed > 0 {
				jobRec.failureMessage = strconv.Itoa(failed) + " of " + strconv.Itoa(k) + " VMs failed to process."
			}
		}
	}
}

// resultOrderNames is ResultOrder as an array, for indexing.
var resultOrderNames = [...]vem.Result{vem.ResultNone, vem.ResultSuccess, vem.ResultWarning, vem.ResultFailed}

// randGUID draws a version 4 GUID from rng.
func randGUID(rng *rand.Rand) string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], rng.Uint64())
	binary.LittleEndian.PutUint64(b[8:], rng.Uint64())
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return formatGUID(b)
}

// vmUID makes a vSphere VM reference like EM's VmUid from the vCenter's
// instance UUID and a managed object ID that is stable per VM name.
func vmUID(vcenter, vm string) string {
	return "urn:VMware:Vm:" + vcenter + ".vm-" + strconv.Itoa(10000+int(crc32.ChecksumIEEE([]byte(vm))%90000))
}
