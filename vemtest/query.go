package vemtest

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vemkit/vem"
	"github.com/vemkit/vem/internal/em"
	"github.com/vemkit/vem/internal/emfilter"
)

// compile checks a parsed filter against the fields of query type qt and
// turns it into a predicate over records of t.
func compile[R record](t *entityType[R], e *emfilter.Expr) (func(*store, R) bool, error) {
	if e == nil {
		return nil, errors.New("empty filter")
	}
	switch e.Op {
	case emfilter.And, emfilter.Or:
		ps := make([]func(*store, R) bool, 0, len(e.Terms))
		for _, term := range e.Terms {
			p, err := compile(t, term)
			if err != nil {
				return nil, err
			}
			ps = append(ps, p)
		}
		want := e.Op == emfilter.Or // the value that decides early
		return func(st *store, r R) bool {
			for _, p := range ps {
				if p(st, r) == want {
					return want
				}
			}
			return !want
		}, nil
	}
	if !e.Op.IsComparison() {
		return nil, fmt.Errorf("unknown operator [%s]", e.Op)
	}
	f, g, err := t.queryField(e.Field)
	if err != nil {
		return nil, err
	}
	op, v := e.Op, e.Value
	switch f.Kind {
	case em.String, em.UIDField:
		if f.Kind == em.UIDField && em.IsGUID(v) {
			v = em.UID(f.UIDKind, v)
		}
		lv := strings.ToLower(v)
		return func(st *store, r R) bool {
			got := g.str(st, r)
			if op == emfilter.Eq || op == emfilter.Ne {
				return strings.EqualFold(got, v) == (op == emfilter.Eq)
			}
			return opHolds(op, strings.Compare(strings.ToLower(got), lv))
		}, nil
	case em.Time:
		if v == "" {
			if op != emfilter.Eq && op != emfilter.Ne {
				return nil, fmt.Errorf("field [%s]: an empty value (null) can only be compared with == or !=", f.Name)
			}
			return func(_ *store, r R) bool { return g.time(r).IsZero() == (op == emfilter.Eq) }, nil
		}
		want, err := parseFilterTime(v)
		if err != nil {
			return nil, fmt.Errorf("field [%s]: %w", f.Name, err)
		}
		return func(_ *store, r R) bool {
			got := g.time(r)
			if got.IsZero() { // null: only != holds
				return op == emfilter.Ne
			}
			return opHolds(op, got.Compare(want))
		}, nil
	case em.Int:
		want, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("field [%s]: invalid integer [%s]", f.Name, v)
		}
		return func(_ *store, r R) bool { return opHolds(op, cmp.Compare(g.int(r), want)) }, nil
	case em.Bool:
		want, err := strconv.ParseBool(v)
		if err != nil {
			return nil, fmt.Errorf("field [%s]: invalid boolean [%s]; use True or False", f.Name, v)
		}
		return func(_ *store, r R) bool { return opHolds(op, cmpBool(g.bool(r), want)) }, nil
	case em.Enum:
		want := enumIndex(f.Values, v)
		if want < 0 {
			return nil, fmt.Errorf("field [%s]: invalid value [%s]; one of %s", f.Name, v, strings.Join(f.Values, ", "))
		}
		return func(st *store, r R) bool { return opHolds(op, cmp.Compare(enumIndex(f.Values, g.str(st, r)), want)) }, nil
	}
	return nil, fmt.Errorf("field [%s] cannot be filtered", f.Name)
}

// queryField finds a query field of t by name, any case.
func (t *entityType[R]) queryField(name string) (em.Field, getter[R], error) {
	f, ok := t.query.Field(name)
	if !ok {
		return em.Field{}, getter[R]{}, fmt.Errorf("unknown field [%s] for type %s; known fields: %s", name, t.kind, strings.Join(t.query.FieldNames(), ", "))
	}
	return f, t.getters[strings.ToLower(f.Name)], nil
}

// enumIndex gives a value's position in values (any case), or -1 for a
// value the fake does not know: unknown values order before known ones.
func enumIndex(values []string, v string) int {
	for i, x := range values {
		if strings.EqualFold(x, v) {
			return i
		}
	}
	return -1
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case b:
		return -1
	}
	return 1
}

func opHolds(op emfilter.Op, c int) bool {
	switch op {
	case emfilter.Eq:
		return c == 0
	case emfilter.Ne:
		return c != 0
	case emfilter.Gt:
		return c > 0
	case emfilter.Ge:
		return c >= 0
	case emfilter.Lt:
		return c < 0
	case emfilter.Le:
		return c <= 0
	}
	return false
}

// parseFilterTime accepts RFC 3339 with or without zone and fraction
// (a time without zone is UTC), "2006-01-02 15:04:05" and a bare date.
func parseFilterTime(s string) (time.Time, error) {
	if t, ok := em.ParseTime(s); ok {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02 15:04:05.999999999", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("invalid time [%s]; use UTC in RFC 3339 form such as 2025-08-15T06:00:00Z", s)
}

// sortFunc returns a comparison of records by field f, ascending.
func sortFunc[R record](st *store, f em.Field, g getter[R]) func(a, b R) int {
	switch f.Kind {
	case em.Time:
		return func(a, b R) int { return g.time(a).Compare(g.time(b)) }
	case em.Int:
		return func(a, b R) int { return cmp.Compare(g.int(a), g.int(b)) }
	case em.Bool:
		return func(a, b R) int { return cmpBool(g.bool(a), g.bool(b)) }
	case em.Enum:
		return func(a, b R) int {
			return cmp.Compare(enumIndex(f.Values, g.str(st, a)), enumIndex(f.Values, g.str(st, b)))
		}
	}
	return func(a, b R) int {
		return strings.Compare(strings.ToLower(g.str(st, a)), strings.ToLower(g.str(st, b)))
	}
}

// queryRequest is a parsed GET /api/query.
type queryRequest struct {
	pairs    []queryPair
	res      resource
	entities bool
	filter   *emfilter.Expr
	sortBy   string
	desc     bool
	json     bool // answer in JSON
	pageSize int
	page     int
	sess     string // the logon session asking (tasks are its own)
}

func parseQuery(raw string) (*queryRequest, error) {
	q := &queryRequest{pairs: queryPairs(raw), pageSize: DefaultPageSize, page: 1}
	get := func(name string) (string, bool) {
		for _, kv := range q.pairs {
			if strings.EqualFold(kv.key, name) {
				return kv.value, true
			}
		}
		return "", false
	}
	typ, _ := get("type")
	if typ == "" {
		return nil, fmt.Errorf("the query has no type; use one of type=%s", strings.Join(queryTypeNames(), ", type="))
	}
	if q.res = queryResource(typ); q.res == nil {
		return nil, fmt.Errorf("query type [%s] is not supported by this server; use one of type=%s", typ, strings.Join(queryTypeNames(), ", type="))
	}
	switch f, _ := get("format"); {
	case f == "" || strings.EqualFold(f, "References") || strings.EqualFold(f, "Refs"):
	case strings.EqualFold(f, "Entities"):
		q.entities = true
	default:
		return nil, fmt.Errorf("query format [%s] is not supported; use format=Entities or no format (references)", f)
	}
	if expr, _ := get("filter"); strings.TrimSpace(expr) != "" {
		e, err := emfilter.Parse(expr)
		if err != nil {
			return nil, err
		}
		q.filter = e
	}
	asc, hasAsc := get("sortAsc")
	desc, hasDesc := get("sortDesc")
	if hasAsc && hasDesc {
		return nil, errors.New("give sortAsc or sortDesc, not both")
	}
	if hasAsc || hasDesc {
		q.sortBy = asc
		if hasDesc {
			q.sortBy, q.desc = desc, true
		}
	}
	for _, p := range []struct {
		name string
		dst  *int
	}{{"pageSize", &q.pageSize}, {"page", &q.page}} {
		v, ok := get(p.name)
		if !ok {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("invalid %s [%s]: a whole number of at least 1 is required", p.name, v)
		}
		*p.dst = n
	}
	return q, nil
}

// queryPage is one page of a query result, its fragments already rendered.
type queryPage struct {
	frags [][]byte
	size  int // total bytes of frags
	pages int
}

// runQuery filters, sorts and pages the records of t that the query
// service sees.
func (t *entityType[R]) runQuery(s *Server, q *queryRequest) (*queryPage, error) {
	var pred func(*store, R) bool
	if q.filter != nil {
		p, err := compile(t, q.filter)
		if err != nil {
			return nil, err
		}
		pred = p
	}
	var less func(a, b R) int
	byCreation := false
	st := s.store
	if q.sortBy != "" {
		f, g, err := t.queryField(q.sortBy)
		if err != nil {
			return nil, err
		}
		byCreation = t.byCreation && f.Name == "CreationTime"
		less = sortFunc(st, f, g)
	}
	now := s.cfg.clock()
	st.mu.RLock()
	all := t.all(st)
	if t.queryAll != nil {
		all = t.queryAll(s, q)
	}
	matches := all[:0:0]
	for _, r := range all {
		if (t.collected == nil || t.collected(r, now)) && (pred == nil || pred(st, r)) {
			matches = append(matches, r)
		}
	}
	// The default order is by CreationTime; other sorts are stable on top
	// of it.
	switch {
	case less == nil:
	case byCreation:
		if q.desc {
			slices.Reverse(matches)
		}
	case q.desc:
		slices.SortStableFunc(matches, func(a, b R) int { return less(b, a) })
	default:
		slices.SortStableFunc(matches, less)
	}
	st.mu.RUnlock()

	// Written so that no product or sum can overflow, whatever the
	// request's pageSize and page.
	total, pages := len(matches), 1
	if total > 0 {
		pages = (total-1)/q.pageSize + 1
	}
	var page []R
	if q.page <= pages && total > 0 {
		start := (q.page - 1) * q.pageSize // < total
		page = matches[start : start+min(q.pageSize, total-start)]
	}
	out := &queryPage{frags: make([][]byte, len(page)), pages: pages}
	for i, r := range page {
		out.frags[i] = t.fragment(s.render, r, q.entities, q.json)
		out.size += len(out.frags[i])
	}
	return out, nil
}

func (s *Server) query(w http.ResponseWriter, r *http.Request, c *call) {
	q, err := parseQuery(r.URL.RawQuery)
	if err != nil {
		s.fail(w, c, http.StatusBadRequest, err.Error())
		return
	}
	q.json = c.json
	q.sess = c.sess.id
	p, err := q.res.runQuery(s, q)
	if err != nil {
		s.fail(w, c, http.StatusBadRequest, err.Error())
		return
	}
	links := s.pagingLinks(q, p.pages)
	s.reply(w, c, http.StatusOK, func(json bool) []byte {
		if json {
			return s.queryJSON(q, p, links)
		}
		return s.queryXML(q, p, links)
	})
}

// pagingLinks builds First, Previous (from page 2), Next (when there is a
// next page) and Last, each the request's own query with page replaced
// (pageSize and page appended when the request had none).
func (s *Server) pagingLinks(q *queryRequest, pages int) []linkSpec {
	href := func(page int) string {
		pairs := slices.Clone(q.pairs)
		set := func(name string, v int) {
			for i := range pairs {
				if strings.EqualFold(pairs[i].key, name) {
					pairs[i].value = strconv.Itoa(v)
					return
				}
			}
			pairs = append(pairs, queryPair{name, strconv.Itoa(v)})
		}
		set("pageSize", q.pageSize)
		set("page", page)
		var b strings.Builder
		b.WriteString("/api/query?")
		for i, kv := range pairs {
			if i > 0 {
				b.WriteByte('&')
			}
			b.WriteString(urlEncode(kv.key))
			b.WriteByte('=')
			b.WriteString(urlEncode(kv.value))
		}
		return b.String()
	}
	links := []linkSpec{{Rel: vem.RelFirst, Href: href(1)}}
	if q.page > 1 {
		links = append(links, linkSpec{Rel: "Previous", Href: href(min(q.page-1, pages))})
	}
	if q.page < pages {
		links = append(links, linkSpec{Rel: vem.RelNext, Href: href(q.page + 1)})
	}
	return append(links, linkSpec{Rel: vem.RelLast, Href: href(pages)})
}

// urlEncode escapes a query component as .NET's HttpUtility.UrlEncode does,
// which is what EM writes in its PagingInfo links: letters, digits and
// -_.!*() stay, a space becomes "+", everything else is %xx in lower case.
func urlEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '-', c == '_', c == '.', c == '!', c == '*', c == '(', c == ')':
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&0xF])
		}
	}
	return b.String()
}

func (s *Server) queryXML(q *queryRequest, p *queryPage, links []linkSpec) []byte {
	w := &xmlWriter{b: make([]byte, 0, p.size+2048)}
	w.b = append(w.b, xmlHeader...)
	w.tag("QueryResult", nsDefault, false)
	list := "Refs"
	if q.entities {
		w.tag(q.res.containerName(), nsNone, false)
		list = q.res.collection()
	}
	w.tag(list, nsNone, len(p.frags) == 0)
	if len(p.frags) > 0 {
		for _, f := range p.frags {
			w.b = append(w.b, f...)
		}
		w.end(list)
	}
	if q.entities {
		w.end(q.res.containerName())
	}
	w.tag("PagingInfo", nsNone, false,
		"PagesCount", strconv.Itoa(p.pages),
		"PageSize", strconv.Itoa(q.pageSize),
		"PageNum", strconv.Itoa(q.page))
	w.links(s.render.base, links)
	w.end("PagingInfo")
	w.end("QueryResult")
	return w.b
}

// queryEntityCollections are the collections of EM 12's QueryResult
// Entities object, in its order; all but the one queried are null.
var queryEntityCollections = []string{
	"Jobs", "FailoverPlans", "Backups", "Replicas", "Repositories", "RestorePoints", "VmRestorePoints",
	"VAppRestorePoints", "VmReplicaPoints", "BackupJobSessions", "ReplicaJobSessions", "ReplicaTaskSessions",
	"RestoreSessions", "HierarchyRoots", "BackupTaskSessions", "BackupServers", "ManagedServers",
	"EnterpiseRoles", "EnterpiseAccounts", "WanAccelerators", "CloudGateways", "CloudTenants", "CloudReplicas",
	"VCloudOrganizationConfigs", "BackupFiles", "VSphereSelfServiceConfigs", "CloudPublicIps",
	"CloudHardwarePlans", "CloudVmReplicaPoints", "AgentRestorePoints", "AgentBackupJob", "CloudGatewayPools",
	"CloudFailoverPlans", "ExternalRepositories", "VlanConfigurations", "CloudFailoverSessions",
	"AgentProtectionGroups", "DiscoveredComputers", "FileServers", "NASJobs", "CdpReplicas", "CdpReplicaVms",
	"CdpPolicies", "CdpReplicaSessions", "CdpReplicaTaskSessions", "VAppReplicaPoints", "VmCdpReplicas",
	"VAppCdpReplicas", "VAppCdpReplicaVms", "SystemSessions",
}

func (s *Server) queryJSON(q *queryRequest, p *queryPage, links []linkSpec) []byte {
	w := &jsonWriter{b: make([]byte, 0, p.size+len(p.frags)+4096), camel: s.render.camel}
	list := func(key string) {
		w.key(key)
		w.obj()
		w.key(key)
		w.arr()
		for _, f := range p.frags {
			w.raw(f)
		}
		w.endArr()
		w.endObj()
	}
	w.obj()
	switch {
	case q.entities && q.res.containerName() == "Resources":
		// Tasks and NAS objects: {"Resources":{"Tasks":{"Tasks":[...]}}}
		w.key("Refs")
		w.null()
		w.key("Entities")
		w.null()
		w.key("Resources")
		w.obj()
		list(q.res.collection())
		w.endObj()
	case q.entities:
		w.key("Refs")
		w.null()
		w.key("Entities")
		w.obj()
		found := false
		for _, name := range queryEntityCollections {
			if name == q.res.collection() {
				list(name)
				found = true
				continue
			}
			w.key(name)
			w.null()
		}
		if !found {
			list(q.res.collection())
		}
		w.endObj()
		w.key("Resources")
		w.null()
	default:
		list("Refs")
		w.key("Entities")
		w.null()
		w.key("Resources")
		w.null()
	}
	w.key("Links")
	w.null()
	w.key("PagingInfo")
	w.obj()
	w.links(s.render.base, links)
	w.kint("PageNum", int64(q.page))
	w.kint("PageSize", int64(q.pageSize))
	w.kint("PagesCount", int64(p.pages))
	w.endObj()
	w.endObj()
	return w.b
}
