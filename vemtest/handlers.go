package vemtest

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Content types of the answers.
const (
	contentTypeXML  = "application/xml; charset=utf-8"
	contentTypeJSON = "application/json; charset=utf-8"
)

// routeKind says which checks a route gets before its handler runs.
type routeKind int

const (
	routePublic   routeKind = iota // GET /api/: no token, no faults
	routeLogon                     // POST /api/sessionMngr/: Basic auth, faults only if asked
	routeResource                  // everything else: token, faults, role
)

// call is what the pipeline hands a handler.
type call struct {
	json bool   // answer in JSON
	id   string // the {ID} path segment, lower case, already checked to be a GUID
	sess sessionInfo
}

type handlerFunc func(s *Server, w http.ResponseWriter, r *http.Request, c *call)

type route struct {
	pattern    string // e.g. "/api/backupTaskSessions/{ID}"
	segs       []string
	kind       routeKind
	ownSession bool // also allowed for a user without an EM role
	methods    map[string]handlerFunc
	allow      string // the Allow header for 405 answers
}

func newRoute(pattern string, kind routeKind, methods map[string]handlerFunc) *route {
	rt := &route{pattern: pattern, kind: kind, methods: methods}
	rt.segs = splitPath(pattern)
	allow := make([]string, 0, len(methods))
	for m := range methods {
		allow = append(allow, m)
	}
	slices.Sort(allow)
	rt.allow = strings.Join(allow, ", ")
	return rt
}

// routeTable lists the fake's routes. Path segments match
// case-insensitively; {ID} matches any one segment.
func routeTable() []*route {
	get := func(h handlerFunc) map[string]handlerFunc { return map[string]handlerFunc{http.MethodGet: h} }
	logonSessions := newRoute("/api/logonSessions", routeResource, get((*Server).listLogonSessions))
	logonSessions.ownSession = true
	logonSession := newRoute("/api/logonSessions/{ID}", routeResource, map[string]handlerFunc{
		http.MethodGet:    (*Server).getLogonSession,
		http.MethodDelete: (*Server).deleteLogonSession,
	})
	logonSession.ownSession = true
	return []*route{
		newRoute("/api/", routePublic, get((*Server).getRoot)),
		newRoute("/api/sessionMngr/", routeLogon, map[string]handlerFunc{http.MethodPost: (*Server).logon}),
		logonSessions,
		logonSession,
		newRoute("/api/backupTaskSessions", routeResource, get((*Server).listTaskSessions)),
		newRoute("/api/backupTaskSessions/{ID}", routeResource, get((*Server).getTaskSession)),
		newRoute("/api/backupSessions", routeResource, get((*Server).listJobSessions)),
		newRoute("/api/backupSessions/{ID}", routeResource, get((*Server).getJobSession)),
		newRoute("/api/backupSessions/{ID}/taskSessions", routeResource, get((*Server).listJobSessionTasks)),
		newRoute("/api/backupServers", routeResource, get((*Server).listServers)),
		newRoute("/api/backupServers/{ID}", routeResource, get((*Server).getServer)),
		newRoute("/api/vmRestorePoints", routeResource, get((*Server).listRestorePoints)),
		newRoute("/api/vmRestorePoints/{ID}", routeResource, get((*Server).getRestorePoint)),
		newRoute("/api/query", routeResource, get((*Server).query)),
	}
}

// routes is built once; it is never modified.
var routes = routeTable()

func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// matchRoute finds the route of a path and returns the {ID} segment.
func matchRoute(path string) (*route, string) {
	segs := splitPath(path)
	for _, rt := range routes {
		if len(rt.segs) != len(segs) {
			continue
		}
		id, ok := "", true
		for i, want := range rt.segs {
			if want == "{ID}" {
				id = segs[i]
				continue
			}
			if !strings.EqualFold(want, segs[i]) {
				ok = false
				break
			}
		}
		if ok {
			return rt, id
		}
	}
	return nil, ""
}

// wantsJSON decides the answer's format from Accept: JSON when the first
// recognized media type is application/json (or text/json), XML otherwise
// (no Accept, */*, XML types, anything unrecognized).
func wantsJSON(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept") {
		for part := range strings.SplitSeq(v, ",") {
			mt, _, _ := strings.Cut(part, ";")
			switch strings.ToLower(strings.TrimSpace(mt)) {
			case "application/json", "text/json":
				return true
			case "application/xml", "text/xml", "*/*", "application/*", "text/*":
				return false
			}
		}
	}
	return false
}

// handle is the request pipeline: route, latency, method, faults,
// authentication, role, handler.
func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	c := &call{json: wantsJSON(r)}
	s.stats.update(func(st *Stats) { st.Requests++ })
	if !sleep(r.Context(), s.closing, time.Duration(s.latency.Load())) {
		s.fail(w, c, http.StatusServiceUnavailable, "The request was abandoned while the server was delaying it.")
		return
	}
	rt, id := matchRoute(r.URL.Path)
	if rt == nil {
		s.fail(w, c, http.StatusNotFound, fmt.Sprintf("Resource [%s] was not found.", r.URL.Path))
		return
	}
	key := r.Method + " " + rt.pattern
	s.stats.update(func(st *Stats) {
		if st.Routes == nil {
			st.Routes = make(map[string]int)
		}
		st.Routes[key]++
	})
	h := rt.methods[r.Method]
	if h == nil {
		w.Header().Set("Allow", rt.allow)
		s.fail(w, c, http.StatusMethodNotAllowed, fmt.Sprintf("Method [%s] is not allowed for [%s].", r.Method, rt.pattern))
		return
	}
	if rt.kind != routePublic && !s.injectFault(w, r, c, s.faults.decide(rt.kind == routeLogon)) {
		return
	}
	if rt.kind == routeResource {
		sess, ok := s.authenticate(w, r, c)
		if !ok {
			return
		}
		if sess.forbidden && !rt.ownSession {
			s.stats.update(func(st *Stats) { st.Forbidden++ })
			s.fail(w, c, http.StatusForbidden, fmt.Sprintf("Access denied. User [%s] has no Enterprise Manager role that allows this operation.", sess.user))
			return
		}
		c.sess = sess
	}
	if id != "" {
		if !isGUID(id) {
			s.fail(w, c, http.StatusBadRequest, fmt.Sprintf("Invalid ID [%s]: expected a GUID such as 88322206-a645-4aa3-9228-028ce51e7c0f.", id))
			return
		}
		c.id = strings.ToLower(id)
	}
	h(s, w, r, c)
}

// injectFault applies a fault decision and reports whether the request
// should go on.
func (s *Server) injectFault(w http.ResponseWriter, r *http.Request, c *call, d faultDecision) bool {
	if d.delay > 0 {
		s.stats.update(func(st *Stats) { st.Delays++; st.FaultsInjected++ })
		if !sleep(r.Context(), s.closing, d.delay) {
			s.fail(w, c, http.StatusServiceUnavailable, "The request was abandoned while the server was delaying it.")
			return false
		}
	}
	switch d.kind {
	case faultReset:
		s.stats.update(func(st *Stats) { st.Resets++; st.FaultsInjected++ })
		resetConnection(w)
		return false
	case faultError:
		s.stats.update(func(st *Stats) { st.InjectedErrors++; st.FaultsInjected++ })
		if d.retryAfter > 0 {
			w.Header().Set("Retry-After", retryAfterValue(d.retryAfter))
		}
		s.fail(w, c, d.status, fmt.Sprintf("Injected fault: %d %s.", d.status, http.StatusText(d.status)))
		return false
	}
	return true
}

// authenticate checks the request's session token.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request, c *call) (sessionInfo, bool) {
	sess, res := s.sessions.use(requestToken(r), s.cfg.clock())
	var msg string
	switch res {
	case authOK:
		return sess, true
	case authMissing:
		msg = "Authentication required. Log on with POST /api/sessionMngr/ and send the " + SessionHeader + " header."
	case authUnknown:
		msg = "The session was not found. It may have been closed or may have expired; log on again."
	case authExpired:
		msg = "The session has expired. Log on again."
		s.stats.update(func(st *Stats) { st.Expirations++ })
	}
	s.stats.update(func(st *Stats) { st.Unauthorized++ })
	w.Header().Set("WWW-Authenticate", "Basic Realm=RestSvc")
	s.fail(w, c, http.StatusUnauthorized, msg)
	return sessionInfo{}, false
}

// reply writes a document in the negotiated format.
func (s *Server) reply(w http.ResponseWriter, c *call, status int, body func(json bool) []byte) {
	b := body(c.json)
	h := w.Header()
	if c.json {
		h.Set("Content-Type", contentTypeJSON)
	} else {
		h.Set("Content-Type", contentTypeXML)
	}
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// fail writes an EM Error document.
func (s *Server) fail(w http.ResponseWriter, c *call, status int, msg string) {
	s.reply(w, c, status, func(json bool) []byte {
		if json {
			return s.render.errorJSON(status, msg)
		}
		return s.render.errorXML(status, msg)
	})
}

// xmlDoc renders a standalone XML document.
func (s *Server) xmlDoc(f func(w *xmlWriter)) []byte {
	w := s.render.xml()
	w.b = append(w.b, xmlHeader...)
	f(w)
	return w.b
}

func (s *Server) jsonDoc(f func(w *jsonWriter)) []byte {
	w := s.render.json()
	f(w)
	return w.b
}

// param returns the first value of a query parameter, its name matched
// case-insensitively (EM's parameters are).
func param(r *http.Request, name string) (string, bool) {
	for _, kv := range queryPairs(r.URL.RawQuery) {
		if strings.EqualFold(kv.key, name) {
			return kv.value, true
		}
	}
	return "", false
}

type queryPair struct{ key, value string }

// queryPairs splits a raw query into decoded pairs in their order.
// Undecodable escapes are kept verbatim.
func queryPairs(raw string) []queryPair {
	var out []queryPair
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		if dk, err := url.QueryUnescape(k); err == nil {
			k = dk
		}
		if dv, err := url.QueryUnescape(v); err == nil {
			v = dv
		}
		out = append(out, queryPair{k, v})
	}
	return out
}

// wantEntity reads ?format= of a single resource: "Entity" gives the
// entity, no format the reference. Other values are refused with 400.
func (s *Server) wantEntity(w http.ResponseWriter, r *http.Request, c *call) (entity, ok bool) {
	f, _ := param(r, "format")
	switch {
	case f == "":
		return false, true
	case strings.EqualFold(f, "Entity"):
		return true, true
	case strings.EqualFold(f, "Ref") || strings.EqualFold(f, "Reference") || strings.EqualFold(f, "EntityRef"):
		return false, true
	}
	s.fail(w, c, http.StatusBadRequest, fmt.Sprintf("Unsupported format [%s]; use format=Entity or no format.", f))
	return false, false
}

// ---- EnterpriseManager and logon sessions ----

func (s *Server) getRoot(w http.ResponseWriter, _ *http.Request, c *call) {
	s.reply(w, c, http.StatusOK, func(json bool) []byte {
		if json {
			return s.render.rootJSON()
		}
		return s.render.rootXML()
	})
}

func (s *Server) logon(w http.ResponseWriter, r *http.Request, c *call) {
	if v, ok := param(r, "v"); ok && !validVersion(v) {
		s.fail(w, c, http.StatusBadRequest, fmt.Sprintf("API version [%s] is not supported. Supported versions: latest, %s.", v, strings.Join(supportedVersions, ", ")))
		return
	}
	username, password, ok := r.BasicAuth()
	u, known := s.users[username]
	if !ok || !known || !checkPassword(password, u.password) {
		s.stats.update(func(st *Stats) { st.FailedLogons++ })
		w.Header().Set("WWW-Authenticate", "Basic Realm=RestSvc")
		s.fail(w, c, http.StatusUnauthorized, "Authentication failed. Check the user name and password.")
		return
	}
	sess, swept := s.sessions.create(username, u.forbidden, s.cfg.clock())
	s.stats.update(func(st *Stats) { st.Logons++; st.Expirations += swept })
	w.Header().Set(SessionHeader, sess.token)
	w.Header().Add("Set-Cookie", SessionHeader+"="+sess.token+"; Path=/api")
	s.reply(w, c, http.StatusCreated, s.logonBody(sess))
}

func validVersion(v string) bool {
	if strings.EqualFold(v, "latest") {
		return true
	}
	for _, sv := range supportedVersions {
		if strings.EqualFold(v, sv) {
			return true
		}
	}
	return false
}

func (s *Server) logonBody(sess sessionInfo) func(bool) []byte {
	return func(json bool) []byte {
		if json {
			return s.jsonDoc(func(w *jsonWriter) { s.render.logonJSON(w, sess) })
		}
		return s.xmlDoc(func(w *xmlWriter) { s.render.logonXML(w, sess, nsDefault) })
	}
}

func (s *Server) listLogonSessions(w http.ResponseWriter, _ *http.Request, c *call) {
	s.reply(w, c, http.StatusOK, func(json bool) []byte {
		if json {
			return s.jsonDoc(func(w *jsonWriter) {
				w.obj()
				w.key("LogonSessions")
				w.arr()
				s.render.logonJSON(w, c.sess)
				w.endArr()
				w.endObj()
			})
		}
		return s.xmlDoc(func(w *xmlWriter) {
			w.tag("LogonSessions", nsDefault, false)
			s.render.logonXML(w, c.sess, nsNone)
			w.end("LogonSessions")
		})
	})
}

func (s *Server) getLogonSession(w http.ResponseWriter, _ *http.Request, c *call) {
	if c.id != c.sess.id {
		s.fail(w, c, http.StatusNotFound, fmt.Sprintf("Logon session [%s] was not found.", c.id))
		return
	}
	s.reply(w, c, http.StatusOK, s.logonBody(c.sess))
}

func (s *Server) deleteLogonSession(w http.ResponseWriter, _ *http.Request, c *call) {
	if c.id != c.sess.id || !s.sessions.remove(c.sess.token) {
		s.fail(w, c, http.StatusNotFound, fmt.Sprintf("Logon session [%s] was not found.", c.id))
		return
	}
	s.stats.update(func(st *Stats) { st.Logouts++ })
	w.WriteHeader(http.StatusNoContent)
}

// ---- single resources ----

func (s *Server) notFound(w http.ResponseWriter, c *call, kind string) {
	s.fail(w, c, http.StatusNotFound, fmt.Sprintf("%s [%s] was not found.", kind, c.id))
}

func (s *Server) getTaskSession(w http.ResponseWriter, r *http.Request, c *call) {
	entity, ok := s.wantEntity(w, r, c)
	if !ok {
		return
	}
	s.store.mu.RLock()
	t := s.store.tasks[c.id]
	s.store.mu.RUnlock()
	if t == nil {
		s.notFound(w, c, "BackupTaskSession")
		return
	}
	s.reply(w, c, http.StatusOK, func(json bool) []byte {
		switch {
		case entity && json:
			return s.render.taskJSONFragment(t)
		case entity:
			return s.xmlDoc(func(w *xmlWriter) { s.render.taskEntityXML(w, t, nsFull) })
		case json:
			return s.render.taskRefJSONFragment(t)
		}
		return s.xmlDoc(func(w *xmlWriter) {
			s.render.refXML(w, "EntityRef", nsDefault, refDoc{typ: "BackupTaskSessionReference", href: "/api/backupTaskSessions/" + t.id, name: t.name, uid: t.uid(), links: taskRefLinks(t)})
		})
	})
}

func (s *Server) getJobSession(w http.ResponseWriter, r *http.Request, c *call) {
	getStored(s, w, r, c, "BackupJobSession", s.store.jobSessions,
		func(j *jobSessionRec) (func(*xmlWriter, nsMode), func(*jsonWriter)) {
			return func(w *xmlWriter, ns nsMode) { s.render.jobSessionXML(w, j, ns) },
				func(w *jsonWriter) { s.render.jobSessionJSON(w, j) }
		})
}

func (s *Server) getServer(w http.ResponseWriter, r *http.Request, c *call) {
	getStored(s, w, r, c, "BackupServer", s.store.servers,
		func(b *serverRec) (func(*xmlWriter, nsMode), func(*jsonWriter)) {
			return func(w *xmlWriter, ns nsMode) { s.render.serverXML(w, b, ns) },
				func(w *jsonWriter) { s.render.serverJSON(w, b) }
		})
}

func (s *Server) getRestorePoint(w http.ResponseWriter, r *http.Request, c *call) {
	getStored(s, w, r, c, "VmRestorePoint", s.store.restorePoints,
		func(p *restorePointRec) (func(*xmlWriter, nsMode), func(*jsonWriter)) {
			return func(w *xmlWriter, ns nsMode) { s.render.restorePointXML(w, p, ns) },
				func(w *jsonWriter) { s.render.restorePointJSON(w, p) }
		})
}

// getStored answers GET of a stored object of the given kind: its
// reference, or its entity with format=Entity, or 404. m is read under the
// store's lock; render gives the entity's XML and JSON writers.
func getStored[T interface{ ref() refDoc }](s *Server, w http.ResponseWriter, r *http.Request, c *call, kind string,
	m map[string]T, render func(T) (func(*xmlWriter, nsMode), func(*jsonWriter))) {
	entity, ok := s.wantEntity(w, r, c)
	if !ok {
		return
	}
	s.store.mu.RLock()
	v, found := m[c.id]
	s.store.mu.RUnlock()
	if !found {
		s.notFound(w, c, kind)
		return
	}
	entXML, entJSON := render(v)
	s.replyOne(w, c, entity, v.ref(), entXML, entJSON)
}

// replyOne answers a single resource as entity or reference.
func (s *Server) replyOne(w http.ResponseWriter, c *call, entity bool, ref refDoc, entXML func(*xmlWriter, nsMode), entJSON func(*jsonWriter)) {
	s.reply(w, c, http.StatusOK, func(json bool) []byte {
		switch {
		case entity && json:
			return s.jsonDoc(entJSON)
		case entity:
			return s.xmlDoc(func(w *xmlWriter) { entXML(w, nsFull) })
		case json:
			return s.jsonDoc(func(w *jsonWriter) { s.render.refJSON(w, ref) })
		}
		return s.xmlDoc(func(w *xmlWriter) { s.render.refXML(w, "EntityRef", nsDefault, ref) })
	})
}

// ---- lists ----

// taskSessionWindow is how far back GET /api/backupTaskSessions looks.
const taskSessionWindow = 30 * 24 * time.Hour

func (s *Server) listTaskSessions(w http.ResponseWriter, r *http.Request, c *call) {
	entity, ok := s.wantEntity(w, r, c)
	if !ok {
		return
	}
	cutoff := s.cfg.clock().Add(-taskSessionWindow)
	s.store.mu.RLock()
	i, _ := slices.BinarySearchFunc(s.store.order, cutoff, func(t *taskRec, c time.Time) int { return t.created.Compare(c) })
	tasks := slices.Clone(s.store.order[i:])
	s.store.mu.RUnlock()
	s.replyTasks(w, c, entity, tasks)
}

func (s *Server) listJobSessionTasks(w http.ResponseWriter, r *http.Request, c *call) {
	entity, ok := s.wantEntity(w, r, c)
	if !ok {
		return
	}
	s.store.mu.RLock()
	_, found := s.store.jobSessions[c.id]
	var tasks []*taskRec
	for _, t := range s.store.order {
		if t.jobSessionID == c.id {
			tasks = append(tasks, t)
		}
	}
	s.store.mu.RUnlock()
	if !found && len(tasks) == 0 {
		s.notFound(w, c, "BackupJobSession")
		return
	}
	s.replyTasks(w, c, entity, tasks)
}

// replyTasks answers a list of task sessions: EntityReferences, or a
// BackupTaskSessions list with format=Entity.
func (s *Server) replyTasks(w http.ResponseWriter, c *call, entity bool, tasks []*taskRec) {
	s.reply(w, c, http.StatusOK, func(json bool) []byte {
		if json {
			return s.jsonDoc(func(w *jsonWriter) {
				w.obj()
				if entity {
					w.key("BackupTaskSessions")
				} else {
					w.key("Refs")
				}
				w.arr()
				for _, t := range tasks {
					if entity {
						w.raw(s.render.taskJSONFragment(t))
					} else {
						w.raw(s.render.taskRefJSONFragment(t))
					}
				}
				w.endArr()
				w.endObj()
			})
		}
		return s.xmlDoc(func(w *xmlWriter) {
			root := "EntityReferences"
			if entity {
				root = "BackupTaskSessions"
			}
			w.tag(root, nsDefault, len(tasks) == 0)
			if len(tasks) == 0 {
				return
			}
			for _, t := range tasks {
				if entity {
					w.b = append(w.b, s.render.taskXMLFragment(t)...)
				} else {
					w.b = append(w.b, s.render.taskRefXMLFragment(t)...)
				}
			}
			w.end(root)
		})
	})
}

// listItem is one element of a list of job sessions, servers or restore
// points.
type listItem struct {
	ref     refDoc
	entXML  func(*xmlWriter, nsMode)
	entJSON func(*jsonWriter)
}

func (s *Server) replyList(w http.ResponseWriter, c *call, entity bool, root string, items []listItem) {
	s.reply(w, c, http.StatusOK, func(json bool) []byte {
		if json {
			return s.jsonDoc(func(w *jsonWriter) {
				w.obj()
				if entity {
					w.key(root)
				} else {
					w.key("Refs")
				}
				w.arr()
				for _, it := range items {
					if entity {
						it.entJSON(w)
					} else {
						s.render.refJSON(w, it.ref)
					}
				}
				w.endArr()
				w.endObj()
			})
		}
		return s.xmlDoc(func(w *xmlWriter) {
			if !entity {
				root = "EntityReferences"
			}
			w.tag(root, nsDefault, len(items) == 0)
			if len(items) == 0 {
				return
			}
			for _, it := range items {
				if entity {
					it.entXML(w, nsNone)
				} else {
					s.render.refXML(w, "Ref", nsNone, it.ref)
				}
			}
			w.end(root)
		})
	})
}

func (s *Server) listJobSessions(w http.ResponseWriter, r *http.Request, c *call) {
	entity, ok := s.wantEntity(w, r, c)
	if !ok {
		return
	}
	s.store.mu.RLock()
	recs := slices.Collect(maps.Values(s.store.jobSessions))
	s.store.mu.RUnlock()
	slices.SortFunc(recs, func(a, b *jobSessionRec) int {
		if c := a.created.Compare(b.created); c != 0 {
			return c
		}
		return strings.Compare(a.id, b.id)
	})
	items := make([]listItem, len(recs))
	for i, j := range recs {
		items[i] = listItem{ref: j.ref(),
			entXML:  func(w *xmlWriter, ns nsMode) { s.render.jobSessionXML(w, j, ns) },
			entJSON: func(w *jsonWriter) { s.render.jobSessionJSON(w, j) }}
	}
	s.replyList(w, c, entity, "BackupJobSessions", items)
}

func (s *Server) listServers(w http.ResponseWriter, r *http.Request, c *call) {
	entity, ok := s.wantEntity(w, r, c)
	if !ok {
		return
	}
	s.store.mu.RLock()
	recs := slices.Collect(maps.Values(s.store.servers))
	s.store.mu.RUnlock()
	slices.SortFunc(recs, func(a, b *serverRec) int { return strings.Compare(a.name+a.id, b.name+b.id) })
	items := make([]listItem, len(recs))
	for i, b := range recs {
		items[i] = listItem{ref: b.ref(),
			entXML:  func(w *xmlWriter, ns nsMode) { s.render.serverXML(w, b, ns) },
			entJSON: func(w *jsonWriter) { s.render.serverJSON(w, b) }}
	}
	s.replyList(w, c, entity, "BackupServers", items)
}

func (s *Server) listRestorePoints(w http.ResponseWriter, r *http.Request, c *call) {
	entity, ok := s.wantEntity(w, r, c)
	if !ok {
		return
	}
	s.store.mu.RLock()
	recs := slices.Collect(maps.Values(s.store.restorePoints))
	s.store.mu.RUnlock()
	slices.SortFunc(recs, func(a, b *restorePointRec) int {
		if c := a.created.Compare(b.created); c != 0 {
			return c
		}
		return strings.Compare(a.id, b.id)
	})
	items := make([]listItem, len(recs))
	for i, p := range recs {
		items[i] = listItem{ref: p.ref(),
			entXML:  func(w *xmlWriter, ns nsMode) { s.render.restorePointXML(w, p, ns) },
			entJSON: func(w *jsonWriter) { s.render.restorePointJSON(w, p) }}
	}
	s.replyList(w, c, entity, "VmRestorePoints", items)
}

// isGUID reports whether s is a GUID in 8-4-4-4-12 form, any letter case.
func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}
