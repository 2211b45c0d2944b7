package vem

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"

	"github.com/vemkit/vem/internal/em"
)

// The machinery every resource shares is written once, here. A resource
// file declares its public type T, its wire type W (which embeds
// entityHeader and implements wire[T]), and a resource[T, W, *W] value
// naming its kind, its collection path and its query type; the generic
// methods below then read it (get), query it (query, in query.go), and
// decode it for FollowLink (decodeInto). docs/architecture.md lists the
// steps.

// entity is implemented by every public entity type, so that FollowLink can
// decode a link's target into it. Each resource file checks it at compile
// time: var _ entity = (*Job)(nil).
type entity interface {
	decodeEntity(contentType string, body []byte) error
}

// entityHeader is what every entity document carries: the Type, Href, Name
// and UID attributes (sibling keys in JSON) and Links.
type entityHeader struct {
	Type  string `xml:"Type,attr" json:"Type"`
	Href  string `xml:"Href,attr" json:"Href"`
	Name  string `xml:"Name,attr" json:"Name"`
	UID   string `xml:"UID,attr" json:"UID"`
	Links Links  `xml:"Links>Link" json:"Links"`
}

func (h *entityHeader) header() *entityHeader { return h }

// check verifies that a decoded document is the entity that was asked for:
// the XML root element (root; "" for JSON), the Type (when sent) and the
// kind of the UID must all name want. This is what turns an EntityRef, an
// Error document or an empty object into an error instead of an empty
// struct.
func (h *entityHeader) check(root, want string) error {
	return checkKind(xml.Name{Local: root}, h.Type, h.UID, want)
}

// rootOf decodes an XML document into w and records its root element's
// name.
type rootOf struct {
	root *string
	w    any
}

func (r *rootOf) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	*r.root = start.Name.Local
	return d.DecodeElement(r.w, &start)
}

// wire is implemented by the pointer to a resource's wire type W.
type wire[T, W any] interface {
	*W
	header() *entityHeader
	// toPublic builds the public value; the header is already checked.
	toPublic() (*T, error)
}

// resource describes one entity type to the shared machinery.
type resource[T, W any, PW wire[T, W]] struct {
	kind  string       // the kind in UIDs, the XML root and the Type attribute
	path  string       // the collection path, e.g. "/api/jobs"
	query em.QueryType // the query-service type; Name "" when not queryable
	// elem is the element of one entity in a query result when it is not
	// the kind (<CdpPolicySession Type="CdpReplicaSession">); container
	// is the QueryResult element holding the collection when it is not
	// Entities (tasks and NAS objects are in <Resources>).
	elem, container string
}

// decode decodes one entity document. wantGUID, when set, is the GUID that
// was asked for: an answer about another object is an error.
func (r resource[T, W, PW]) decode(ct string, body []byte, wantGUID string) (*T, error) {
	var w W
	var root string
	var err error
	if _, isJSON := jsonBody(ct, body); isJSON {
		err = decodeWire(ct, body, &w) // JSON has no root element
	} else {
		err = decodeWire(ct, body, &rootOf{&root, &w})
	}
	if err != nil {
		return nil, err
	}
	return r.fromWire(root, &w, wantGUID)
}

// fromWire checks a decoded entity (root is its XML element, "" when it
// came from JSON) and builds the public value.
func (r resource[T, W, PW]) fromWire(root string, w *W, wantGUID string) (*T, error) {
	h := PW(w).header()
	if err := h.check(root, r.kind); err != nil {
		return nil, err
	}
	if wantGUID != "" && !strings.EqualFold(UID(h.UID).ID(), wantGUID) {
		return nil, fmt.Errorf("asked for %s %s, got %s", r.kind, wantGUID, truncate(h.UID, 80))
	}
	return PW(w).toPublic()
}

// decodeInto decodes an entity document into *dst (FollowLink's targets).
func (r resource[T, W, PW]) decodeInto(ct string, body []byte, dst *T) error {
	out, err := r.decode(ct, body, "")
	if err == nil {
		*dst = *out
	}
	return err
}

// get reads one entity: GET {path}/{ID}?format=Entity. id is a GUID, a UID
// of the resource's kind or a link's ID().
func (r resource[T, W, PW]) get(ctx context.Context, c *Client, id string) (*T, error) {
	guid, err := ParseID(r.kind, id)
	if err != nil {
		return nil, err
	}
	var out *T
	_, err = c.do(ctx, &request{method: http.MethodGet, path: r.path + "/" + guid, rawQuery: "format=Entity", resource: r.kind + " " + guid},
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

// refs reads a reference list below one object of the resource, for
// example /api/jobs/{ID}/backupSessions.
func (r resource[T, W, PW]) refs(ctx context.Context, c *Client, id, sub, what string) ([]EntityRef, error) {
	guid, err := ParseID(r.kind, id)
	if err != nil {
		return nil, err
	}
	return c.getRefs(ctx, r.path+"/"+guid+"/"+sub, "", what+" of "+r.kind+" "+guid)
}
