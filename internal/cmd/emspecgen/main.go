// Command emspecgen extracts internal/emspec/spec.json from Enterprise
// Manager's reference pages (../shared/reference/em-docs: each query type's
// filter fields, each entity page's Parameters and Links tables and the
// root element of its example) and from the samples next to them (element
// order and fields the pages leave out), then applies the hand-made
// corrections in fixes.go. It is run by hand when the reference changes:
//
//	go run ./internal/cmd/emspecgen -ref ../shared/reference
//
// and its output is reviewed and committed; the generator
// (internal/cmd/vemgen) reads only the committed spec.
package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/vemkit/vem/internal/emspec"
)

func main() {
	ref := flag.String("ref", "../shared/reference", "the reference directory (em-docs, samples)")
	out := flag.String("o", "internal/emspec/spec.json", "output file")
	flag.Parse()
	s, err := extract(*ref)
	if err != nil {
		log.Fatal(err)
	}
	b, err := Marshal(s)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, b, 0o644); err != nil {
		log.Fatal(err)
	}
}

// Marshal renders the spec as committed: indented, one field a line.
func Marshal(s *emspec.Spec) ([]byte, error) {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// queryTypes are the 49 query types with the Go names issue 17 fixed.
var queryTypes = []struct{ em, goName, goPlural string }{
	{"AgentBackupJob", "AgentBackupJob", "AgentBackupJobs"},
	{"AgentProtectionGroup", "AgentProtectionGroup", "AgentProtectionGroups"},
	{"AgentRestorePoint", "AgentRestorePoint", "AgentRestorePoints"},
	{"Backup", "Backup", "Backups"},
	{"BackupFile", "BackupFile", "BackupFiles"},
	{"BackupJobSession", "BackupJobSession", "BackupJobSessions"},
	{"BackupServer", "BackupServer", "BackupServers"},
	{"BackupTaskSession", "BackupTaskSession", "BackupTaskSessions"},
	{"CdpPolicy", "CDPPolicy", "CDPPolicies"},
	{"CdpReplica", "CDPReplica", "CDPReplicas"},
	{"CdpReplicaSession", "CDPReplicaSession", "CDPReplicaSessions"},
	{"CdpReplicaTaskSession", "CDPReplicaTaskSession", "CDPReplicaTaskSessions"},
	{"CloudFailoverPlan", "CloudFailoverPlan", "CloudFailoverPlans"},
	{"CloudFailoverSession", "CloudFailoverSession", "CloudFailoverSessions"},
	{"CloudGateway", "CloudGateway", "CloudGateways"},
	{"CloudGatewayPool", "CloudGatewayPool", "CloudGatewayPools"},
	{"CloudHardwarePlan", "CloudHardwarePlan", "CloudHardwarePlans"},
	{"CloudPublicIpAddress", "CloudPublicIPAddress", "CloudPublicIPAddresses"},
	{"CloudReplica", "CloudReplica", "CloudReplicas"},
	{"CloudSubtenant", "CloudSubtenant", "CloudSubtenants"},
	{"CloudTenant", "CloudTenant", "CloudTenants"},
	{"CloudVmReplicaPoint", "CloudVMReplicaPoint", "CloudVMReplicaPoints"},
	{"Credentials", "Credentials", "Credentials"},
	{"DiscoveredComputer", "DiscoveredComputer", "DiscoveredComputers"},
	{"FailoverPlan", "FailoverPlan", "FailoverPlans"},
	{"FileServer", "FileServer", "FileServers"},
	{"HierarchyRoot", "HierarchyRoot", "HierarchyRoots"},
	{"Job", "Job", "Jobs"},
	{"ManagedServer", "ManagedServer", "ManagedServers"},
	{"NasJob", "NASJob", "NASJobs"},
	{"NasObject", "NASObject", "NASObjects"},
	{"ObjectInAgentBackupJob", "AgentBackupJobInclude", "AgentBackupJobIncludes"},
	{"ObjectInJob", "JobInclude", "JobIncludes"},
	{"Passwords", "Password", "Passwords"},
	{"Replica", "Replica", "Replicas"},
	{"ReplicaJobSession", "ReplicaJobSession", "ReplicaJobSessions"},
	{"ReplicaTaskSession", "ReplicaTaskSession", "ReplicaTaskSessions"},
	{"Repository", "Repository", "Repositories"},
	{"RestorePoint", "RestorePoint", "RestorePoints"},
	{"RestoreSession", "RestoreSession", "RestoreSessions"},
	{"Task", "Task", "Tasks"},
	{"vAppReplicaPoint", "VAppReplicaPoint", "VAppReplicaPoints"},
	{"vAppRestorePoint", "VAppRestorePoint", "VAppRestorePoints"},
	{"VCloudOrganizationConfig", "VCloudOrganizationConfig", "VCloudOrganizationConfigs"},
	{"VlanConfiguration", "VLANConfiguration", "VLANConfigurations"},
	{"VmReplicaPoint", "VMReplicaPoint", "VMReplicaPoints"},
	{"VmRestorePoint", "VMRestorePoint", "VMRestorePoints"},
	{"VsphereSelfServiceConfig", "VSphereSelfServiceConfig", "VSphereSelfServiceConfigs"},
	{"WanAccelerator", "WANAccelerator", "WANAccelerators"},
}

type page struct {
	name, title string
	lines       []string
}

func readPage(dir, name string) (*page, error) {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return nil, err
	}
	p := &page{name: name, lines: strings.Split(string(b), "\n")}
	for _, l := range p.lines {
		if t, ok := strings.CutPrefix(l, "title: "); ok {
			p.title = strings.Trim(t, `"`)
			break
		}
	}
	return p, nil
}

// table returns the rows of the first table whose header starts with
// header, or of the n-th (0-based) such table.
func (p *page) table(header string, n int) [][]string {
	var rows [][]string
	in := false
	for _, l := range p.lines {
		if !in {
			if strings.HasPrefix(l, header) {
				if n == 0 {
					in = true
				}
				n--
			}
			continue
		}
		if !strings.HasPrefix(l, "|") {
			if len(rows) > 0 {
				break
			}
			continue
		}
		if strings.HasPrefix(l, "| ---") {
			continue
		}
		cells := strings.Split(strings.Trim(l, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		rows = append(rows, cells)
	}
	return rows
}

var (
	detailsRe = regexp.MustCompile(`For details, see \[[^\]]*\]\(([a-z_0-9]+\.md)\)`)
	mdLinkRe  = regexp.MustCompile(`\(([a-z_0-9]+\.md)\)`)
	valuesRe  = regexp.MustCompile(`Possible values:(.*)`)
	rootRe    = regexp.MustCompile(`Response Body:\s*(<[A-Za-z][^>]*>)`)
	attrRe    = regexp.MustCompile(`([A-Za-z:]+)="([^"]*)"`)
)

func (p *page) text() string { return strings.Join(p.lines, "\n") }

// related returns the pages the Related Resources section links to.
func (p *page) related() []string {
	var out []string
	in := false
	for _, l := range p.lines {
		switch {
		case strings.HasPrefix(l, "Related Resources"):
			in = true
		case strings.HasPrefix(l, "Methods"):
			in = false
		case in:
			for _, m := range mdLinkRe.FindAllStringSubmatch(l, -1) {
				out = append(out, m[1])
			}
		}
	}
	return out
}

// pathOf returns the API path of a page's title: "GET /repositories/{ID}"
// -> "/repositories/{ID}".
func pathOf(title string) string {
	if _, p, ok := strings.Cut(title, " "); ok && strings.HasPrefix(p, "/") {
		return p
	}
	return title
}

// enumValues parses "Possible values:   * A * B — text" into A, B.
func enumValues(desc string) []string {
	m := valuesRe.FindStringSubmatch(desc)
	if m == nil {
		return nil
	}
	var out []string
	for _, part := range strings.Split(m[1], "* ")[1:] {
		v := strings.TrimSpace(part)
		if i := strings.IndexAny(v, "—–("); i >= 0 {
			v = strings.TrimSpace(v[:i])
		}
		if f := strings.Fields(v); len(f) > 0 {
			v = f[0]
		}
		v = strings.TrimRight(v, ".,;")
		if v == "" || strings.EqualFold(v, "true") || strings.EqualFold(v, "false") {
			continue
		}
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// withNone puts None ahead of the results Success, Warning, Failed: EM's
// order (a session still running has Result None), which filters compare
// by.
func withNone(v []string) []string {
	if slices.Equal(v, []string{"Success", "Warning", "Failed"}) {
		return append([]string{"None"}, v...)
	}
	return v
}

// fieldType maps a Parameters table's Type to the spec's.
func fieldType(t string) string {
	switch strings.ReplaceAll(t, " ", "") {
	case "String", "HierarchyObjRefType", "IPv4":
		return "string"
	case "UidType":
		return "uid"
	case "Int", "UShort":
		return "int"
	case "Long", "Int64":
		return "int64"
	case "Boolean", "Bool":
		return "bool"
	case "DateTime":
		return "time"
	case "Double":
		return "float"
	}
	return "raw"
}

func queryKind(t string) string {
	switch fieldType(t) {
	case "uid":
		return "uid"
	case "int", "int64":
		return "int"
	case "bool":
		return "bool"
	case "time":
		return "time"
	}
	return "string"
}

func extract(ref string) (*emspec.Spec, error) {
	docs := filepath.Join(ref, "em-docs")
	samples, err := loadSamples(filepath.Join(ref, "samples"))
	if err != nil {
		return nil, err
	}
	s := &emspec.Spec{}
	queryPages := map[string]string{}
	ents, err := os.ReadDir(docs)
	if err != nil {
		return nil, err
	}
	for _, e := range ents {
		n := e.Name()
		method := ""
		for _, m := range []string{"get", "post", "put", "delete"} {
			if strings.HasPrefix(n, m+"_") {
				method = strings.ToUpper(m)
			}
		}
		if method == "" {
			continue
		}
		p, err := readPage(docs, n)
		if err != nil {
			return nil, err
		}
		s.Operations = append(s.Operations, &emspec.Operation{Method: method, Path: pathOf(p.title), Page: n})
		if t, ok := strings.CutPrefix(p.title, "GET /query?type="); ok {
			queryPages[strings.ToLower(t)] = n
		}
	}
	sort.Slice(s.Operations, func(i, j int) bool { return s.Operations[i].Page < s.Operations[j].Page })

	for _, qt := range queryTypes {
		qn, ok := queryPages[strings.ToLower(qt.em)]
		if !ok {
			return nil, fmt.Errorf("no query page for %s", qt.em)
		}
		r, err := extractResource(docs, qn, qt.em, samples)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", qt.em, err)
		}
		r.GoName, r.GoPlural = qt.goName, qt.goPlural
		s.Resources = append(s.Resources, r)
	}
	if err := collectionsFromCapture(filepath.Join(ref, "samples", "query-backuptasksession-v12.json"), s); err != nil {
		return nil, err
	}
	applyFixes(s)
	for _, r := range s.Resources {
		name(r)
	}
	return s, nil
}

func extractResource(docs, queryPage, typ string, samples []*sample) (*emspec.Resource, error) {
	qp, err := readPage(docs, queryPage)
	if err != nil {
		return nil, err
	}
	r := &emspec.Resource{Type: typ, Query: typ, Container: "Entities"}
	for _, row := range qp.table("| Parameter | Type | Description |", 0) {
		if len(row) < 3 {
			continue
		}
		f := &emspec.QueryField{Name: row[0], Kind: queryKind(row[1])}
		if f.Kind == "uid" {
			f.UIDKind = uidKind(row[0], typ)
		}
		if f.Kind == "string" {
			if v := enumValues(row[2]); len(v) > 0 {
				f.Kind, f.Values = "enum", withNone(v)
			}
		}
		r.QueryFields = append(r.QueryFields, f)
	}
	// The collection page, then its entity page.
	m := detailsRe.FindStringSubmatch(qp.text())
	collPage := ""
	if m != nil {
		collPage = m[1]
	}
	var entityPage string
	if collPage != "" {
		if cp, err := readPage(docs, collPage); err == nil {
			r.Path = pathOf(cp.title)
			base := strings.TrimSuffix(collPage, ".md")
			for _, rel := range cp.related() {
				if rel == base+"_id.md" {
					entityPage = rel
				}
			}
			if entityPage == "" {
				for _, rel := range cp.related() {
					if strings.HasPrefix(rel, strings.TrimSuffix(base, "s")) && strings.HasSuffix(rel, "_id.md") {
						entityPage = rel
					}
				}
			}
		}
	}
	if e, ok := entityPageFix[typ]; ok {
		entityPage = e
	}
	if entityPage == "" {
		return nil, fmt.Errorf("no entity page (collection %s)", collPage)
	}
	ep, err := readPage(docs, "get_"+entityPage)
	if err != nil {
		return nil, err
	}
	r.Page = ep.name
	r.ItemPath = pathOf(ep.title)
	if r.Path == "" {
		r.Path = r.ItemPath[:strings.LastIndex(r.ItemPath, "/")]
	}
	// The example's root element: its attributes.
	rootAttrs := map[string]bool{}
	if m := rootRe.FindStringSubmatch(ep.text()); m != nil {
		for _, a := range attrRe.FindAllStringSubmatch(m[1], -1) {
			switch a[1] {
			case "xmlns", "Type", "Href", "Name", "UID":
				rootAttrs[a[1]] = true
			default:
				if !strings.Contains(a[1], ":") {
					rootAttrs[a[1]] = true
					r.Attrs = append(r.Attrs, &emspec.Field{Wire: a[1], Type: "string"})
				}
			}
		}
	}
	for _, row := range ep.table("| Element | Type | Description |", 0) {
		if len(row) < 3 || row[0] == "" {
			continue
		}
		w := strings.ReplaceAll(row[0], " ", "")
		if (w == "UID" || w == "Name") && (rootAttrs[w] || len(rootAttrs) == 0) {
			continue
		}
		if slices.ContainsFunc(r.Attrs, func(a *emspec.Field) bool { return a.Wire == w }) {
			continue
		}
		f := &emspec.Field{Wire: w, Type: fieldType(row[1]), Doc: firstSentence(row[2])}
		if f.Type == "raw" {
			f.Complex = strings.ReplaceAll(row[1], " ", "")
		}
		if f.Type == "string" {
			if v := enumValues(row[2]); len(v) > 0 {
				f.Type, f.Values = "enum", withNone(v)
			}
		}
		r.Fields = append(r.Fields, f)
	}
	for _, row := range ep.table("| Reference | Relationship | Description |", 0) {
		if len(row) < 2 {
			continue
		}
		r.Links = append(r.Links, &emspec.Link{Rel: row[1], Path: row[0]})
	}
	// The samples: element order, the element of an entity, fields the page
	// leaves out, link types.
	for _, smp := range samples {
		it := smp.find(typ)
		if it == nil {
			continue
		}
		if r.Sample == "" {
			r.Sample = smp.file
		}
		if it.elem != typ {
			r.Element = it.elem
		}
		if it.coll != "" {
			r.Collection = it.coll
			r.Container = it.container
		}
		if !it.hasUID {
			r.NoUID = true
		}
		mergeOrder(r, it)
		for _, l := range it.links {
			for _, dl := range r.Links {
				if dl.Rel == l.rel && dl.Type == "" && pathMatches(dl.Path, l.href) {
					dl.Type = l.typ
					break
				}
			}
			if l.rel == "Alternate" && r.RefType == "" && l.typ != "" {
				r.RefType = l.typ
			}
		}
	}
	if r.Collection == "" {
		r.Collection = plural(r.XMLElement())
	}
	if r.RefType == "" {
		r.RefType = typ + "Reference"
	}
	return r, nil
}

// uidKind guesses the kind a UID filter field names from its name:
// "BackupServerUid" -> BackupServer, "UID" -> the type itself.
func uidKind(field, typ string) string {
	if strings.EqualFold(field, "UID") || strings.EqualFold(field, "Id") {
		return typ
	}
	k := field
	for _, suf := range []string{"uid", "id"} {
		if strings.HasSuffix(strings.ToLower(k), suf) {
			k = k[:len(k)-len(suf)]
			break
		}
	}
	switch k {
	case "JobSession":
		return "BackupJobSession"
	case "Server", "Host":
		return "ManagedServer"
	case "Policy":
		return "CdpPolicy"
	case "PolicySession":
		return "CdpReplicaSession"
	case "ProtectionGroup":
		return "AgentProtectionGroup"
	case "Tenant":
		return "CloudTenant"
	}
	return k
}

func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i >= 0 {
		s = s[:i+1]
	}
	if i := strings.Index(s, "Possible values"); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	if len(s) > 200 {
		s = s[:200]
	}
	return strings.TrimSpace(s)
}

func plural(s string) string {
	switch {
	case strings.HasSuffix(s, "ay") || strings.HasSuffix(s, "ey") || strings.HasSuffix(s, "oy"):
		return s + "s"
	case strings.HasSuffix(s, "y"):
		return s[:len(s)-1] + "ies"
	case strings.HasSuffix(s, "ss"):
		return s + "es"
	case strings.HasSuffix(s, "s"):
		return s
	}
	return s + "s"
}

// pathMatches reports whether a documented link path ("/backupServers/{ID}")
// matches a sample's Href.
func pathMatches(doc, href string) bool {
	i := strings.Index(href, "/api/")
	if i < 0 {
		return false
	}
	h := strings.ToLower(href[i+4:])
	re := "^" + strings.ReplaceAll(regexp.QuoteMeta(strings.ToLower(doc)), `\{id\}`, `[^/?]+`) + "$"
	ok, _ := regexp.MatchString(re, h)
	return ok
}

// mergeOrder puts the resource's fields in the sample's element order and
// adds the sample's elements and attributes the page does not list.
func mergeOrder(r *emspec.Resource, it *item) {
	for _, a := range it.attrs {
		if a == "Type" || a == "Href" || a == "Name" || a == "UID" || strings.Contains(a, ":") || a == "xmlns" {
			continue
		}
		if !slices.ContainsFunc(r.Attrs, func(f *emspec.Field) bool { return f.Wire == a }) {
			r.Attrs = append(r.Attrs, &emspec.Field{Wire: a, Type: "string", Doc: "From " + it.file + "."})
		}
	}
	var ordered []*emspec.Field
	byWire := map[string]*emspec.Field{}
	for _, f := range r.Fields {
		byWire[f.Wire] = f
	}
	for _, c := range it.children {
		if c.name == "Links" {
			continue
		}
		f, ok := byWire[c.name]
		if !ok {
			// The page and EM may spell a name in other letter cases
			// (PublicIPCount, PublicIpCount): EM's spelling wins.
			for w, pf := range byWire {
				if strings.EqualFold(w, c.name) {
					f, ok = pf, true
					delete(byWire, w)
					f.Wire = c.name
					break
				}
			}
		}
		if !ok && strings.HasSuffix(c.name, "UTC") {
			// The page writes CreationTime, EM sends CreationTimeUTC.
			if f, ok = byWire[strings.TrimSuffix(c.name, "UTC")]; ok {
				delete(byWire, f.Wire)
				f.Wire = c.name
			}
		}
		if !ok {
			f = &emspec.Field{Wire: c.name, Type: c.guessType(), Doc: "Not on the reference page; from " + it.file + "."}
			if f.Type == "raw" {
				f.Complex = c.name
			}
		}
		delete(byWire, c.name)
		if !slices.Contains(ordered, f) {
			ordered = append(ordered, f)
		}
	}
	// Page fields the sample does not show keep their place after the
	// page field before them.
	for i, f := range r.Fields {
		if _, left := byWire[f.Wire]; !left {
			continue
		}
		pos := 0
		for j := i - 1; j >= 0; j-- {
			if k := slices.Index(ordered, r.Fields[j]); k >= 0 {
				pos = k + 1
				break
			}
		}
		ordered = slices.Insert(ordered, pos, f)
	}
	r.Fields = ordered
}

// --- samples

type sample struct {
	file  string
	items []*item
}

type item struct {
	file, elem, typ string
	coll, container string
	hasUID          bool
	attrs           []string
	children        []*child
	links           []sampleLink
}

type child struct {
	name     string
	text     string
	children bool
}

type sampleLink struct{ rel, typ, href string }

func (c *child) guessType() string {
	t := strings.TrimSpace(c.text)
	switch {
	case c.children:
		return "raw"
	case regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d`).MatchString(t):
		return "time"
	case t == "true" || t == "false":
		return "bool"
	case regexp.MustCompile(`^-?\d+$`).MatchString(t):
		return "int64"
	}
	return "string"
}

func (s *sample) find(typ string) *item {
	for _, it := range s.items {
		if it.typ == typ || (it.typ == "" && it.elem == typ) {
			return it
		}
	}
	return nil
}

var dumpFix = strings.NewReplacer(`\_`, `_`, `\*`, `*`, "\u00a0", " ")

func loadSamples(dir string) ([]*sample, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.xml"))
	if err != nil {
		return nil, err
	}
	var out []*sample
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		b = []byte(dumpFix.Replace(string(b)))
		b = regexp.MustCompile(`&([^a-z#])`).ReplaceAll(b, []byte("&amp;$1"))
		b = regexp.MustCompile(`&([a-zA-Z]+=)`).ReplaceAll(b, []byte("&amp;$1"))
		s := &sample{file: filepath.Base(f)}
		d := xml.NewDecoder(bytes.NewReader(b))
		var stack []xml.StartElement
		var cur *item
		var curDepth int
		for {
			tok, err := d.Token()
			if err != nil {
				break
			}
			switch t := tok.(type) {
			case xml.StartElement:
				depth := len(stack)
				stack = append(stack, t)
				attr := func(n string) (string, bool) {
					for _, a := range t.Attr {
						if a.Name.Local == n && a.Name.Space == "" {
							return a.Value, true
						}
					}
					return "", false
				}
				if cur == nil {
					typ, hasType := attr("Type")
					_, hasHref := attr("Href")
					if hasType && hasHref && !strings.HasSuffix(typ, "Reference") && t.Name.Local != "Link" && t.Name.Local != "Ref" && t.Name.Local != "EntityRef" {
						cur = &item{file: s.file, elem: t.Name.Local, typ: typ, hasUID: false}
						_, cur.hasUID = attr("UID")
						for _, a := range t.Attr {
							if a.Name.Space != "xmlns" && a.Name.Local != "xmlns" {
								cur.attrs = append(cur.attrs, a.Name.Local)
							}
						}
						if depth >= 3 && (stack[1].Name.Local == "Entities" || stack[1].Name.Local == "Resources") {
							cur.coll, cur.container = stack[2].Name.Local, stack[1].Name.Local
						}
						curDepth = depth
						s.items = append(s.items, cur)
					}
					continue
				}
				if depth == curDepth+1 {
					cur.children = append(cur.children, &child{name: t.Name.Local})
				} else if depth == curDepth+2 && len(cur.children) > 0 {
					cur.children[len(cur.children)-1].children = true
				}
				if t.Name.Local == "Link" && depth == curDepth+2 {
					rel, _ := attr("Rel")
					typ, _ := attr("Type")
					href, _ := attr("Href")
					cur.links = append(cur.links, sampleLink{rel, typ, href})
				}
			case xml.CharData:
				if cur != nil && len(stack) == curDepth+2 && len(cur.children) > 0 {
					cur.children[len(cur.children)-1].text += string(t)
				}
			case xml.EndElement:
				stack = stack[:len(stack)-1]
				if cur != nil && len(stack) == curDepth {
					cur = nil
				}
			}
		}
		if len(s.items) > 0 {
			out = append(out, s)
		}
	}
	return out, nil
}

// collectionsFromCapture spells each query type's collection as a real EM
// 12 QueryResult does: its JSON Entities object names every collection
// ("CloudPublicIps", "AgentBackupJob", "VSphereSelfServiceConfigs").
func collectionsFromCapture(file string, s *emspec.Spec) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var doc struct {
		Entities map[string]json.RawMessage
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	alias := map[string]string{"CloudPublicIpAddress": "CloudPublicIps", "AgentBackupJob": "AgentBackupJob"}
	for _, r := range s.Resources {
		for k := range doc.Entities {
			if strings.EqualFold(k, r.Collection) || alias[r.Type] == k {
				r.Collection = k
			}
		}
	}
	return nil
}
