// Package emspec is vem's one description of Enterprise Manager's
// resources: for each EM type its names, paths, fields, enums, links and
// query fields, as data (spec.json). It was extracted once from EM's
// reference pages and samples by internal/cmd/emspecgen and is reviewed by
// hand; the SDK's generated resources, vemtest's generic entries and
// docs/coverage.md are derived from it by internal/cmd/vemgen.
//
// A new field is one entry in a resource's Fields; a new resource is one
// entry in Resources.
package emspec

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
)

//go:embed spec.json
var specJSON []byte

// Spec is the whole description.
type Spec struct {
	// Resources are the entity types, the query types first in the order
	// of EM's reference.
	Resources []*Resource `json:"resources"`
	// Operations are every documented operation of the reference
	// (get_*, post_*, put_*, delete_* pages).
	Operations []*Operation `json:"operations"`
}

// Resource is one entity type.
type Resource struct {
	// Type is EM's name: the entity's Type attribute, the kind in its
	// UIDs and the query type ("Repository", "VmRestorePoint").
	Type string `json:"type"`
	// Element is the XML element of one entity when it differs from Type
	// (a CDP replica session is a <CdpPolicySession>).
	Element string `json:"element,omitempty"`
	// GoName and GoPlural name the SDK's type and its Query/List methods.
	GoName   string `json:"goName"`
	GoPlural string `json:"goPlural"`
	// Collection is the element (and JSON key) holding the entities in a
	// query result; Container is "Entities" or, for NasObject, "Resources".
	Collection string `json:"collection,omitempty"`
	Container  string `json:"container,omitempty"`
	// RefType is the Type of the entity's references ("RepositoryReference").
	RefType string `json:"refType,omitempty"`
	// Path is the collection path below /api ("/repositories",
	// "/jobs/{ID}/includes"); ItemPath the path of one entity.
	Path     string `json:"path"`
	ItemPath string `json:"itemPath,omitempty"`
	// NoUID marks entities without a UID attribute (they are known by the
	// ID in their Href).
	NoUID bool `json:"noUID,omitempty"`
	// Query is the query type's name, "" when not queryable.
	Query       string        `json:"query,omitempty"`
	QueryFields []*QueryField `json:"queryFields,omitempty"`
	// Attrs are XML attributes beyond Type, Href, Name and UID; Fields the
	// elements after Links, in EM's XML order.
	Attrs  []*Field `json:"attrs,omitempty"`
	Fields []*Field `json:"fields"`
	// Links are the documented links of the entity.
	Links []*Link `json:"links,omitempty"`
	// Columns are the fields a table shows, by Go name.
	Columns []string `json:"columns,omitempty"`
	// Handwritten marks resources whose SDK code is written by hand
	// (behaviour differs); the generator then emits only their registry
	// entry and query fields.
	Handwritten bool `json:"handwritten,omitempty"`
	// Page is the reference page the shape comes from; Sample the real or
	// documented example that confirmed it.
	Page   string `json:"page,omitempty"`
	Sample string `json:"sample,omitempty"`
}

// Field is one element or attribute of an entity.
type Field struct {
	Wire string `json:"wire"` // XML element or attribute; JSON key in PascalCase
	Go   string `json:"go"`   // Go field name
	// Type is one of string, uid, int, int64, float, bool, time, enum, raw
	// (a complex element kept as its raw document).
	Type string `json:"type"`
	// Enum names the Go string type of an enum field; Values its documented
	// values.
	Enum   string   `json:"enum,omitempty"`
	Values []string `json:"values,omitempty"`
	// Complex is EM's type name of a raw field.
	Complex string `json:"complex,omitempty"`
	Doc     string `json:"doc,omitempty"`
}

// QueryField is one filter and sort field of a query type.
type QueryField struct {
	Name string `json:"name"`
	// Kind is string, time, int, bool, uid or enum (internal/em.FieldKind).
	Kind    string   `json:"kind"`
	UIDKind string   `json:"uidKind,omitempty"`
	Values  []string `json:"values,omitempty"`
}

// Link is a documented link of an entity.
type Link struct {
	Rel  string `json:"rel"`
	Path string `json:"path"`
	Type string `json:"type,omitempty"`
}

// Operation is one documented operation.
type Operation struct {
	Method string `json:"method"` // GET, POST, PUT, DELETE
	Path   string `json:"path"`   // as the page's title writes it
	Page   string `json:"page"`   // the reference page
}

// Load returns the embedded spec.
func Load() (*Spec, error) {
	var s Spec
	if err := json.Unmarshal(specJSON, &s); err != nil {
		return nil, fmt.Errorf("emspec: %w", err)
	}
	return &s, nil
}

// MustLoad is Load for the generator and init-time tables; the spec is
// compiled in and tested, so a failure is a build error.
func MustLoad() *Spec {
	s, err := Load()
	if err != nil {
		panic(err)
	}
	return s
}

// Resource returns the resource of EM type name typ (any case).
func (s *Spec) Resource(typ string) (*Resource, bool) {
	for _, r := range s.Resources {
		if strings.EqualFold(r.Type, typ) {
			return r, true
		}
	}
	return nil, false
}

// XMLElement is the element of one entity.
func (r *Resource) XMLElement() string {
	if r.Element != "" {
		return r.Element
	}
	return r.Type
}
