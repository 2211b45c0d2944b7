package vem

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// RawResponse is an answer as the server sent it.
type RawResponse struct {
	ContentType string
	Body        []byte // the body, a UTF-8 byte-order mark removed
}

// GetRaw reads any API resource and returns its body untouched: for the
// resources and representations the typed calls do not cover, or to keep
// the server's own XML. pathAndQuery is a path under /api/, with an optional
// query, or a full Href whose scheme and host are ignored (the request goes
// to the configured host). f chooses the Accept type; "" means the client's
// format. Session handling, retries and errors are those of the typed calls.
func (c *Client) GetRaw(ctx context.Context, pathAndQuery string, f Format) (*RawResponse, error) {
	if f != "" && f != FormatXML && f != FormatJSON {
		return nil, errors.New("vem: GetRaw: unknown format " + string(f))
	}
	p, q, err := linkTarget(pathAndQuery)
	if err != nil {
		return nil, errors.New(strings.Replace(err.Error(), "FollowLink", "GetRaw", 1))
	}
	out := &RawResponse{}
	hdr, err := c.do(ctx, &request{method: http.MethodGet, path: p, rawQuery: encodeRaw(q), resource: p, accept: f},
		func(ct string, body []byte) error {
			out.ContentType = ct
			out.Body = bytes.Clone(bytes.TrimPrefix(body, utf8BOM))
			return nil
		})
	if err != nil {
		return nil, err
	}
	if hdr != nil {
		out.ContentType = hdr.Get("Content-Type")
	}
	return out, nil
}

func encodeRaw(q url.Values) string {
	if len(q) == 0 {
		return ""
	}
	return encodeQuery(q)
}
