package vem

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"strings"
)

// This file holds what the generated resources (zz_resources.go, from
// internal/emspec) share beyond entity.go and query.go: complex elements
// kept raw, link lookup by documented path, nested paths, and the
// registry of resource types for generic tools.

// Raw is an element the SDK does not type (a complex structure such as a
// job's schedule or a tenant's resources), kept as it was sent: its inner
// XML, or its JSON value. Decode it further with encoding/xml or
// encoding/json into a struct of your own.
type Raw struct {
	XML  string          // the element's content, without the element itself
	JSON json.RawMessage // the JSON value, null excluded
}

// IsZero reports whether the element was absent, empty or null.
func (r Raw) IsZero() bool { return strings.TrimSpace(r.XML) == "" && len(r.JSON) == 0 }

// UnmarshalXML keeps the element's inner XML.
func (r *Raw) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	var v struct {
		Inner string `xml:",innerxml"`
	}
	if err := d.DecodeElement(&v, &start); err != nil {
		return err
	}
	r.XML = v.Inner
	return nil
}

// UnmarshalJSON keeps the JSON value.
func (r *Raw) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		r.JSON = nil
		return nil
	}
	r.JSON = append(json.RawMessage(nil), b...)
	return nil
}

// findPath returns the first link with relation rel whose Href path
// matches pattern, a documented path below /api such as
// "/backupServers/{ID}" ({ID} matches one segment; letter case is
// ignored, as EM's paths are case-insensitive).
func (ls Links) findPath(rel, pattern string) (Link, bool) {
	want := strings.Split(strings.Trim(pattern, "/"), "/")
	for _, l := range ls {
		if !strings.EqualFold(l.Rel, rel) {
			continue
		}
		p := strings.Trim(linkPath(l.Href), "/")
		p = strings.TrimPrefix(p, "api/")
		got := strings.Split(p, "/")
		if len(got) != len(want) {
			continue
		}
		ok := true
		for i := range want {
			if want[i] != "{ID}" && !strings.EqualFold(want[i], got[i]) {
				ok = false
				break
			}
		}
		if ok {
			return l, true
		}
	}
	return Link{}, false
}

// idHeader gives the kind check of entities without a UID (query results
// of includes, NAS objects) a UID to read, built from the GUID in their
// Href, as taskWire does with its TaskId.
func idHeader(h *entityHeader, kind string) *entityHeader {
	if h.UID == "" {
		if id := (Link{Href: h.Href}).ID(); id != "" {
			h.UID = "urn:veeam:" + kind + ":" + id
		}
	}
	return h
}

// expandPath fills the {ID}s of a documented path with ids, each checked
// to be a GUID (or a UID of any kind) first.
func expandPath(kind, pattern string, ids ...string) (string, error) {
	var b strings.Builder
	b.WriteString("/api")
	rest := pattern
	for _, id := range ids {
		i := strings.Index(rest, "{ID}")
		if i < 0 {
			break
		}
		guid := id
		if _, g, ok := UID(id).split(); ok {
			guid = g
		}
		if !isGUID(guid) {
			return "", &InvalidIDError{ID: id, Kind: kind, Reason: "not a GUID or UID"}
		}
		guid = strings.ToLower(guid)
		b.WriteString(rest[:i])
		b.WriteString(guid)
		rest = rest[i+len("{ID}"):]
	}
	b.WriteString(rest)
	return b.String(), nil
}

// getAt reads one entity at a nested path (/cloud/tenants/{ID}/subtenants/{ID}).
func (r resource[T, W, PW]) getAt(ctx context.Context, c *Client, pattern string, ids ...string) (*T, error) {
	if len(ids) == 1 {
		return r.get(ctx, c, ids[0])
	}
	guid, err := ParseID(r.kind, ids[len(ids)-1])
	if err != nil {
		return nil, err
	}
	p, err := expandPath(r.kind, pattern, ids...)
	if err != nil {
		return nil, err
	}
	var out *T
	_, err = c.do(ctx, &request{method: http.MethodGet, path: p, rawQuery: "format=Entity", resource: r.kind + " " + guid},
		func(ct string, body []byte) error {
			var err error
			out, err = r.decode(ct, body, guid)
			return err
		})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// listRefs reads a documented collection or sub-collection as references.
func (c *Client) listRefs(ctx context.Context, what, pattern string, ids ...string) ([]EntityRef, error) {
	p, err := expandPath("", pattern, ids...)
	if err != nil {
		return nil, err
	}
	return c.getRefs(ctx, p, "", what)
}

// ResourceType describes one of EM's resource types to generic tools (the
// CLI's get and query commands): its names, paths, query fields, the
// fields a table shows, and typed entry points that return the SDK's own
// types (*Repository, *VMRestorePoint, ...) as any.
type ResourceType struct {
	// Name is EM's type name ("VmRestorePoint"), the query type when
	// Queryable.
	Name string
	// GoName and Plural are the SDK's names ("VMRestorePoint",
	// "VMRestorePoints"); tools match TYPE case-insensitively on Name,
	// GoName and Plural.
	GoName, Plural string
	// Path is the collection path below /api ("/vmRestorePoints");
	// ItemPath the path of one entity ("/vmRestorePoints/{ID}").
	Path, ItemPath string
	// Fields are the query service's filter and sort fields, in EM's order.
	Fields []Field
	// Columns are the Go field names of the type a table shows, after Name.
	Columns []string
	// Query runs a query for the type; nil when it is not queryable.
	Query func(ctx context.Context, c *Client, q Query) iter.Seq2[any, error]
	// Get reads one entity by ID; nil when its path needs a parent's ID.
	Get func(ctx context.Context, c *Client, id string) (any, error)
}

// Queryable reports whether the query service serves the type.
func (t *ResourceType) Queryable() bool { return t.Query != nil }

// ResourceTypes returns every resource type the SDK knows, query types
// first, in EM's order.
func ResourceTypes() []*ResourceType {
	out := make([]*ResourceType, len(resourceTypes))
	for i, t := range resourceTypes {
		c := *t
		out[i] = &c
	}
	return out
}

// LookupResourceType finds a resource type by EM's name, the SDK's name or
// its plural, in any letter case ("VmRestorePoint", "vmrestorepoints").
func LookupResourceType(name string) (*ResourceType, bool) {
	for _, t := range resourceTypes {
		if strings.EqualFold(t.Name, name) || strings.EqualFold(t.GoName, name) || strings.EqualFold(t.Plural, name) {
			c := *t
			return &c, true
		}
	}
	return nil, false
}

// anySeq turns a typed iterator into one of any.
func anySeq[T any](s iter.Seq2[*T, error]) iter.Seq2[any, error] {
	return func(yield func(any, error) bool) {
		for v, err := range s {
			if err != nil {
				yield(nil, err)
				return
			}
			if !yield(v, nil) {
				return
			}
		}
	}
}

// anyGet turns a typed getter into one returning any.
func anyGet[T any](get func(*Client, context.Context, string) (*T, error)) func(context.Context, *Client, string) (any, error) {
	return func(ctx context.Context, c *Client, id string) (any, error) {
		v, err := get(c, ctx, id)
		if err != nil {
			return nil, err
		}
		return v, nil
	}
}

// listWire is a list of entities without the query service's wrapping:
// <ObjectsInJob><ObjectInJob/>...</ObjectsInJob>, in JSON
// {"ObjectInJobs":[...]} (the one key that holds an array).
type listWire[W any] struct {
	item  string
	root  string
	items []W
}

func (l *listWire[W]) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	l.root = start.Name.Local
	return eachChildXML(d, func(el xml.StartElement) error {
		if el.Name.Local != l.item {
			return d.Skip()
		}
		var w W
		if err := d.DecodeElement(&w, &el); err != nil {
			return err
		}
		l.items = append(l.items, w)
		return nil
	})
}

func (l *listWire[W]) UnmarshalJSON(b []byte) error {
	return eachJSONField(b, func(_, value []byte) error {
		v := value
		if i := skipJSONSpace(v, 0); i < len(v) && v[i] == '[' {
			return json.Unmarshal(v, &l.items)
		}
		return nil
	})
}

// listEntities reads a documented list of entities (not references) at
// path, such as GET /api/jobs/{ID}/includes.
func (r resource[T, W, PW]) listEntities(ctx context.Context, c *Client, pattern string, ids ...string) ([]*T, error) {
	p, err := expandPath(r.kind, pattern, ids...)
	if err != nil {
		return nil, err
	}
	elem := r.kind
	if r.elem != "" {
		elem = r.elem
	}
	var out []*T
	_, err = c.do(ctx, &request{method: http.MethodGet, path: p, resource: r.kind + " list " + p},
		func(ct string, body []byte) error {
			l := listWire[W]{item: elem}
			if err := decodeWire(ct, body, &l); err != nil {
				return err
			}
			if l.root == "EntityReferences" {
				return errors.New("got <EntityReferences>, want a list of " + elem)
			}
			out = make([]*T, 0, len(l.items))
			for i := range l.items {
				x, err := r.fromWire("", &l.items[i], "")
				if err != nil {
					return fmt.Errorf("item %d: %w", i, err)
				}
				out = append(out, x)
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	return out, nil
}
