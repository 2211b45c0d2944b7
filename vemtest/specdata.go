package vemtest

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vemkit/vem/internal/em"
	"github.com/vemkit/vem/internal/emspec"
)

// The seed data of the spec-described types (spectypes.go) is made here,
// in one place: seedSpec gives each type specSeedCount entities on the
// default backup servers, with values of each field's documented type and
// enum values in turn, so that every query type has entities to filter,
// sort and page. The values are deterministic (GUIDs from guidFrom) and
// not yet coherent across types (a backup's repository is not one of the
// seeded repositories); the dataset's coherence and --fleet scaling build
// on this function.

// specSeedCount is the number of entities of each spec type.
const specSeedCount = 3

func specResources() []resource {
	out := make([]resource, len(specTypeList))
	for i, t := range specTypeList {
		out[i] = t
	}
	return out
}

// seedSpec stores the seed entities of every spec type. The caller holds
// st.mu.
func seedSpec(st *store, now time.Time) {
	for _, r := range emspec.MustLoad().Resources {
		if !specServed(r) {
			continue
		}
		if st.spec[r.Type] == nil {
			st.spec[r.Type] = make(map[string]*specRec)
		}
		for i := range specSeedCount {
			rec := seedRec(r, i, now)
			st.spec[r.Type][rec.id] = rec
		}
	}
	// The includes of the jobs, as the query service's ObjectInJob.
	for jobID, ins := range st.includes {
		job := st.jobs[jobID]
		if job == nil {
			continue
		}
		for _, in := range ins {
			rec := &specRec{typ: "ObjectInJob", id: in.id, parentID: jobID, name: in.name,
				serverID: job.serverID, serverName: job.serverName, created: now,
				vals: map[string]specVal{
					"ObjectInJobId": {s: in.id}, "HierarchyObjRef": {s: in.hierarchyObjRef},
					"Name": {s: in.name}, "DisplayName": {s: in.displayName},
				},
				extra: map[string]specVal{"jobuid": {s: em.UID(em.KindJob, jobID)}, "jobname": {s: job.name}},
			}
			rec.links = []linkSpec{
				{Rel: "Delete", Type: "ObjectInJob", Href: "/api/jobs/" + jobID + "/includes/" + in.id, Name: in.name},
				{Rel: "Up", Type: "Job", Href: "/api/jobs/" + jobID + "?format=Entity", Name: job.name},
			}
			st.spec["ObjectInJob"][rec.id] = rec
		}
	}
}

// seedRec makes the i-th seed entity of r.
func seedRec(r *emspec.Resource, i int, now time.Time) *specRec {
	srv := genServers[i%len(genServers)]
	id := guidFrom("spec", r.Type, strconv.Itoa(i))
	rec := &specRec{
		typ: r.Type, id: id, name: fmt.Sprintf("%s %d", noun(r.Type), i+1),
		created:  now.Add(-time.Duration(i+1) * 24 * time.Hour).Truncate(time.Second),
		serverID: srv.id, serverName: srv.name,
		vals: map[string]specVal{}, extra: map[string]specVal{},
	}
	if strings.Contains(r.Path, "{ID}") {
		rec.parentID = guidFrom("spec-parent", r.Type)
	}
	for _, f := range append(append([]*emspec.Field{}, r.Attrs...), r.Fields...) {
		rec.vals[f.Wire] = seedVal(r, f.Wire, f.Type, f.Values, i, rec)
	}
	if f := fieldFor(r, "Name"); f != nil {
		rec.vals[f.Wire] = specVal{s: rec.name}
	}
	for _, q := range r.QueryFields {
		key := strings.ToLower(q.Name)
		if fieldFor(r, q.Name) != nil {
			continue
		}
		switch q.Kind {
		case "uid":
			rec.extra[key] = specVal{s: em.UID(q.UIDKind, guidFrom("spec", q.UIDKind, strconv.Itoa(i)))}
		case "time":
			rec.extra[key] = specVal{t: rec.created}
		case "int":
			rec.extra[key] = specVal{i: int64(i + 1)}
		case "bool":
			rec.extra[key] = specVal{b: i%2 == 0}
		case "enum":
			rec.extra[key] = specVal{s: q.Values[i%len(q.Values)]}
		default:
			rec.extra[key] = specVal{s: fmt.Sprintf("%s %d", q.Name, i+1)}
		}
	}
	rec.links = seedLinks(r, rec)
	return rec
}

func seedVal(r *emspec.Resource, wire, typ string, values []string, i int, rec *specRec) specVal {
	switch typ {
	case "time":
		if strings.HasPrefix(wire, "End") || strings.HasPrefix(wire, "Next") {
			return specVal{t: rec.created.Add(time.Duration(i+1) * 17 * time.Minute)}
		}
		return specVal{t: rec.created}
	case "int":
		return specVal{i: int64(10 * (i + 1))}
	case "int64":
		return specVal{i: int64(i+1) << 34}
	case "bool":
		return specVal{b: i%2 == 0}
	case "float":
		return specVal{f: 1.5 * float64(i+1)}
	case "enum":
		return specVal{s: values[i%len(values)]}
	case "uid":
		kind := strings.TrimSuffix(strings.TrimSuffix(wire, "Uid"), "UID")
		return specVal{s: em.UID(kind, guidFrom("spec", kind, strconv.Itoa(i)))}
	case "raw":
		return specVal{} // complex elements are left out of the seed data
	}
	return specVal{s: fmt.Sprintf("%s %d", wire, i+1)}
}

// seedLinks are r's documented links with their {ID}s filled: the
// record's own for its own paths, its backup server's, and derived GUIDs
// for other objects.
func seedLinks(r *emspec.Resource, rec *specRec) []linkSpec {
	self := strings.TrimPrefix(specSelf(r, rec), "/api")
	var out []linkSpec
	for _, l := range r.Links {
		p, q, _ := strings.Cut(l.Path, "?")
		var href string
		switch {
		case strings.HasPrefix(strings.ToLower(p), strings.ToLower(r.ItemPath)):
			href = self + p[len(r.ItemPath):]
		case strings.EqualFold(p, "/backupServers/{ID}"):
			href = "/backupServers/" + rec.serverID
		default:
			href = strings.ReplaceAll(p, "{ID}", guidFrom("spec-link", l.Path, rec.id))
		}
		if q != "" {
			href += "?" + q
		}
		name := ""
		switch l.Rel {
		case "Up":
			if strings.EqualFold(p, "/backupServers/{ID}") {
				name = rec.serverName
			}
		case "Alternate", "Edit":
			name = rec.name
		}
		out = append(out, linkSpec{Rel: l.Rel, Type: l.Type, Href: "/api" + href, Name: name})
	}
	return out
}

func specSelf(r *emspec.Resource, rec *specRec) string {
	p := r.Path
	if rec.parentID != "" {
		p = strings.Replace(p, "{ID}", rec.parentID, 1)
	}
	return "/api" + p + "/" + rec.id
}
