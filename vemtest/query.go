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
)

// Enum orders used by filters (">", "<", ...) and sorting: a value compares
// by its index in these lists. Result follows Veeam's own enum (None=-1,
// Success=0, Warning=1, Failed=2), so "Result>Success" means Warning or
// Failed. State follows the order in which the EM documentation lists the
// task states. Values the fake does not know order before all known ones.

// StateOrder returns the order of task session states in filters and sorts:
// InProgress, Pending, Completed.
func StateOrder() []vem.State {
	return []vem.State{vem.StateInProgress, vem.StatePending, vem.StateCompleted}
}

// ResultOrder returns the order of results in filters and sorts: None,
// Success, Warning, Failed.
func ResultOrder() []vem.Result {
	return []vem.Result{vem.ResultNone, vem.ResultSuccess, vem.ResultWarning, vem.ResultFailed}
}

// stateIndex and resultIndex give a value's index in StateOrder or
// ResultOrder, or -1 for a value the fake does not know.
func stateIndex(s string) int {
	for i, v := range [...]vem.State{vem.StateInProgress, vem.StatePending, vem.StateCompleted} {
		if strings.EqualFold(string(v), s) {
			return i
		}
	}
	return -1
}

func resultIndex(s string) int {
	for i, v := range resultOrderNames {
		if strings.EqualFold(string(v), s) {
			return i
		}
	}
	return -1
}

type fieldKind int

const (
	kindString fieldKind = iota
	kindUID
	kindTime
	kindInt
	kindState
	kindResult
)

// taskField is a BackupTaskSession field the query service can filter and
// sort on. Exactly one getter is set, matching kind.
type taskField struct {
	name    string
	kind    fieldKind
	uidKind string // kindUID: the kind bare GUIDs are expanded to
	str     func(st *store, t *taskRec) string
	time    func(t *taskRec) time.Time // the zero time is null
	int     func(t *taskRec) int64
}

// BackupTaskSessionFields returns the fields the query service accepts for
// type=BackupTaskSession in filter, sortAsc and sortDesc (matched
// case-insensitively): UID, Name, CreationTime, EndTime, State, Result,
// Reason, TotalSize, JobSessionUid, JobUid, JobName, BackupServerUid,
// BackupServerName, VmDisplayName.
func BackupTaskSessionFields() []string {
	return []string{
		"UID", "Name", "CreationTime", "EndTime", "State", "Result", "Reason", "TotalSize",
		"JobSessionUid", "JobUid", "JobName", "BackupServerUid", "BackupServerName", "VmDisplayName",
	}
}

func taskFieldTable() map[string]*taskField {
	fs := []*taskField{
		{name: "UID", kind: kindUID, uidKind: vem.KindBackupTaskSession, str: func(_ *store, t *taskRec) string { return t.uid() }},
		{name: "Name", kind: kindString, str: func(_ *store, t *taskRec) string { return t.name }},
		{name: "CreationTime", kind: kindTime, time: func(t *taskRec) time.Time { return t.created }},
		{name: "EndTime", kind: kindTime, time: func(t *taskRec) time.Time { return t.ended }},
		{name: "State", kind: kindState, str: func(_ *store, t *taskRec) string { return t.state }},
		{name: "Result", kind: kindResult, str: func(_ *store, t *taskRec) string { return t.result }},
		{name: "Reason", kind: kindString, str: func(_ *store, t *taskRec) string { return t.reason }},
		{name: "TotalSize", kind: kindInt, int: func(t *taskRec) int64 { return t.totalSize }},
		{name: "JobSessionUid", kind: kindUID, uidKind: vem.KindBackupJobSession, str: func(_ *store, t *taskRec) string { return t.jobSessionUID }},
		{name: "JobUid", kind: kindUID, uidKind: "Job", str: func(st *store, t *taskRec) string { u, _ := st.jobOf(t); return u }},
		{name: "JobName", kind: kindString, str: func(st *store, t *taskRec) string { _, n := st.jobOf(t); return n }},
		{name: "BackupServerUid", kind: kindUID, uidKind: vem.KindBackupServer, str: func(_ *store, t *taskRec) string {
			if t.serverID == "" {
				return ""
			}
			return uidOf(vem.KindBackupServer, t.serverID)
		}},
		{name: "BackupServerName", kind: kindString, str: func(st *store, t *taskRec) string { return st.serverNameOf(t) }},
		{name: "VmDisplayName", kind: kindString, str: func(_ *store, t *taskRec) string { return t.vmDisplayName }},
	}
	m := make(map[string]*taskField, len(fs))
	for _, f := range fs {
		m[strings.ToLower(f.name)] = f
	}
	return m
}

// taskFields is built once and never modified.
var taskFields = taskFieldTable()

func lookupTaskField(name string) (*taskField, error) {
	if f, ok := taskFields[strings.ToLower(name)]; ok {
		return f, nil
	}
	return nil, fmt.Errorf("unknown field [%s] for type BackupTaskSession; known fields: %s", name, strings.Join(BackupTaskSessionFields(), ", "))
}

// predicate is a compiled filter. It runs with the store's read lock held.
type predicate func(st *store, t *taskRec) bool

// compileFilter checks a parsed filter against the BackupTaskSession fields
// and turns it into a predicate.
func compileFilter(e *FilterExpr) (predicate, error) {
	if e == nil {
		return nil, errors.New("empty filter")
	}
	switch e.Op {
	case FilterAnd, FilterOr:
		ps := make([]predicate, 0, len(e.Terms))
		for _, t := range e.Terms {
			p, err := compileFilter(t)
			if err != nil {
				return nil, err
			}
			ps = append(ps, p)
		}
		if e.Op == FilterAnd {
			return func(st *store, t *taskRec) bool {
				for _, p := range ps {
					if !p(st, t) {
						return false
					}
				}
				return true
			}, nil
		}
		return func(st *store, t *taskRec) bool {
			for _, p := range ps {
				if p(st, t) {
					return true
				}
			}
			return false
		}, nil
	}
	if !e.Op.IsComparison() {
		return nil, fmt.Errorf("unknown operator [%s]", e.Op)
	}
	f, err := lookupTaskField(e.Field)
	if err != nil {
		return nil, err
	}
	op, v := e.Op, e.Value
	switch f.kind {
	case kindString, kindUID:
		if f.kind == kindUID && isGUID(v) {
			v = uidOf(f.uidKind, v)
		}
		lv := strings.ToLower(v)
		return func(st *store, t *taskRec) bool {
			got := f.str(st, t)
			if op == FilterEq || op == FilterNe {
				return strings.EqualFold(got, v) == (op == FilterEq)
			}
			return opHolds(op, strings.Compare(strings.ToLower(got), lv))
		}, nil
	case kindTime:
		if v == "" {
			if op != FilterEq && op != FilterNe {
				return nil, fmt.Errorf("field [%s]: an empty value (null) can only be compared with == or !=", f.name)
			}
			return func(_ *store, t *taskRec) bool { return f.time(t).IsZero() == (op == FilterEq) }, nil
		}
		want, err := parseFilterTime(v)
		if err != nil {
			return nil, fmt.Errorf("field [%s]: %w", f.name, err)
		}
		return func(_ *store, t *taskRec) bool {
			got := f.time(t)
			if got.IsZero() { // null: only != holds
				return op == FilterNe
			}
			return opHolds(op, got.Compare(want))
		}, nil
	case kindInt:
		want, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("field [%s]: invalid integer [%s]", f.name, v)
		}
		return func(_ *store, t *taskRec) bool { return opHolds(op, cmp.Compare(f.int(t), want)) }, nil
	case kindState, kindResult:
		index, names := stateIndex, fmt.Sprint(StateOrder())
		if f.kind == kindResult {
			index, names = resultIndex, fmt.Sprint(ResultOrder())
		}
		want := index(v)
		if want < 0 {
			return nil, fmt.Errorf("field [%s]: invalid value [%s]; one of %s", f.name, v, names)
		}
		return func(st *store, t *taskRec) bool { return opHolds(op, cmp.Compare(index(f.str(st, t)), want)) }, nil
	}
	return nil, fmt.Errorf("field [%s] cannot be filtered", f.name)
}

func opHolds(op FilterOp, c int) bool {
	switch op {
	case FilterEq:
		return c == 0
	case FilterNe:
		return c != 0
	case FilterGt:
		return c > 0
	case FilterGe:
		return c >= 0
	case FilterLt:
		return c < 0
	case FilterLe:
		return c <= 0
	}
	return false
}

// parseFilterTime accepts RFC 3339 with or without zone and fraction
// (a time without zone is UTC), "2006-01-02 15:04:05" and a bare date.
func parseFilterTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("invalid time [%s]; use UTC in RFC 3339 form such as 2025-08-15T06:00:00Z", s)
}

// sortFunc returns a comparison of tasks by field f, ascending.
func sortFunc(st *store, f *taskField) func(a, b *taskRec) int {
	switch f.kind {
	case kindTime:
		return func(a, b *taskRec) int { return f.time(a).Compare(f.time(b)) }
	case kindInt:
		return func(a, b *taskRec) int { return cmp.Compare(f.int(a), f.int(b)) }
	case kindState:
		return func(a, b *taskRec) int { return cmp.Compare(stateIndex(f.str(st, a)), stateIndex(f.str(st, b))) }
	case kindResult:
		return func(a, b *taskRec) int { return cmp.Compare(resultIndex(f.str(st, a)), resultIndex(f.str(st, b))) }
	}
	return func(a, b *taskRec) int {
		return strings.Compare(strings.ToLower(f.str(st, a)), strings.ToLower(f.str(st, b)))
	}
}

// queryRequest is a parsed GET /api/query.
type queryRequest struct {
	pairs    []queryPair
	entities bool
	filter   predicate
	sortBy   *taskField
	desc     bool
	pageSize int
	page     int
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
	switch {
	case typ == "":
		return nil, errors.New("the query has no type; use type=BackupTaskSession")
	case !strings.EqualFold(typ, vem.KindBackupTaskSession):
		return nil, fmt.Errorf("query type [%s] is not supported by this server; use type=BackupTaskSession", typ)
	}
	switch f, _ := get("format"); {
	case f == "" || strings.EqualFold(f, "References") || strings.EqualFold(f, "Refs"):
	case strings.EqualFold(f, "Entities"):
		q.entities = true
	default:
		return nil, fmt.Errorf("query format [%s] is not supported; use format=Entities or no format (references)", f)
	}
	if expr, _ := get("filter"); strings.TrimSpace(expr) != "" {
		e, err := ParseFilter(expr)
		if err != nil {
			return nil, err
		}
		if q.filter, err = compileFilter(e); err != nil {
			return nil, err
		}
	}
	asc, hasAsc := get("sortAsc")
	desc, hasDesc := get("sortDesc")
	if hasAsc && hasDesc {
		return nil, errors.New("give sortAsc or sortDesc, not both")
	}
	if hasAsc || hasDesc {
		name := asc
		if hasDesc {
			name, q.desc = desc, true
		}
		f, err := lookupTaskField(name)
		if err != nil {
			return nil, err
		}
		q.sortBy = f
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

func (s *Server) query(w http.ResponseWriter, r *http.Request, c *call) {
	q, err := parseQuery(r.URL.RawQuery)
	if err != nil {
		s.fail(w, c, http.StatusBadRequest, err.Error())
		return
	}
	st := s.store
	st.mu.RLock()
	var matches []*taskRec
	if q.filter == nil {
		matches = slices.Clone(st.order)
	} else {
		for _, t := range st.order {
			if q.filter(st, t) {
				matches = append(matches, t)
			}
		}
	}
	// st.order is by CreationTime; other sorts are stable on top of it.
	switch {
	case q.sortBy == nil:
	case q.sortBy.name == "CreationTime":
		if q.desc {
			slices.Reverse(matches)
		}
	default:
		less := sortFunc(st, q.sortBy)
		if q.desc {
			slices.SortStableFunc(matches, func(a, b *taskRec) int { return less(b, a) })
		} else {
			slices.SortStableFunc(matches, less)
		}
	}
	st.mu.RUnlock()

	// Written so that no product or sum can overflow, whatever the
	// request's pageSize and page.
	total, pages := len(matches), 1
	if total > 0 {
		pages = (total-1)/q.pageSize + 1
	}
	var page []*taskRec
	if q.page <= pages && total > 0 {
		start := (q.page - 1) * q.pageSize // < total
		page = matches[start : start+min(q.pageSize, total-start)]
	}
	links := s.pagingLinks(q, pages)
	s.reply(w, c, http.StatusOK, func(json bool) []byte {
		if json {
			return s.queryJSON(q, page, pages, links)
		}
		return s.queryXML(q, page, pages, links)
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

// fragments returns the cached fragments of a page and their total size,
// so that the document is allocated once.
func fragments(page []*taskRec, frag func(*taskRec) []byte) ([][]byte, int) {
	out := make([][]byte, len(page))
	n := 0
	for i, t := range page {
		out[i] = frag(t)
		n += len(out[i])
	}
	return out, n
}

func (s *Server) queryXML(q *queryRequest, page []*taskRec, pages int, links []linkSpec) []byte {
	frag := s.render.taskRefXMLFragment
	if q.entities {
		frag = s.render.taskXMLFragment
	}
	frags, size := fragments(page, frag)
	w := &xmlWriter{b: make([]byte, 0, size+2048)}
	w.b = append(w.b, xmlHeader...)
	w.tag("QueryResult", nsDefault, false)
	list := "Refs"
	if q.entities {
		w.tag("Entities", nsNone, false)
		list = "BackupTaskSessions"
	}
	w.tag(list, nsNone, len(page) == 0)
	if len(page) > 0 {
		for _, f := range frags {
			w.b = append(w.b, f...)
		}
		w.end(list)
	}
	if q.entities {
		w.end("Entities")
	}
	w.tag("PagingInfo", nsNone, false,
		"PagesCount", strconv.Itoa(pages),
		"PageSize", strconv.Itoa(q.pageSize),
		"PageNum", strconv.Itoa(q.page))
	w.links(s.render.base, links)
	w.end("PagingInfo")
	w.end("QueryResult")
	return w.b
}

// queryEntityCollections are the collections of EM 12's QueryResult
// Entities object, in its order; all but BackupTaskSessions are null here.
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

func (s *Server) queryJSON(q *queryRequest, page []*taskRec, pages int, links []linkSpec) []byte {
	frag := s.render.taskRefJSONFragment
	if q.entities {
		frag = s.render.taskJSONFragment
	}
	frags, size := fragments(page, frag)
	w := &jsonWriter{b: make([]byte, 0, size+len(page)+4096), camel: s.render.camel}
	list := func(key string) {
		w.key(key)
		w.obj()
		w.key(key)
		w.arr()
		for _, f := range frags {
			w.raw(f)
		}
		w.endArr()
		w.endObj()
	}
	w.obj()
	if q.entities {
		w.key("Refs")
		w.null()
		w.key("Entities")
		w.obj()
		for _, name := range queryEntityCollections {
			if name == "BackupTaskSessions" {
				list(name)
				continue
			}
			w.key(name)
			w.null()
		}
		w.endObj()
	} else {
		list("Refs")
		w.key("Entities")
		w.null()
	}
	w.key("Resources")
	w.null()
	w.key("Links")
	w.null()
	w.key("PagingInfo")
	w.obj()
	w.links(s.render.base, links)
	w.kint("PageNum", int64(q.page))
	w.kint("PageSize", int64(q.pageSize))
	w.kint("PagesCount", int64(pages))
	w.endObj()
	w.endObj()
	return w.b
}
