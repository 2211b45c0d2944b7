package vem

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
)

// EntityRef is the reference representation of a resource: what EM returns
// for a resource URL without ?format=Entity, and the items of reference
// lists (<EntityReferences><Ref .../>) and of query results without
// format=Entities.
type EntityRef struct {
	UID   UID
	Name  string
	Href  string
	Type  string // e.g. BackupTaskSessionReference
	Links Links
}

// ID returns the GUID of the referenced object.
func (r EntityRef) ID() string { return r.UID.ID() }

// AlternateLink returns the link to the referenced object's entity
// representation (Rel Alternate), which FollowLink reads.
func (r EntityRef) AlternateLink() (Link, bool) { return r.Links.Find(RelAlternate, "") }

// ListBackupTaskSessions lists the backup task sessions of the last 30 days
// as references: GET /api/backupTaskSessions. For filters, sorting or older
// sessions use QueryBackupTaskSessions.
func (c *Client) ListBackupTaskSessions(ctx context.Context) ([]EntityRef, error) {
	return c.getRefs(ctx, "/api/backupTaskSessions", "", "backup task session references")
}

// getRefs reads an EntityReferences list.
func (c *Client) getRefs(ctx context.Context, path, rawQuery, resource string) ([]EntityRef, error) {
	var out []EntityRef
	_, err := c.do(ctx, &request{method: http.MethodGet, path: path, rawQuery: rawQuery, resource: resource},
		func(ct string, body []byte) error {
			var w entityRefsWire
			if err := decodeWire(ct, body, &w); err != nil {
				return err
			}
			if w.XMLName.Local != "" && w.XMLName.Local != "EntityReferences" {
				return fmt.Errorf("got a <%s> document, want <EntityReferences>", truncate(w.XMLName.Local, 60))
			}
			out = make([]EntityRef, 0, len(w.Refs))
			for i := range w.Refs {
				r, err := w.Refs[i].toPublic("")
				if err != nil {
					return fmt.Errorf("reference %d: %w", i, err)
				}
				out = append(out, *r)
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// entityRefWire is an EntityRef document, a Ref in a list, or a Ref in a
// query result.
type entityRefWire struct {
	XMLName xml.Name `json:"-"`
	Type    string   `xml:"Type,attr" json:"Type"`
	Href    string   `xml:"Href,attr" json:"Href"`
	Name    string   `xml:"Name,attr" json:"Name"`
	UID     string   `xml:"UID,attr" json:"UID"`
	Links   Links    `xml:"Links>Link" json:"Links"`
}

// toPublic checks the reference: the root (when root is given and the
// document came from XML) and a well-formed UID.
func (w *entityRefWire) toPublic(root string) (*EntityRef, error) {
	if root != "" && w.XMLName.Local != "" && w.XMLName.Local != root {
		return nil, fmt.Errorf("got a <%s> document, want <%s>", truncate(w.XMLName.Local, 60), root)
	}
	if UID(w.UID).Kind() == "" {
		return nil, fmt.Errorf("reference has no valid UID (got %q)", truncate(w.UID, 80))
	}
	return &EntityRef{UID: UID(w.UID), Name: w.Name, Href: w.Href, Type: w.Type, Links: w.Links}, nil
}

type entityRefsWire struct {
	XMLName xml.Name        `json:"-"`
	Refs    []entityRefWire `xml:"Ref" json:"Refs"`
}
