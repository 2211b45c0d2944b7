package vemtest

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vemkit/vem/internal/em"
)

// This file holds what every entity type shares: the description of a
// type (entityType), and the rendering, routes, list, get and query
// handlers that are written once on top of it. resources.go describes each
// type in one table entry.

// record is a stored entity. Records are immutable once stored: a change
// stores a new record, so their cached fragments never go stale.
type record interface {
	guid() string
	cache() *renderCache
}

// Render cache slots. Each record renders its list fragments once, on
// first use.
const (
	cacheXMLEntity = iota
	cacheXMLRef
	cacheJSONEntity
	cacheJSONRef
	cacheSlots
)

type renderCache struct {
	once [cacheSlots]sync.Once
	b    [cacheSlots][]byte
}

func (c *renderCache) cache() *renderCache { return c }

func (c *renderCache) get(slot int, render func() []byte) []byte {
	c.once[slot].Do(func() { c.b[slot] = render() })
	return c.b[slot]
}

// valueKind says how a field is written in XML and JSON.
type valueKind int

const (
	vStr     valueKind = iota // <X>v</X> or <X />; JSON string, "" kept
	vStrNull                  // <X>v</X> or <X />; JSON null when empty
	vStrOpt                   // left out of XML when empty; JSON null when empty
	vTime                     // always written
	vTimeOpt                  // left out of both when zero
	vInt
	vBool
	vFloat
	vRaw // a complex element, written as the record gives it (left out when empty)
)

// field is one element of an entity, or an extra XML attribute.
type field[R any] struct {
	name string
	kind valueKind
	str  func(R) string
	time func(R) time.Time
	int  func(R) int64
	bool func(R) bool
	flt  func(R) float64
	// raw gives a complex element: the whole XML element, and the JSON
	// value ("" for null).
	raw func(R) (xml, json string)
}

func fFloat[R any](name string, f func(R) float64) field[R] {
	return field[R]{name: name, kind: vFloat, flt: f}
}

func fRaw[R any](name string, f func(R) (xml, json string)) field[R] {
	return field[R]{name: name, kind: vRaw, raw: f}
}

func fStr[R any](name string, f func(R) string) field[R] {
	return field[R]{name: name, kind: vStr, str: f}
}

func fStrNull[R any](name string, f func(R) string) field[R] {
	return field[R]{name: name, kind: vStrNull, str: f}
}

func fStrOpt[R any](name string, f func(R) string) field[R] {
	return field[R]{name: name, kind: vStrOpt, str: f}
}

func fTime[R any](name string, f func(R) time.Time) field[R] {
	return field[R]{name: name, kind: vTime, time: f}
}

func fTimeOpt[R any](name string, f func(R) time.Time) field[R] {
	return field[R]{name: name, kind: vTimeOpt, time: f}
}

func fInt[R any](name string, f func(R) int64) field[R] {
	return field[R]{name: name, kind: vInt, int: f}
}

func fBool[R any](name string, f func(R) bool) field[R] {
	return field[R]{name: name, kind: vBool, bool: f}
}

func (f field[R]) xml(w *xmlWriter, r R) {
	switch f.kind {
	case vStr, vStrNull:
		w.elem(f.name, f.str(r))
	case vStrOpt:
		if v := f.str(r); v != "" {
			w.elem(f.name, v)
		}
	case vTime:
		w.elem(f.name, em.FormatTime(f.time(r)))
	case vTimeOpt:
		if t := f.time(r); !t.IsZero() {
			w.elem(f.name, em.FormatTime(t))
		}
	case vInt:
		w.elem(f.name, strconv.FormatInt(f.int(r), 10))
	case vBool:
		w.elem(f.name, strconv.FormatBool(f.bool(r)))
	case vFloat:
		w.elem(f.name, strconv.FormatFloat(f.flt(r), 'f', -1, 64))
	case vRaw:
		if x, _ := f.raw(r); x != "" {
			w.b = append(w.b, x...)
		}
	}
}

func (f field[R]) json(w *jsonWriter, r R) {
	switch f.kind {
	case vStr:
		w.kstr(f.name, f.str(r))
	case vStrNull, vStrOpt:
		w.kstrOrNull(f.name, f.str(r))
	case vTime:
		w.kstr(f.name, em.FormatTime(f.time(r)))
	case vTimeOpt:
		if t := f.time(r); !t.IsZero() {
			w.kstr(f.name, em.FormatTime(t))
		}
	case vInt:
		w.kint(f.name, f.int(r))
	case vBool:
		w.key(f.name)
		w.bool(f.bool(r))
	case vFloat:
		w.key(f.name)
		w.raw(strconv.AppendFloat(nil, f.flt(r), 'f', -1, 64))
	case vRaw:
		w.key(f.name)
		if _, j := f.raw(r); j != "" {
			w.raw([]byte(j))
		} else {
			w.null()
		}
	}
}

// getter reads a query field of a record; the one matching the field's
// em.FieldKind is set (str for String, UIDField and Enum).
type getter[R any] struct {
	str  func(*store, R) string
	time func(R) time.Time
	int  func(R) int64
	bool func(R) bool
}

func gStr[R any](f func(R) string) getter[R] {
	return getter[R]{str: func(_ *store, r R) string { return f(r) }}
}

func gStrSt[R any](f func(*store, R) string) getter[R] { return getter[R]{str: f} }
func gTime[R any](f func(R) time.Time) getter[R]       { return getter[R]{time: f} }
func gInt[R any](f func(R) int64) getter[R]            { return getter[R]{int: f} }
func gBool[R any](f func(R) bool) getter[R]            { return getter[R]{bool: f} }

// entityType describes one type of entity: everything its XML, both JSON
// casings, its routes, list, get and query handlers, filters and sorting
// need. Adding a type is one entityType and its data.
type entityType[R record] struct {
	kind    string // entity Type, XML element, UID kind and query type
	refType string // Type of its references
	path    string // collection path, "/api/backupSessions"
	list    string // root of an entity list, and the query's collection
	noun    string // in 404 texts: "Cannot find <noun> [<id>]"
	name    func(R) string
	attrs   []field[R] // XML attributes after Href, Type, Name and UID
	fields  []field[R] // elements after Links, in XML order
	links   func(R) []linkSpec
	refs    func(R) []linkSpec // links of its references
	// all returns every record in the default order; lookup finds one.
	// Both run with the store's read lock held.
	all    func(*store) []R
	lookup func(*store, string) (R, bool)
	// listed narrows GET <path> (nil: every record).
	listed func(s *Server, r R) bool
	// server gives the backup server an object belongs to (ID and the name
	// its links carry), for the fields BackupServerUid and
	// BackupServerName.
	server func(R) (id, name string)
	// query is the query service type and its getters by lower-case field
	// name; query.Name == "" means the type is not queryable. The getters
	// of UID, Name, BackupServerUid and BackupServerName are derived.
	query   em.QueryType
	getters map[string]getter[R]
	// collected reports whether the query service already sees r (nil:
	// always).
	collected func(r R, now time.Time) bool
	// byCreation says that all returns records by CreationTime already.
	byCreation bool
	// post, when set, answers POST <path>/{ID} (actions).
	post handlerFunc

	// jsonFirst names elements EM writes first in JSON, ahead of the XML
	// order (a job session's IsRetry).
	jsonFirst []string

	json []field[R] // fields in JSON order, built by init

	// Set for the types described by internal/emspec (spectypes.go):
	// elem is the element of an entity in lists and query results when it
	// is not the kind; container the QueryResult element that holds the
	// collection ("" for Entities); noUID leaves the UID out (the object
	// is known by its Href); plainHref writes Hrefs without
	// ?format=Entity; selfPath gives the path of a record below a parent
	// ("/api/cloud/tenants/<ID>/subtenants/<ID>"); noRoutes leaves the
	// routes to hand-written handlers.
	elem      string
	container string
	noUID     bool
	plainHref bool
	selfPath  func(R) string
	noRoutes  bool
	// queryAll, when set, gives the records a query sees instead of all
	// (the tasks of the asking logon session); it runs with the store's
	// read lock held.
	queryAll func(s *Server, q *queryRequest) []R
}

func (t *entityType[R]) init() *entityType[R] {
	// JSON writes the elements in XML order (jsonFirst ahead), then the
	// extra attributes.
	t.json = append(slices.Clone(t.fields), t.attrs...)
	for i := len(t.jsonFirst) - 1; i >= 0; i-- {
		if j := slices.IndexFunc(t.json, func(f field[R]) bool { return f.name == t.jsonFirst[i] }); j > 0 {
			f := t.json[j]
			t.json = slices.Insert(slices.Delete(t.json, j, j+1), 0, f)
		}
	}
	if t.getters == nil {
		t.getters = make(map[string]getter[R])
	}
	t.getters["uid"] = gStr(t.uid)
	t.getters["name"] = gStr(t.name)
	if t.server != nil {
		t.getters["backupserveruid"] = gStr(func(r R) string {
			id, _ := t.server(r)
			if id == "" {
				return ""
			}
			return em.UID(em.KindBackupServer, id)
		})
		t.getters["backupservername"] = gStrSt(func(st *store, r R) string {
			id, name := t.server(r)
			if s, ok := st.servers[id]; ok {
				return s.name
			}
			return name
		})
	}
	if t.query.Name != "" {
		for _, f := range t.query.Fields {
			if _, ok := t.getters[strings.ToLower(f.Name)]; !ok {
				panic("vemtest: no getter for query field " + t.kind + "." + f.Name)
			}
		}
	}
	return t
}

func (t *entityType[R]) self(r R) string {
	if t.selfPath != nil {
		return t.selfPath(r)
	}
	return t.path + "/" + r.guid()
}

func (t *entityType[R]) uid(r R) string { return em.UID(t.kind, r.guid()) }

// entityHref is the Href of an entity representation.
func (t *entityType[R]) entityHref(rd *renderer, r R) string {
	if t.plainHref {
		return rd.base + t.self(r)
	}
	return rd.base + t.self(r) + "?format=Entity"
}

func (t *entityType[R]) entityXML(rd *renderer, w *xmlWriter, r R, ns nsMode) {
	uid := t.uid(r)
	if t.noUID {
		uid = ""
	}
	root := t.kind
	if ns == nsNone && t.elem != "" {
		root = t.elem
	}
	attrs := []string{"Href", t.entityHref(rd, r), "Type", t.kind, "Name", t.name(r), "UID", uid}
	for _, a := range t.attrs {
		attrs = append(attrs, a.name, a.str(r))
	}
	w.tag(root, ns, false, attrs...)
	w.links(rd.base, t.links(r))
	for _, f := range t.fields {
		f.xml(w, r)
	}
	w.end(root)
}

func (t *entityType[R]) entityJSON(rd *renderer, w *jsonWriter, r R) {
	w.obj()
	for _, f := range t.json {
		f.json(w, r)
	}
	if !t.noUID {
		w.kstrOrNull("Name", t.name(r))
		w.kstr("UID", t.uid(r))
	} else if n := t.name(r); n != "" {
		w.kstr("Name", n)
	}
	w.links(rd.base, t.links(r))
	w.kstr("Href", t.entityHref(rd, r))
	w.kstr("Type", t.kind)
	w.endObj()
}

func (t *entityType[R]) refXML(rd *renderer, w *xmlWriter, root string, ns nsMode, r R) {
	w.tag(root, ns, false, "Type", t.refType, "Href", rd.base+t.self(r), "Name", t.name(r), "UID", t.uid(r))
	w.links(rd.base, t.refs(r))
	w.end(root)
}

func (t *entityType[R]) refJSON(rd *renderer, w *jsonWriter, r R) {
	w.obj()
	w.links(rd.base, t.refs(r))
	w.kstr("UID", t.uid(r))
	w.kstrOrNull("Name", t.name(r))
	w.kstr("Href", rd.base+t.self(r))
	w.kstr("Type", t.refType)
	w.endObj()
}

// fragment returns r as an element of a list, entity or reference, in XML
// or JSON, rendered once per record.
func (t *entityType[R]) fragment(rd *renderer, r R, entity, json bool) []byte {
	slot := cacheXMLRef
	switch {
	case entity && json:
		slot = cacheJSONEntity
	case entity:
		slot = cacheXMLEntity
	case json:
		slot = cacheJSONRef
	}
	return r.cache().get(slot, func() []byte {
		if json {
			w := rd.json()
			if entity {
				t.entityJSON(rd, w, r)
			} else {
				t.refJSON(rd, w, r)
			}
			return w.b
		}
		w := rd.xml()
		if entity {
			t.entityXML(rd, w, r, nsNone)
		} else {
			t.refXML(rd, w, "Ref", nsNone, r)
		}
		return w.b
	})
}

// get answers GET <path>/{ID}: the reference, or the entity with
// format=Entity, or EM's 404.
func (t *entityType[R]) get(s *Server, w http.ResponseWriter, r *http.Request, c *call) {
	entity, ok := s.wantEntity(w, r, c)
	if !ok {
		return
	}
	s.store.mu.RLock()
	v, found := t.lookup(s.store, c.id)
	s.store.mu.RUnlock()
	if !found {
		s.notFound(w, c, t.noun)
		return
	}
	s.reply(w, c, http.StatusOK, func(json bool) []byte {
		switch {
		case entity && json:
			return t.fragment(s.render, v, true, true)
		case json:
			return t.fragment(s.render, v, false, true)
		case entity:
			return s.xmlDoc(func(w *xmlWriter) { t.entityXML(s.render, w, v, nsFull) })
		}
		return s.xmlDoc(func(w *xmlWriter) { t.refXML(s.render, w, "EntityRef", nsDefault, v) })
	})
}

// listAll answers GET <path>.
func (t *entityType[R]) listAll(s *Server, w http.ResponseWriter, r *http.Request, c *call) {
	t.listOf(s, w, r, c, func(st *store) ([]R, bool) {
		all := t.all(st)
		out := all[:0:0] // a copy: all may be the store's own slice
		for _, v := range all {
			if t.listed == nil || t.listed(s, v) {
				out = append(out, v)
			}
		}
		return out, true
	}, "")
}

// listOf answers a list of records: EntityReferences, or the entity list
// with format=Entity. pick runs with the store's read lock held; when it
// reports false, the answer is a 404 for parentNoun.
func (t *entityType[R]) listOf(s *Server, w http.ResponseWriter, r *http.Request, c *call, pick func(*store) ([]R, bool), parentNoun string) {
	entity, ok := s.wantEntity(w, r, c)
	if !ok {
		return
	}
	s.store.mu.RLock()
	recs, found := pick(s.store)
	s.store.mu.RUnlock()
	if !found {
		s.notFound(w, c, parentNoun)
		return
	}
	root, jsonKey := "EntityReferences", "Refs"
	if entity {
		root, jsonKey = t.list, t.list
	}
	s.replyList(w, c, root, jsonKey, len(recs), func(i int, json bool) []byte {
		return t.fragment(s.render, recs[i], entity, json)
	})
}

// replyList answers a list of n items: {"<jsonKey>":[...]} in JSON,
// <root>...</root> in XML. item renders item i as a list element.
func (s *Server) replyList(w http.ResponseWriter, c *call, root, jsonKey string, n int, item func(i int, json bool) []byte) {
	s.reply(w, c, http.StatusOK, func(json bool) []byte {
		if json {
			return s.jsonDoc(func(w *jsonWriter) {
				w.obj()
				w.key(jsonKey)
				w.arr()
				for i := range n {
					w.raw(item(i, true))
				}
				w.endArr()
				w.endObj()
			})
		}
		return s.xmlDoc(func(w *xmlWriter) {
			w.tag(root, nsDefault, n == 0)
			if n == 0 {
				return
			}
			for i := range n {
				w.b = append(w.b, item(i, false)...)
			}
			w.end(root)
		})
	})
}

// resource is an entityType without its record type: what the route table
// and the query service need.
type resource interface {
	kindName() string
	collection() string
	containerName() string
	queryable() bool
	routes() []*route
	runQuery(s *Server, q *queryRequest) (*queryPage, error)
}

func (t *entityType[R]) kindName() string   { return t.kind }
func (t *entityType[R]) collection() string { return t.list }

func (t *entityType[R]) containerName() string {
	if t.container == "" {
		return "Entities"
	}
	return t.container
}

func (t *entityType[R]) routes() []*route {
	if t.noRoutes {
		return nil
	}
	one := map[string]handlerFunc{http.MethodGet: t.get}
	if t.post != nil {
		one[http.MethodPost] = t.post
	}
	return []*route{
		newRoute(t.path, routeResource, map[string]handlerFunc{http.MethodGet: t.listAll}),
		newRoute(t.path+"/{ID}", routeResource, one),
	}
}
