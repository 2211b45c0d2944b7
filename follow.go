package vem

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"

	"github.com/vemkit/vem/internal/em"
)

// FollowLink reads the target of a link and decodes it into v.
//
// v may be a *BackupTaskSession, *BackupJobSession, *BackupServer,
// *VMRestorePoint or *Job (the target is requested as an entity, adding
// format=Entity when the link points at a reference, and checked to be of
// that kind), an *EntityRef (the target's reference representation), a
// *[]EntityRef (a reference list such as a job session's task sessions), or
// a pointer to any struct of your own with xml and json tags, which receives
// the entity as decoded by encoding/xml or encoding/json.
//
// The request always goes to the host the client was configured with, using
// only the link's path and query: EM writes "localhost" or other names into
// Hrefs, and the session token must never go to another origin. A link whose
// path is not under /api/ is refused.
func (c *Client) FollowLink(ctx context.Context, l Link, v any) error {
	if rv := reflect.ValueOf(v); v == nil || rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("vem: FollowLink: the target must be a non-nil pointer, got %T", v)
	}
	p, query, err := linkTarget(l.Href)
	if err != nil {
		return err
	}
	resource := l.Type
	if resource == "" {
		resource = "link target"
	}
	if l.Name != "" {
		resource += " " + truncate(l.Name, 80)
	}
	switch t := v.(type) {
	case *EntityRef:
		query.Del("format")
		return c.getInto(ctx, p, query, resource, func(ct string, body []byte) error {
			var w entityRefWire
			if err := decodeWire(ct, body, &w); err != nil {
				return err
			}
			r, err := w.toPublic("EntityRef")
			if err == nil {
				*t = *r
			}
			return err
		})
	case *[]EntityRef:
		refs, err := c.getRefs(ctx, p, encodeQuery(query), resource)
		if err == nil {
			*t = refs
		}
		return err
	}
	if e, ok := v.(entity); ok {
		query.Set("format", "Entity")
		return c.getInto(ctx, p, query, resource, e.decodeEntity)
	}
	query.Set("format", "Entity")
	return c.getInto(ctx, p, query, resource, func(ct string, body []byte) error {
		return decodeWire(ct, body, v)
	})
}

func (c *Client) getInto(ctx context.Context, p string, query url.Values, resource string, decode decodeFunc) error {
	_, err := c.do(ctx, &request{method: http.MethodGet, path: p, rawQuery: encodeQuery(query), resource: resource}, decode)
	return err
}

// linkTarget takes the path and query of an Href, ignoring its scheme and
// host, and checks that the path is a clean path under /api/.
func linkTarget(href string) (string, url.Values, error) {
	if strings.TrimSpace(href) == "" {
		return "", nil, errors.New("vem: FollowLink: link has no Href")
	}
	u, err := url.Parse(strings.TrimSpace(href))
	if err != nil {
		return "", nil, fmt.Errorf("vem: FollowLink: invalid Href: %w", err)
	}
	if !strings.HasPrefix(u.Path, "/api/") {
		return "", nil, fmt.Errorf("vem: FollowLink: Href path %q is not under /api/", truncate(u.Path, 100))
	}
	for _, seg := range strings.Split(u.Path, "/") {
		if seg == "." || seg == ".." || strings.Contains(seg, `\`) {
			return "", nil, fmt.Errorf("vem: FollowLink: Href path %q is not clean", truncate(u.Path, 100))
		}
	}
	p := u.EscapedPath()
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return "", nil, fmt.Errorf("vem: FollowLink: invalid Href query: %w", err)
	}
	return p, q, nil
}

// encodeQuery renders query values (sorted by key; EM does not depend on
// parameter order), spaces as %20.
func encodeQuery(q url.Values) string { return em.EncodeQuery(q) }
