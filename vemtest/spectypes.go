package vemtest

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/vemkit/vem/internal/em"
	"github.com/vemkit/vem/internal/emspec"
)

// The entity types described only by internal/emspec (every query type
// but the five with records of their own in store.go) are served from one
// generic record, specRec, and one entityType each, built here from the
// spec: their XML and both JSON casings, routes (case-insensitive, as all
// routes), lists, gets and the query service with its filters, sorts and
// pages on the documented fields. Their data is seeded in specdata.go.

// specRec is a stored entity of a spec-described type.
type specRec struct {
	renderCache
	typ        string // EM type
	id         string // lower-case GUID
	parentID   string // the {ID} of the parent in nested paths, or ""
	name       string
	created    time.Time
	serverID   string
	serverName string
	vals       map[string]specVal // fields and attributes by wire name
	extra      map[string]specVal // query-only fields by lower-case name
	links      []linkSpec
}

func (r *specRec) guid() string            { return r.id }
func (r *specRec) creationTime() time.Time { return r.created }

// specVal is one value of a record; the member of its field's type is set.
type specVal struct {
	s        string
	t        time.Time
	i        int64
	b        bool
	f        float64
	xml, jsn string // raw: the whole XML element, the JSON value
}

// specTypes are the entity types built from the spec, by EM type.
var specTypes = map[string]*entityType[*specRec]{}

// specTypeList is specTypes in the spec's order.
var specTypeList = buildSpecTypes()

func buildSpecTypes() []*entityType[*specRec] {
	var out []*entityType[*specRec]
	for _, r := range emspec.MustLoad().Resources {
		if !specServed(r) {
			continue
		}
		t := newSpecType(r)
		specTypes[r.Type] = t
		out = append(out, t)
	}
	return out
}

// specServed reports whether vemtest serves r from the spec: every type
// but those with records of their own (and tasks, which belong to logon
// sessions: tasksQuery).
func specServed(r *emspec.Resource) bool {
	switch r.Type {
	case "BackupTaskSession", "BackupJobSession", "BackupServer", "VmRestorePoint", "Job", "Task":
		return false
	}
	return true
}

var wordRe = regexp.MustCompile(`[A-Z]+[a-z0-9]*|[a-z0-9]+`)

// noun is a type's name in EM's 404 texts: "cloud tenant".
func noun(typ string) string {
	return strings.ToLower(strings.Join(wordRe.FindAllString(typ, -1), " "))
}

func newSpecType(r *emspec.Resource) *entityType[*specRec] {
	qt, _ := em.LookupQueryType(r.Query)
	t := &entityType[*specRec]{
		kind:      r.Type,
		refType:   r.RefType,
		path:      "/api" + r.Path,
		list:      r.Collection,
		noun:      noun(r.Type),
		name:      func(x *specRec) string { return x.name },
		elem:      r.Element,
		noUID:     r.NoUID,
		plainHref: r.NoUID,
		query:     qt,
		getters:   map[string]getter[*specRec]{},
		server:    func(x *specRec) (string, string) { return x.serverID, x.serverName },
		links:     func(x *specRec) []linkSpec { return x.links },
		all: func(st *store) []*specRec {
			return sortedByCreation(st.spec[r.Type])
		},
		lookup: func(st *store, id string) (*specRec, bool) {
			x, ok := st.spec[r.Type][id]
			return x, ok
		},
		byCreation: true,
	}
	if r.Container == "Resources" {
		t.container = "Resources"
	}
	if strings.Contains(r.Path, "{ID}") {
		t.selfPath = func(x *specRec) string {
			return "/api" + strings.Replace(r.Path, "{ID}", x.parentID, 1) + "/" + x.id
		}
		t.path = "/api" + r.Path
	}
	if r.Type == "ObjectInJob" {
		t.noRoutes = true // GET /api/jobs/{ID}/includes is listIncludes
	}
	t.refs = func(x *specRec) []linkSpec {
		var ls []linkSpec
		if x.serverID != "" {
			ls = append(ls, linkSpec{Rel: "Up", Type: "BackupServerReference", Href: "/api/backupServers/" + x.serverID, Name: x.serverName})
		}
		return append(ls, linkSpec{Rel: "Alternate", Type: r.Type, Href: t.self(x) + "?format=Entity", Name: x.name})
	}
	for _, a := range r.Attrs {
		t.attrs = append(t.attrs, fStrNull(a.Wire, func(x *specRec) string { return x.vals[a.Wire].s }))
	}
	for _, f := range r.Fields {
		t.fields = append(t.fields, specField(f))
	}
	for _, q := range r.QueryFields {
		key := strings.ToLower(q.Name)
		switch key {
		case "uid", "name", "backupserveruid", "backupservername":
			continue // derived by init
		}
		if f := fieldFor(r, q.Name); f != nil {
			t.getters[key] = specGetter(q.Kind, func(x *specRec) specVal { return x.vals[f.Wire] }, f.Type)
		} else {
			t.getters[key] = specGetter(q.Kind, func(x *specRec) specVal { return x.extra[key] }, q.Kind)
		}
	}
	if r.Query == "" {
		t.query = em.QueryType{}
	}
	return t.init()
}

// fieldFor finds the field a query field reads: the same name, the name
// with UTC (CreationTime: CreationTimeUTC), or for Type the field whose name
// ends in Type (a restore point's PointType).
func fieldFor(r *emspec.Resource, name string) *emspec.Field {
	all := append(append([]*emspec.Field{}, r.Attrs...), r.Fields...)
	for _, try := range []string{name, name + "UTC"} {
		for _, f := range all {
			if strings.EqualFold(f.Wire, try) && f.Type != "raw" {
				return f
			}
		}
	}
	if strings.EqualFold(name, "Type") {
		for _, f := range all {
			if strings.HasSuffix(f.Wire, "Type") && f.Type == "enum" {
				return f
			}
		}
	}
	return nil
}

func specField(f *emspec.Field) field[*specRec] {
	w := f.Wire
	switch f.Type {
	case "time":
		return fTimeOpt(w, func(x *specRec) time.Time { return x.vals[w].t })
	case "int", "int64":
		return fInt(w, func(x *specRec) int64 { return x.vals[w].i })
	case "bool":
		return fBool(w, func(x *specRec) bool { return x.vals[w].b })
	case "float":
		return fFloat(w, func(x *specRec) float64 { return x.vals[w].f })
	case "raw":
		return fRaw(w, func(x *specRec) (string, string) { v := x.vals[w]; return v.xml, v.jsn })
	}
	return fStrNull(w, func(x *specRec) string { return x.vals[w].s })
}

// specGetter reads a query field of kind kind from a value stored as typ.
func specGetter(kind string, v func(*specRec) specVal, typ string) getter[*specRec] {
	switch kind {
	case "time":
		return gTime(func(x *specRec) time.Time { return v(x).t })
	case "int":
		return gInt(func(x *specRec) int64 {
			if typ == "string" || typ == "enum" || typ == "uid" {
				n, _ := strconv.ParseInt(v(x).s, 10, 64)
				return n
			}
			return v(x).i
		})
	case "bool":
		return gBool(func(x *specRec) bool { return v(x).b })
	}
	return gStr(func(x *specRec) string {
		switch typ {
		case "int", "int64":
			return strconv.FormatInt(v(x).i, 10)
		case "bool":
			return strconv.FormatBool(v(x).b)
		case "time":
			return em.FormatTime(v(x).t)
		}
		return v(x).s
	})
}
