package vemtest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vemkit/vem"
	"github.com/vemkit/vem/vemtest"
)

// answerStyle is one of the three answer formats: the server's JSON
// style, the Accept header and the SDK format that ask for it.
type answerStyle struct {
	name   string
	style  vemtest.JSONStyle
	accept string
	format vem.Format
}

var answerStyles = []answerStyle{
	{"XML", vemtest.JSONStyleEM12PascalCase, "", vem.FormatXML},
	{"EM12 JSON", vemtest.JSONStyleEM12PascalCase, "application/json", vem.FormatJSON},
	{"EM13 JSON", vemtest.JSONStyleEM13CamelCase, "application/json", vem.FormatJSON},
}

func (a answerStyle) json() bool { return a.accept != "" }

// key spells a PascalCase key the way the style writes it.
func (a answerStyle) key(k string) string {
	if a.style != vemtest.JSONStyleEM13CamelCase {
		return k
	}
	switch k {
	case "UID":
		return "uid"
	}
	return strings.ToLower(k[:1]) + k[1:]
}

// entityTypeCase is one entity type with the seed object it is tested on.
type entityTypeCase struct {
	kind, refType, path, id, list, noun string
	queryable                           bool
}

var entityTypeCases = []entityTypeCase{
	{"BackupTaskSession", "BackupTaskSessionReference", "/api/backupTaskSessions", vemtest.SeedBackupTaskSessionID, "BackupTaskSessions", "backup task session", true},
	{"BackupJobSession", "BackupJobSessionReference", "/api/backupSessions", vemtest.SeedBackupJobSessionID, "BackupJobSessions", "backup job session", true},
	{"BackupServer", "BackupServerReference", "/api/backupServers", vemtest.SeedBackupServerID, "BackupServers", "backup server", true},
	{"VmRestorePoint", "VmRestorePointReference", "/api/vmRestorePoints", vemtest.SeedVMRestorePointID, "VmRestorePoints", "VM restore point", true},
	{"Job", "JobReference", "/api/jobs", vemtest.SeedJobID, "Jobs", "job", true},
}

// jsonObject decodes a JSON object into its members.
func jsonObject(t testing.TB, b []byte) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(b, &m), string(b))
	return m
}

func jsonArray(t testing.TB, b []byte) []json.RawMessage {
	t.Helper()
	var a []json.RawMessage
	require.NoError(t, json.Unmarshal(b, &a), string(b))
	return a
}

func jsonString(t testing.TB, b []byte) string {
	t.Helper()
	var s string
	require.NoError(t, json.Unmarshal(b, &s), string(b))
	return s
}

// uidsIn returns the UIDs of the objects of a JSON array.
func uidsIn(t testing.TB, a answerStyle, items []json.RawMessage) []string {
	t.Helper()
	var out []string
	for _, it := range items {
		out = append(out, jsonString(t, jsonObject(t, it)[a.key("UID")]))
	}
	return out
}

// uidsInXML returns the UID attributes of the children of n.
func uidsInXML(n xnode) []string {
	var out []string
	for _, c := range n.Children {
		out = append(out, c.Attrs["UID"])
	}
	return out
}

// TestEntityRoutes walks every route of every entity type in XML and both
// JSON casings: the entity, the reference, both lists, the 404, and the
// query service by UID.
func TestEntityRoutes(t *testing.T) {
	const ns = "{http://www.veeam.com/ent/v1.0}"
	for _, a := range answerStyles {
		t.Run(a.name, func(t *testing.T) {
			clock := vemtest.NewClock(testNow)
			srv := newServer(t, vemtest.WithDataset(12), vemtest.WithNow(testNow), vemtest.WithClock(clock.Now), vemtest.WithJSONStyle(a.style))
			token, _ := logon(t, srv)
			call := func(path string) response {
				return do(t, srv, request{path: path, token: token, accept: a.accept})
			}
			for _, tc := range entityTypeCases {
				t.Run(tc.kind, func(t *testing.T) {
					uid := "urn:veeam:" + tc.kind + ":" + tc.id
					self := tc.path + "/" + tc.id

					// The entity.
					r := call(self + "?format=Entity")
					require.Equal(t, http.StatusOK, r.status, string(r.body))
					if a.json() {
						keys := jsonKeys(t, r.body)
						want := []string{"Name", "UID", "Links", "Href", "Type"}
						for i, k := range want {
							want[i] = a.key(k)
						}
						assert.Equal(t, want, keys[len(keys)-5:])
						m := jsonObject(t, r.body)
						assert.Equal(t, uid, jsonString(t, m[a.key("UID")]))
						assert.Equal(t, tc.kind, jsonString(t, m[a.key("Type")]))
						assert.Equal(t, self+"?format=Entity", hrefPath(t, jsonString(t, m[a.key("Href")])))
					} else {
						n := parseXML(t, r.body)
						assert.Equal(t, ns+tc.kind, n.Name)
						assert.Equal(t, uid, n.Attrs["UID"])
						assert.Equal(t, tc.kind, n.Attrs["Type"])
						assert.Equal(t, self+"?format=Entity", n.Attrs["Href"])
					}

					// The reference.
					r = call(self)
					require.Equal(t, http.StatusOK, r.status, string(r.body))
					if a.json() {
						m := jsonObject(t, r.body)
						assert.Equal(t, tc.refType, jsonString(t, m[a.key("Type")]))
						assert.Equal(t, uid, jsonString(t, m[a.key("UID")]))
						assert.Equal(t, self, hrefPath(t, jsonString(t, m[a.key("Href")])))
					} else {
						n := parseXML(t, r.body)
						assert.Equal(t, ns+"EntityRef", n.Name)
						assert.Equal(t, tc.refType, n.Attrs["Type"])
						assert.Equal(t, uid, n.Attrs["UID"])
					}

					// Both lists hold it.
					for _, entity := range []bool{false, true} {
						path, root, jsonKey := tc.path, "EntityReferences", "Refs"
						if entity {
							path, root, jsonKey = tc.path+"?format=Entity", tc.list, tc.list
						}
						r = call(path)
						require.Equal(t, http.StatusOK, r.status, string(r.body))
						if a.json() {
							m := jsonObject(t, r.body)
							assert.Equal(t, []string{a.key(jsonKey)}, jsonKeys(t, r.body))
							assert.Contains(t, uidsIn(t, a, jsonArray(t, m[a.key(jsonKey)])), uid, path)
						} else {
							n := parseXML(t, r.body)
							assert.Equal(t, ns+root, n.Name)
							assert.Contains(t, uidsInXML(n), uid, path)
						}
					}

					// An unknown ID is EM's 404.
					const unknown = "00000000-0000-4000-8000-00000000dead"
					r = call(tc.path + "/" + unknown + "?format=Entity")
					assert.Equal(t, fmt.Sprintf("Cannot find %s [%s]", tc.noun, unknown), requireError(t, r, http.StatusNotFound))

					if !tc.queryable {
						r = call("/api/query?type=" + tc.kind)
						requireError(t, r, http.StatusBadRequest)
						return
					}
					// The query service finds it by UID and by bare GUID.
					for _, format := range []string{"Entities", ""} {
						for _, v := range []string{uid, tc.id} {
							r = call("/api/query?type=" + tc.kind + "&format=" + format + "&filter=" + urlQuery("UID=="+v))
							require.Equal(t, http.StatusOK, r.status, string(r.body))
							assert.Equal(t, []string{uid}, queryUIDs(t, a, r.body, tc.list, format != ""), "format=%s %s", format, v)
						}
					}
				})
			}
		})
	}
}

// queryUIDs returns the UIDs of one page of a query result.
func queryUIDs(t testing.TB, a answerStyle, body []byte, list string, entities bool) []string {
	t.Helper()
	if a.json() {
		m := jsonObject(t, body)
		if !entities {
			return uidsIn(t, a, jsonArray(t, jsonObject(t, m[a.key("Refs")])[a.key("Refs")]))
		}
		coll := jsonObject(t, m[a.key("Entities")])[a.key(list)]
		return uidsIn(t, a, jsonArray(t, jsonObject(t, coll)[a.key(list)]))
	}
	n := parseXML(t, body)
	if !entities {
		refs, ok := n.child("Refs")
		require.True(t, ok)
		return uidsInXML(refs)
	}
	ents, ok := n.child("Entities")
	require.True(t, ok)
	l, ok := ents.child(list)
	require.True(t, ok, "no %s in Entities", list)
	return uidsInXML(l)
}

// xmlEntities fetches a list with format=Entity as parsed elements.
func xmlEntities(t testing.TB, srv *vemtest.Server, token, path string) []xnode {
	t.Helper()
	r := get(t, srv, token, path+"?format=Entity")
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	return parseXML(t, r.body).Children
}

func text(n xnode, name string) string {
	c, _ := n.child(name)
	return c.Text
}

// TestQueryTypes runs filters, sorts and paging over job sessions, VM
// restore points and jobs and compares with the lists the server serves.
func TestQueryTypes(t *testing.T) {
	srv := newServer(t, vemtest.WithNow(testNow), vemtest.WithClock(vemtest.NewClock(testNow).Now))
	token, _ := logon(t, srv)
	jobSessions := xmlEntities(t, srv, token, "/api/backupSessions")
	points := xmlEntities(t, srv, token, "/api/vmRestorePoints")
	jobList := xmlEntities(t, srv, token, "/api/jobs")
	require.NotEmpty(t, jobSessions)
	require.NotEmpty(t, points)
	require.Len(t, jobList, 6)

	where := func(ns []xnode, keep func(xnode) bool) []string {
		var out []string
		for _, n := range ns {
			if keep(n) {
				out = append(out, n.Attrs["UID"])
			}
		}
		return out
	}
	byCreation := func(ns []xnode, desc bool) []xnode {
		out := slices.Clone(ns)
		slices.SortStableFunc(out, func(a, b xnode) int { return strings.Compare(text(a, "CreationTimeUTC"), text(b, "CreationTimeUTC")) })
		if desc {
			slices.Reverse(out)
		}
		return out
	}
	byName := slices.Clone(jobList)
	slices.SortFunc(byName, func(a, b xnode) int {
		return strings.Compare(strings.ToLower(a.Attrs["Name"]), strings.ToLower(b.Attrs["Name"]))
	})

	for _, tc := range []struct {
		name, query string
		want        []string
	}{
		{"job sessions of one job", "type=BackupJobSession&filter=" + urlQuery(`JobName=="vCD Job Template"`),
			where(jobSessions, func(n xnode) bool { return text(n, "JobName") == "vCD Job Template" })},
		{"failed job sessions", "type=BackupJobSession&filter=Result==Failed",
			where(jobSessions, func(n xnode) bool { return text(n, "Result") == "Failed" })},
		{"retries", "type=BackupJobSession&filter=IsRetry==True",
			where(jobSessions, func(n xnode) bool { return text(n, "IsRetry") == "true" })},
		{"running job sessions", "type=BackupJobSession&filter=State==Working;EndTime==%22%22",
			where(jobSessions, func(n xnode) bool { return text(n, "State") == "Working" })},
		{"job sessions newest first", "type=BackupJobSession&sortDesc=CreationTime",
			where(byCreation(jobSessions, true), func(xnode) bool { return true })},
		{"job sessions by server", "type=BackupJobSession&filter=BackupServerUid==" + vemtest.SeedBackupServerID + "&sortAsc=creationtime",
			where(byCreation(jobSessions, false), func(n xnode) bool {
				return slices.ContainsFunc(n.Children[0].Children, func(l xnode) bool {
					return l.Attrs["Type"] == "BackupServerReference" && strings.HasSuffix(l.Attrs["Href"], vemtest.SeedBackupServerID)
				})
			})},
		{"restore points of a VM", "type=VmRestorePoint&filter=VmDisplayName==AnT_VM2",
			where(points, func(n xnode) bool { return n.Attrs["VmDisplayName"] == "AnT_VM2" })},
		{"full restore points", "type=VmRestorePoint&filter=Type==Full,Algorithm==Full",
			where(points, func(n xnode) bool { return text(n, "PointType") == "Full" || text(n, "Algorithm") == "Full" })},
		{"restore points newest first", "type=VmRestorePoint&sortDesc=CreationTime",
			where(byCreation(points, true), func(xnode) bool { return true })},
		{"backup jobs by name", "type=Job&filter=Platform==VMware;JobType==Backup&sortAsc=name",
			where(byName, func(xnode) bool { return true })},
		{"jobs with schedule off", "type=Job&filter=ScheduleEnabled==false",
			where(jobList, func(n xnode) bool { return text(n, "ScheduleEnabled") == "false" })},
		{"jobs of a server", "type=Job&filter=BackupServerName==srv02.tech.local",
			where(jobList, func(n xnode) bool { return strings.Contains(string(fmt.Sprint(n.Children[0])), "srv02.tech.local") })},
		{"jobs by seed UID", "type=Job&filter=UID==" + vemtest.SeedJobID, []string{"urn:veeam:Job:" + vemtest.SeedJobID}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.NotEmpty(t, tc.want, "the data set must hold matches")
			got := queryAll(t, srv, token, tc.query)
			if strings.Contains(tc.query, "sort") {
				assert.Equal(t, tc.want, got)
			} else {
				assert.ElementsMatch(t, tc.want, got)
			}
		})
	}
}

// queryAll reads every page of a query, three at a time, checking the
// paging info on the way.
func queryAll(t testing.TB, srv *vemtest.Server, token, query string) []string {
	t.Helper()
	var uids []string
	for page := 1; ; page++ {
		r := get(t, srv, token, fmt.Sprintf("/api/query?%s&format=Entities&pageSize=3&page=%d", query, page))
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		n := parseXML(t, r.body)
		ents, ok := n.child("Entities")
		require.True(t, ok)
		require.Len(t, ents.Children, 1)
		uids = append(uids, uidsInXML(ents.Children[0])...)
		pi, ok := n.child("PagingInfo")
		require.True(t, ok)
		assert.Equal(t, fmt.Sprint(page), pi.Attrs["PageNum"])
		if pi.Attrs["PagesCount"] == fmt.Sprint(page) {
			return uids
		}
		require.Len(t, ents.Children[0].Children, 3)
	}
}

// TestQueryFieldErrors checks that each type knows its own fields only.
func TestQueryFieldErrors(t *testing.T) {
	srv := newServer(t, vemtest.WithDataset(0))
	token, _ := logon(t, srv)
	for _, tc := range []struct{ query, msg string }{
		{"type=Job&filter=TotalSize>1", "unknown field [TotalSize] for type Job"},
		{"type=VmRestorePoint&sortAsc=JobName", "unknown field [JobName] for type VmRestorePoint"},
		{"type=BackupJobSession&filter=IsRetry==maybe", "invalid boolean [maybe]"},
		{"type=BackupJobSession&filter=State==Completed", "invalid value [Completed]"},
		{"type=Job&filter=NextRun>yesterday", "invalid time [yesterday]"},
		{"type=NoSuchType", "query type [NoSuchType] is not supported"},
	} {
		t.Run(tc.query, func(t *testing.T) {
			msg := requireError(t, get(t, srv, token, "/api/query?"+tc.query), http.StatusBadRequest)
			assert.Contains(t, msg, tc.msg)
		})
	}
}

// TestJobSessionJSONKeys checks EM's key order for job sessions: IsRetry
// first, then the elements in the order of EM's XML; FailureMessage is
// always there (null when empty).
func TestJobSessionJSONKeys(t *testing.T) {
	for _, a := range answerStyles[1:] {
		t.Run(a.name, func(t *testing.T) {
			srv := newServer(t, vemtest.WithDataset(0), vemtest.WithJSONStyle(a.style))
			token, _ := logon(t, srv)
			r := getJSON(t, srv, token, "/api/backupSessions/"+vemtest.SeedBackupJobSessionID+"?format=Entity")
			require.Equal(t, http.StatusOK, r.status)
			want := []string{"IsRetry", "JobUid", "JobName", "JobType", "CreationTimeUTC", "EndTimeUTC",
				"State", "Result", "Progress", "FailureMessage", "Name", "UID", "Links", "Href", "Type"}
			for i, k := range want {
				want[i] = a.key(k)
			}
			assert.Equal(t, want, jsonKeys(t, r.body))
			assert.JSONEq(t, "null", string(jsonObject(t, r.body)[a.key("FailureMessage")]))
		})
	}
}

// TestBackupServerFields checks WcfPort and VbrCertificateThumbprint.
func TestBackupServerFields(t *testing.T) {
	for _, a := range answerStyles {
		t.Run(a.name, func(t *testing.T) {
			srv := newServer(t, vemtest.WithDataset(0), vemtest.WithJSONStyle(a.style))
			token, _ := logon(t, srv)
			r := do(t, srv, request{path: "/api/backupServers/" + vemtest.SeedBackupServerID + "?format=Entity", token: token, accept: a.accept})
			require.Equal(t, http.StatusOK, r.status)
			var port, thumb string
			if a.json() {
				m := jsonObject(t, r.body)
				port = string(m[a.key("WcfPort")])
				thumb = jsonString(t, m[a.key("VbrCertificateThumbprint")])
			} else {
				n := parseXML(t, r.body)
				port, thumb = text(n, "WcfPort"), text(n, "VbrCertificateThumbprint")
			}
			assert.Equal(t, "9405", port)
			assert.Regexp(t, "^[0-9A-F]{40}$", thumb)
		})
	}
}

// TestJobChildren checks a job's objects and its sessions.
func TestJobChildren(t *testing.T) {
	for _, a := range answerStyles {
		t.Run(a.name, func(t *testing.T) {
			srv := newServer(t, vemtest.WithDataset(12), vemtest.WithJSONStyle(a.style))
			token, _ := logon(t, srv)
			call := func(path string) response {
				return do(t, srv, request{path: path, token: token, accept: a.accept})
			}
			job := "/api/jobs/" + vemtest.SeedJobID
			r := call(job + "/includes")
			require.Equal(t, http.StatusOK, r.status, string(r.body))
			var names, ids []string
			if a.json() {
				items := jsonArray(t, jsonObject(t, r.body)[a.key("ObjectInJobs")])
				for _, it := range items {
					m := jsonObject(t, it)
					names = append(names, jsonString(t, m[a.key("Name")]))
					ids = append(ids, jsonString(t, m[a.key("ObjectInJobId")]))
					assert.Equal(t, "ObjectInJob", jsonString(t, m[a.key("Type")]))
					assert.Contains(t, jsonString(t, m[a.key("HierarchyObjRef")]), "urn:VMware:Vm:")
				}
			} else {
				n := parseXML(t, r.body)
				assert.Equal(t, "{http://www.veeam.com/ent/v1.0}ObjectsInJob", n.Name)
				for _, c := range n.Children {
					names = append(names, text(c, "Name"))
					ids = append(ids, text(c, "ObjectInJobId"))
					assert.Equal(t, job+"/includes/"+text(c, "ObjectInJobId"), c.Attrs["Href"])
				}
			}
			assert.ElementsMatch(t, []string{"AnT_VM1", "AnT_VM3", "AnT_web01", "AnT_VM2"}, names)
			for _, id := range ids {
				assert.Regexp(t, "^[0-9a-f-]{36}$", id)
			}

			r = call(job + "/backupSessions")
			require.Equal(t, http.StatusOK, r.status, string(r.body))
			uid := "urn:veeam:BackupJobSession:" + vemtest.SeedBackupJobSessionID
			if a.json() {
				assert.Contains(t, uidsIn(t, a, jsonArray(t, jsonObject(t, r.body)[a.key("Refs")])), uid)
			} else {
				assert.Contains(t, uidsInXML(parseXML(t, r.body)), uid)
			}

			const unknown = "00000000-0000-4000-8000-00000000dead"
			for _, sub := range []string{"/includes", "/backupSessions"} {
				msg := requireError(t, call("/api/jobs/"+unknown+sub), http.StatusNotFound)
				assert.Equal(t, "Cannot find job ["+unknown+"]", msg)
			}
		})
	}
}

// TestJobMatchesEMExample compares the job entity with EM's documentation
// example: the same attributes and, up to the schedule and job details
// the fake leaves out, the same elements in the same order.
func TestJobMatchesEMExample(t *testing.T) {
	srv := newServer(t, vemtest.WithDataset(0))
	token, _ := logon(t, srv)
	r := get(t, srv, token, "/api/jobs/"+vemtest.SeedJobID+"?format=Entity")
	require.Equal(t, http.StatusOK, r.status)
	got := parseXML(t, r.body)
	want := parseXML(t, readTestdata(t, "job.xml"))
	assert.Equal(t, want.Name, got.Name)
	assert.Equal(t, sorted(keysOf(want.Attrs, "")), sorted(keysOf(got.Attrs, "")))
	const ns = "{http://www.veeam.com/ent/v1.0}"
	assert.Equal(t, childNames(want)[:6], childNames(got)[:6])
	assert.Equal(t, []string{ns + "NextRun"}, childNames(got)[6:])
	links := map[string]bool{}
	for _, l := range got.Children[0].Children {
		links[l.Attrs["Rel"]+" "+l.Attrs["Type"]] = true
	}
	for _, want := range []string{"Up BackupServerReference", "Alternate JobReference", "Down BackupJobSessionReferenceList",
		"Down ObjectInJobList", "Start ", "Stop ", "Retry "} {
		assert.True(t, links[want], want)
	}
}
