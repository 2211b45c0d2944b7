package vemtest_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vemkit/vem"
	"github.com/vemkit/vem/vemtest"
)

func TestSeedEntityMatchesEMExample(t *testing.T) {
	srv := newServer(t)
	token, _ := logon(t, srv)
	want := parseXML(t, readTestdata(t, "backuptasksession.xml"))
	for _, id := range []string{vemtest.SeedBackupTaskSessionID, strings.ToUpper(vemtest.SeedBackupTaskSessionID)} {
		r := get(t, srv, token, "/api/backupTaskSessions/"+id+"?format=Entity")
		require.Equal(t, http.StatusOK, r.status)
		assert.Equal(t, "application/xml; charset=utf-8", r.header.Get("Content-Type"))
		assert.Equal(t, want, parseXML(t, r.body))
		assert.Contains(t, string(r.body), `<Reason />`)
		assert.Contains(t, string(r.body), `Href="`+srv.URL+`/api/vmRestorePoints/`+vemtest.SeedVMRestorePointID+`?format=Entity"`)
	}
	// format is case-insensitive, as on EM.
	r := get(t, srv, token, "/api/BackupTaskSessions/"+vemtest.SeedBackupTaskSessionID+"?FORMAT=entity")
	require.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, want, parseXML(t, r.body))
}

func TestSeedEntityJSON(t *testing.T) {
	sample := readTestdata(t, "query-backuptasksession-v12.json")
	var q struct {
		Entities struct {
			BackupTaskSessions struct {
				BackupTaskSessions []json.RawMessage
			}
		}
	}
	require.NoError(t, json.Unmarshal(sample, &q))
	emEntity := q.Entities.BackupTaskSessions.BackupTaskSessions[0]
	var emLinks struct{ Links []json.RawMessage }
	require.NoError(t, json.Unmarshal(emEntity, &emLinks))

	srv := newServer(t, vemtest.WithDataset(0))
	token, _ := logon(t, srv)
	r := getJSON(t, srv, token, "/api/backupTaskSessions/"+vemtest.SeedBackupTaskSessionID+"?format=Entity")
	require.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, "application/json; charset=utf-8", r.header.Get("Content-Type"))
	assert.Equal(t, jsonKeys(t, emEntity), jsonKeys(t, r.body), "same keys in the same order as EM 12")

	var got map[string]any
	require.NoError(t, json.Unmarshal(r.body, &got))
	assert.Equal(t, "urn:veeam:BackupTaskSession:"+vemtest.SeedBackupTaskSessionID, got["UID"])
	assert.Equal(t, "2025-10-11T20:06:09.627Z", got["CreationTimeUTC"])
	assert.Equal(t, "2025-10-11T20:07:09.347Z", got["EndTimeUTC"])
	assert.Equal(t, "", got["Reason"])
	assert.Equal(t, float64(12884901888), got["TotalSize"])
	assert.Equal(t, srv.URL+"/api/backupTaskSessions/"+vemtest.SeedBackupTaskSessionID+"?format=Entity", got["Href"])
	links := got["Links"].([]any)
	require.Len(t, links, 4)
	var raw struct{ Links []json.RawMessage }
	require.NoError(t, json.Unmarshal(r.body, &raw))
	assert.Equal(t, jsonKeys(t, emLinks.Links[0]), jsonKeys(t, raw.Links[0]))
}

func TestCamelCaseEntity(t *testing.T) {
	srv := newServer(t, vemtest.WithDataset(0), vemtest.WithJSONStyle(vemtest.JSONStyleEM13CamelCase))
	token, _ := logon(t, srv)
	r := getJSON(t, srv, token, "/api/backupTaskSessions/"+vemtest.SeedBackupTaskSessionID+"?format=Entity")
	require.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, []string{"jobSessionUid", "creationTimeUTC", "endTimeUTC", "state", "result", "reason", "totalSize",
		"vmUid", "vmDisplayName", "name", "uid", "links", "href", "type"}, jsonKeys(t, r.body))
	var raw struct{ Links []json.RawMessage }
	require.NoError(t, json.Unmarshal(r.body, &raw))
	assert.Equal(t, []string{"rel", "href", "name", "type"}, jsonKeys(t, raw.Links[0]))

	// The vem types read it (encoding/json matches keys case-insensitively).
	var ts struct {
		UID             string
		CreationTimeUTC string
		VMUID           string
	}
	require.NoError(t, json.Unmarshal(r.body, &ts))
	assert.Equal(t, "urn:veeam:BackupTaskSession:"+vemtest.SeedBackupTaskSessionID, ts.UID)
	assert.Equal(t, "urn:VMware:Vm:a87d15db-dd70-4769-acd6-41bae88219d4.vm-91826", ts.VMUID)

	r = getJSON(t, srv, token, "/api/backupTaskSessions/"+vemtest.SeedBackupTaskSessionID)
	assert.Equal(t, []string{"links", "uid", "name", "href", "type"}, jsonKeys(t, r.body))
}

func TestEntityRef(t *testing.T) {
	srv := newServer(t, vemtest.WithDataset(0))
	token, _ := logon(t, srv)
	r := get(t, srv, token, "/api/backupTaskSessions/"+vemtest.SeedBackupTaskSessionID)
	require.Equal(t, http.StatusOK, r.status)
	got := parseXML(t, r.body)
	want := parseXML(t, readTestdata(t, "backuptasksession-ref-v9.xml"))
	assert.Equal(t, want.shape(), got.shape(), "same elements and attributes as EM's EntityRef")
	assert.Equal(t, map[string]string{
		"xmlns": "http://www.veeam.com/ent/v1.0",
		"Type":  "BackupTaskSessionReference",
		"Href":  "/api/backupTaskSessions/" + vemtest.SeedBackupTaskSessionID,
		"Name":  "AnT_VM2@2025-10-11 20:06:09",
		"UID":   "urn:veeam:BackupTaskSession:" + vemtest.SeedBackupTaskSessionID,
	}, got.Attrs)
	links, _ := got.child("Links")
	require.Len(t, links.Children, 3)
	assert.Equal(t, map[string]string{
		"Rel": "Alternate", "Type": "BackupTaskSession", "Name": "AnT_VM2@2025-10-11 20:06:09",
		"Href": "/api/backupTaskSessions/" + vemtest.SeedBackupTaskSessionID + "?format=Entity",
	}, links.Children[2].Attrs)

	r = getJSON(t, srv, token, "/api/backupTaskSessions/"+vemtest.SeedBackupTaskSessionID)
	assert.Equal(t, []string{"Links", "UID", "Name", "Href", "Type"}, jsonKeys(t, r.body))
}

func TestRelatedEntities(t *testing.T) {
	srv := newServer(t, vemtest.WithDataset(0))
	token, _ := logon(t, srv)
	for _, tc := range []struct {
		name   string
		path   string
		sample string
		root   string
		values map[string]string // child element -> text
		extra  []string          // child elements real EM 12.3 and 13 add to the sample
	}{
		{"job session", "/api/backupSessions/" + vemtest.SeedBackupJobSessionID, "backupjobsession.xml", "BackupJobSession",
			map[string]string{"JobName": "vCD Job Template", "State": "Stopped", "Result": "Success", "IsRetry": "false", "Progress": "100"}, nil},
		{"backup server", "/api/backupServers/" + vemtest.SeedBackupServerID, "backupserver-resource-doc.xml", "BackupServer",
			map[string]string{"Port": "9392", "WcfPort": "9405"}, []string{"WcfPort", "VbrCertificateThumbprint"}},
		{"restore point", "/api/vmRestorePoints/" + vemtest.SeedVMRestorePointID, "vmrestorepoint.xml", "VmRestorePoint",
			map[string]string{"VmName": "AnT_VM2-bFpa", "HierarchyObjRef": "urn:VMware:Vm:a87d15db-dd70-4769-acd6-41bae88219d4.vm-91826"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := get(t, srv, token, tc.path+"?format=Entity")
			require.Equal(t, http.StatusOK, r.status)
			got := parseXML(t, r.body)
			want := parseXML(t, readTestdata(t, tc.sample))
			assert.Equal(t, "{http://www.veeam.com/ent/v1.0}"+tc.root, got.Name)
			// Same attributes and child elements, in the same order (links
			// may differ).
			assert.Equal(t, sorted(keysOf(want.Attrs, "xmlns:")), sorted(keysOf(got.Attrs, "xmlns:")))
			wantChildren := childNames(want)
			for _, e := range tc.extra {
				wantChildren = append(wantChildren, "{http://www.veeam.com/ent/v1.0}"+e)
			}
			assert.Equal(t, wantChildren, childNames(got))
			for k, v := range tc.values {
				c, ok := got.child(k)
				require.True(t, ok, k)
				assert.Equal(t, v, c.Text, k)
			}
			assert.Equal(t, tc.path+"?format=Entity", got.Attrs["Href"])

			ref := parseXML(t, get(t, srv, token, tc.path).body)
			assert.Equal(t, "{http://www.veeam.com/ent/v1.0}EntityRef", ref.Name)
			assert.Equal(t, tc.path, ref.Attrs["Href"])
			assert.Equal(t, got.Attrs["UID"], ref.Attrs["UID"])

			js := getJSON(t, srv, token, tc.path+"?format=Entity")
			require.Equal(t, http.StatusOK, js.status)
			keys := jsonKeys(t, js.body)
			assert.Equal(t, []string{"Name", "UID", "Links", "Href", "Type"}, keys[len(keys)-5:])
		})
	}
	// The names in the seed's links are the names of the entities.
	r := get(t, srv, token, "/api/backupSessions/"+vemtest.SeedBackupJobSessionID+"?format=Entity")
	assert.Equal(t, "vCD Job Template@2025-10-11 20:00:04", parseXML(t, r.body).Attrs["Name"])
	r = get(t, srv, token, "/api/vmRestorePoints/"+vemtest.SeedVMRestorePointID+"?format=Entity")
	assert.Equal(t, "AnT_VM2-bFpa@2025-10-11 20:06:23", parseXML(t, r.body).Attrs["Name"])
	assert.Equal(t, "AnT_VM2", parseXML(t, r.body).Attrs["VmDisplayName"])
	r = get(t, srv, token, "/api/backupServers/"+vemtest.SeedBackupServerID+"?format=Entity")
	assert.Equal(t, "enterprise01.tech.local", parseXML(t, r.body).Attrs["Name"])
}

// keysOf returns the keys of m except those starting with skip (older
// doc samples lack the xmlns:xsd and xmlns:xsi declarations of EM 13).
func keysOf(m map[string]string, skip string) []string {
	var ks []string
	for k := range m {
		if !strings.HasPrefix(k, skip) {
			ks = append(ks, k)
		}
	}
	return ks
}

func childNames(n xnode) []string {
	var out []string
	for _, c := range n.Children {
		out = append(out, c.Name)
	}
	return out
}

func TestEntityReferencesList(t *testing.T) {
	clock := vemtest.NewClock(time.Date(2025, 10, 25, 0, 0, 0, 0, time.UTC))
	srv := newServer(t, vemtest.WithNow(clock.Now()), vemtest.WithClock(clock.Now), vemtest.WithDataset(12))
	token, _ := logon(t, srv)

	r := get(t, srv, token, "/api/backupTaskSessions")
	require.Equal(t, http.StatusOK, r.status)
	doc := parseXML(t, r.body)
	assert.Equal(t, "{http://www.veeam.com/ent/v1.0}EntityReferences", doc.Name)
	require.Len(t, doc.Children, 13, "12 generated + the seed, all in the last 30 days")
	want := parseXML(t, readTestdata(t, "entityreferences-backuptasksessions-fixed.xml"))
	assert.Equal(t, want.Children[0].shape(), doc.Children[0].shape())
	for _, ref := range doc.Children {
		assert.Equal(t, "BackupTaskSessionReference", ref.Attrs["Type"])
	}

	var js struct{ Refs []map[string]any }
	r = getJSON(t, srv, token, "/api/backupTaskSessions")
	require.NoError(t, json.Unmarshal(r.body, &js))
	assert.Len(t, js.Refs, 13)
	assert.Equal(t, []string{"Refs"}, jsonKeys(t, r.body))

	// 20 days later the seed and the oldest generated ones drop out.
	clock.Add(20 * 24 * time.Hour)
	token, _ = logon(t, srv) // the old session expired meanwhile
	r = get(t, srv, token, "/api/backupTaskSessions")
	n := len(parseXML(t, r.body).Children)
	assert.Less(t, n, 13)
	assert.NotContains(t, string(r.body), vemtest.SeedBackupTaskSessionID)

	// format=Entity lists entities.
	r = get(t, srv, token, "/api/backupTaskSessions?format=Entity")
	doc = parseXML(t, r.body)
	assert.Equal(t, "{http://www.veeam.com/ent/v1.0}BackupTaskSessions", doc.Name)
	assert.Len(t, doc.Children, n)
}

func TestJobSessionTaskSessions(t *testing.T) {
	srv := newServer(t, vemtest.WithNow(testNow), vemtest.WithDataset(20))
	token, _ := logon(t, srv)

	r := get(t, srv, token, "/api/backupSessions/"+vemtest.SeedBackupJobSessionID+"/taskSessions")
	require.Equal(t, http.StatusOK, r.status)
	doc := parseXML(t, r.body)
	require.Len(t, doc.Children, 1)
	assert.Equal(t, "/api/backupTaskSessions/"+vemtest.SeedBackupTaskSessionID, doc.Children[0].Attrs["Href"])

	// Every generated job session lists its tasks, and they point back.
	var list struct{ Refs []struct{ UID, Href string } }
	require.NoError(t, json.Unmarshal(getJSON(t, srv, token, "/api/backupSessions").body, &list))
	assert.Greater(t, len(list.Refs), 5)
	total := 0
	for _, js := range list.Refs {
		r := getJSON(t, srv, token, hrefPath(t, js.Href)+"/taskSessions")
		require.Equal(t, http.StatusOK, r.status)
		var tasks struct{ Refs []struct{ Href string } }
		require.NoError(t, json.Unmarshal(r.body, &tasks))
		require.NotEmpty(t, tasks.Refs)
		total += len(tasks.Refs)
		for _, tr := range tasks.Refs {
			var ent struct{ JobSessionUID string }
			require.NoError(t, json.Unmarshal(getJSON(t, srv, token, hrefPath(t, tr.Href)+"?format=Entity").body, &ent))
			assert.Equal(t, js.UID, ent.JobSessionUID)
		}
	}
	assert.Equal(t, 21, total)
}

func TestOtherLists(t *testing.T) {
	srv := newServer(t, vemtest.WithNow(testNow))
	token, _ := logon(t, srv)
	for _, tc := range []struct{ path, root, typ string }{
		{"/api/backupServers", "BackupServers", "BackupServerReference"},
		{"/api/backupSessions", "BackupJobSessions", "BackupJobSessionReference"},
		{"/api/vmRestorePoints", "VmRestorePoints", "VmRestorePointReference"},
	} {
		t.Run(tc.root, func(t *testing.T) {
			refs := parseXML(t, get(t, srv, token, tc.path).body)
			assert.Equal(t, "{http://www.veeam.com/ent/v1.0}EntityReferences", refs.Name)
			require.NotEmpty(t, refs.Children)
			assert.Equal(t, tc.typ, refs.Children[0].Attrs["Type"])
			ents := parseXML(t, get(t, srv, token, tc.path+"?format=Entity").body)
			assert.Equal(t, "{http://www.veeam.com/ent/v1.0}"+tc.root, ents.Name)
			assert.Len(t, ents.Children, len(refs.Children))
			var js map[string][]json.RawMessage
			require.NoError(t, json.Unmarshal(getJSON(t, srv, token, tc.path+"?format=Entity").body, &js))
			assert.Len(t, js[tc.root], len(refs.Children))
		})
	}
	servers := parseXML(t, get(t, srv, token, "/api/backupServers").body)
	assert.Len(t, servers.Children, 3)
}

func TestAddBackupTaskSessionSynthesizesRelated(t *testing.T) {
	srv := newServer(t, vemtest.WithDataset(0))
	token, _ := logon(t, srv)
	const (
		taskID = "11111111-2222-4333-8444-555555555555"
		jsID   = "21111111-2222-4333-8444-555555555555"
		bsID   = "31111111-2222-4333-8444-555555555555"
		rpID   = "41111111-2222-4333-8444-555555555555"
	)
	created := time.Date(2025, 6, 5, 1, 4, 29, 560e6, time.UTC)
	srv.AddBackupTaskSession(vem.BackupTaskSession{
		UID:           vem.UID("urn:veeam:BackupTaskSession:" + strings.ToUpper(taskID)),
		Name:          "dbserver01@2025-06-05 01:04:29",
		VMDisplayName: "dbserver01",
		CreationTime:  created,
		EndTime:       created.Add(15 * time.Second),
		State:         vem.StateCompleted,
		Result:        vem.ResultWarning,
		Reason:        `Quota "Q1" < 5% & falling`,
		TotalSize:     1 << 40,
		Links: vem.Links{
			{Rel: "Up", Type: "BackupServerReference", Href: "https://elsewhere.example:9398/api/backupServers/" + bsID, Name: "enterprise06.tech.local"},
			{Rel: "Up", Type: "BackupJobSessionReference", Href: "https://elsewhere.example:9398/api/backupSessions/" + jsID, Name: "Backup Job 1@2025-06-05 01:03:37"},
			{Rel: "Alternate", Type: "BackupTaskSessionReference", Href: "https://elsewhere.example:9398/api/backupTaskSessions/" + taskID, Name: "dbserver01@2025-06-05 01:04:29"},
			{Rel: "Related", Type: "VmRestorePoint", Href: "https://elsewhere.example:9398/api/vmRestorePoints/" + rpID + "?format=Entity", Name: "dbserver01@2025-06-05 01:04:40"},
		},
	})
	r := get(t, srv, token, "/api/backupTaskSessions/"+taskID+"?format=Entity")
	require.Equal(t, http.StatusOK, r.status)
	body := string(r.body)
	assert.NotContains(t, body, "elsewhere.example", "links are rewritten to the server")
	assert.Contains(t, body, `<JobSessionUid>urn:veeam:BackupJobSession:`+jsID+`</JobSessionUid>`)
	assert.Contains(t, body, `<CreationTimeUTC>2025-06-05T01:04:29.56Z</CreationTimeUTC>`)
	assert.Contains(t, body, `<Reason>Quota "Q1" &lt; 5% &amp; falling</Reason>`)
	assert.Contains(t, body, `<TotalSize>1099511627776</TotalSize>`)
	assert.NotContains(t, body, "<VmUid", "an empty VmUid is left out")

	js := parseXML(t, get(t, srv, token, "/api/backupSessions/"+jsID+"?format=Entity").body)
	assert.Equal(t, "Backup Job 1@2025-06-05 01:03:37", js.Attrs["Name"])
	name, _ := js.child("JobName")
	assert.Equal(t, "Backup Job 1", name.Text)
	bs := parseXML(t, get(t, srv, token, "/api/backupServers/"+bsID+"?format=Entity").body)
	assert.Equal(t, "enterprise06.tech.local", bs.Attrs["Name"])
	rp := parseXML(t, get(t, srv, token, "/api/vmRestorePoints/"+rpID+"?format=Entity").body)
	assert.Equal(t, "dbserver01@2025-06-05 01:04:40", rp.Attrs["Name"])
	assert.Equal(t, "dbserver01", rp.Attrs["VmDisplayName"])

	// The query service sees it, with the job and server names.
	r = get(t, srv, token, `/api/query?type=BackupTaskSession&filter=`+urlQuery(`JobName=="Backup Job 1";BackupServerName==enterprise06.tech.local`))
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	assert.Contains(t, string(r.body), taskID)

	// Explicitly added entities replace synthesized ones.
	srv.AddBackupJobSession(vem.BackupJobSession{UID: vem.UID("urn:veeam:BackupJobSession:" + jsID), Name: "Renamed@2025-06-05 01:03:37",
		JobName: "Renamed", JobType: "Backup", CreationTime: created, State: vem.StateWorking, Result: vem.ResultNone, Progress: 12})
	srv.AddBackupServer(vem.BackupServer{UID: vem.UID(bsID), Name: "renamed.tech.local", Port: 9401, Version: "12.0"})
	srv.AddVMRestorePoint(vem.VMRestorePoint{UID: vem.UID("urn:veeam:VmRestorePoint:" + rpID), Name: "rp", VMDisplayName: "dbserver01", CreationTime: created})
	js = parseXML(t, get(t, srv, token, "/api/backupSessions/"+jsID+"?format=Entity").body)
	_, hasEnd := js.child("EndTimeUTC")
	assert.False(t, hasEnd, "a running job session has no EndTimeUTC")
	progress, _ := js.child("Progress")
	assert.Equal(t, "12", progress.Text)
	bs = parseXML(t, get(t, srv, token, "/api/backupServers/"+bsID+"?format=Entity").body)
	port, _ := bs.child("Port")
	assert.Equal(t, "9401", port.Text)
	rp = parseXML(t, get(t, srv, token, "/api/vmRestorePoints/"+rpID+"?format=Entity").body)
	assert.Equal(t, "rp", rp.Attrs["Name"])
	r = get(t, srv, token, `/api/query?type=BackupTaskSession&filter=`+urlQuery(`JobName==Renamed;BackupServerName==renamed.tech.local`))
	assert.Contains(t, string(r.body), taskID)
	assert.Equal(t, 2, srv.BackupTaskSessionCount())
}

func TestAddBackupTaskSessionWithoutLinks(t *testing.T) {
	srv := newServer(t, vemtest.WithDataset(0))
	token, _ := logon(t, srv)
	const id = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
	srv.AddBackupTaskSession(vem.BackupTaskSession{
		UID:           id,
		VMDisplayName: "lonely",
		JobSessionUID: "urn:veeam:BackupJobSession:" + vemtest.SeedBackupJobSessionID,
		CreationTime:  time.Date(2025, 10, 11, 20, 8, 0, 0, time.UTC),
		State:         vem.StateInProgress,
		Result:        vem.ResultNone,
	})
	doc := parseXML(t, get(t, srv, token, "/api/backupTaskSessions/"+id+"?format=Entity").body)
	assert.Equal(t, "lonely@2025-10-11 20:08:00", doc.Attrs["Name"])
	_, hasEnd := doc.child("EndTimeUTC")
	assert.False(t, hasEnd)
	links, _ := doc.child("Links")
	var rels []string
	for _, l := range links.Children {
		rels = append(rels, l.Attrs["Rel"]+" "+l.Attrs["Type"]+" "+l.Attrs["Name"])
	}
	assert.Equal(t, []string{
		"Up BackupServerReference enterprise01.tech.local",
		"Up BackupJobSessionReference vCD Job Template@2025-10-11 20:00:04",
		"Alternate BackupTaskSessionReference lonely@2025-10-11 20:08:00",
	}, rels)
	doc = parseXML(t, get(t, srv, token, "/api/backupSessions/"+vemtest.SeedBackupJobSessionID+"/taskSessions").body)
	assert.Len(t, doc.Children, 2)

	assert.Panics(t, func() { srv.AddBackupTaskSession(vem.BackupTaskSession{UID: "not-a-uid"}) })
	assert.Panics(t, func() { srv.AddBackupTaskSession(vem.BackupTaskSession{UID: "urn:veeam:BackupJobSession:" + id}) })
}
