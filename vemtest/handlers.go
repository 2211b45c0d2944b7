package vemtest

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vemkit/vem/internal/em"
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
	freeID     bool // {ID} is not a GUID (tasks are "task-1")
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

// anyID lets {ID} be any segment instead of a GUID.
func (rt *route) anyID() *route { rt.freeID = true; return rt }

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
	rs := []*route{
		newRoute("/api/", routePublic, get((*Server).getRoot)),
		newRoute("/api/sessionMngr/", routeLogon, map[string]handlerFunc{http.MethodPost: (*Server).logon}),
		logonSessions,
		logonSession,
		newRoute("/api/query", routeResource, get((*Server).query)),
	}
	for _, t := range entityTypes {
		rs = append(rs, t.routes()...)
	}
	return append(rs,
		childRoute(jobSessions, "taskSessions", taskSessions, func(st *store, id string) []*taskRec {
			var out []*taskRec
			for _, t := range st.order {
				if t.jobSessionID == id {
					out = append(out, t)
				}
			}
			return out
		}),
		childRoute(jobs, "backupSessions", jobSessions, func(st *store, id string) []*jobSessionRec {
			var out []*jobSessionRec
			for _, j := range jobSessions.all(st) {
				if jobID, _ := em.GUIDOf(j.jobUID); jobID == id {
					out = append(out, j)
				}
			}
			return out
		}),
		newRoute("/api/jobs/{ID}/includes", routeResource, get((*Server).listIncludes)),
		newRoute("/api/tasks/{ID}", routeResource, map[string]handlerFunc{
			http.MethodGet:    (*Server).getTask,
			http.MethodDelete: (*Server).deleteTask,
		}).anyID(),
	)
}

// routes is built once, at init; it is never modified.
var routes []*route

func init() {
	jobs.post = (*Server).jobAction
	jobSessions.post = (*Server).jobSessionAction
	routes = routeTable()
}

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
		s.advance(s.cfg.clock())
	}
	if id != "" && rt.freeID {
		c.id = id
	} else if id != "" {
		if !em.IsGUID(id) {
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
	s.replyList(w, c, "LogonSessions", "LogonSessions", 1, func(_ int, json bool) []byte {
		if json {
			return s.jsonDoc(func(w *jsonWriter) { s.render.logonJSON(w, c.sess) })
		}
		w := s.render.xml()
		s.render.logonXML(w, c.sess, nsNone)
		return w.b
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

// ---- entities ----

// notFound answers EM's 404 for an object of the given noun ("job").
func (s *Server) notFound(w http.ResponseWriter, c *call, noun string) {
	s.fail(w, c, http.StatusNotFound, notFoundMessage(noun, c.id))
}

func notFoundMessage(noun, id string) string { return fmt.Sprintf("Cannot find %s [%s]", noun, id) }

// childRoute serves a collection below an object of type parent: the
// records of child that pick returns for the parent's ID, or EM's 404 when
// the parent is unknown (and has no children).
func childRoute[P, C record](parent *entityType[P], suffix string, child *entityType[C], pick func(st *store, parentID string) []C) *route {
	h := func(s *Server, w http.ResponseWriter, r *http.Request, c *call) {
		child.listOf(s, w, r, c, func(st *store) ([]C, bool) {
			_, found := parent.lookup(st, c.id)
			recs := pick(st, c.id)
			return recs, found || len(recs) > 0
		}, parent.noun)
	}
	return newRoute(parent.path+"/{ID}/"+suffix, routeResource, map[string]handlerFunc{http.MethodGet: h})
}
