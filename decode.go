package vem

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"mime"
	"strings"
	"time"

	"github.com/vemkit/vem/internal/em"
)

// Wire quirks are handled here, once, for every resource: the response's
// Content-Type decides the decoder (a server that answers XML to a JSON
// request still works), a UTF-8 byte-order mark is stripped, EM 12
// PascalCase and EM 13 camelCase JSON keys both match the wire structs
// (encoding/json matches keys case-insensitively), and "&amp;" in XML Hrefs
// is undone by the XML decoder.

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

var errEmptyBody = errors.New("empty body")

// bodyFormat decides how to decode a body from its Content-Type, sniffing the
// first byte when the type is missing or generic. ok is false for bodies that
// are neither XML nor JSON (an HTML page, for example).
func bodyFormat(contentType string, body []byte) (f Format, ok bool) {
	// Fast path for what EM sends: "application/xml; charset=utf-8" and
	// "application/json; charset=utf-8".
	mt, _, _ := strings.Cut(contentType, ";")
	switch mt {
	case "application/json":
		return FormatJSON, true
	case "application/xml":
		return FormatXML, true
	}
	mt = strings.ToLower(strings.TrimSpace(contentType))
	if parsed, _, err := mime.ParseMediaType(contentType); err == nil {
		mt = parsed
	}
	switch {
	case mt == "application/json" || mt == "text/json" || strings.HasSuffix(mt, "+json"):
		return FormatJSON, true
	case mt == "application/xml" || mt == "text/xml" || strings.HasSuffix(mt, "+xml"):
		return FormatXML, true
	case mt == "" || mt == "application/octet-stream" || mt == "text/plain":
		b := bytes.TrimLeft(bytes.TrimPrefix(body, utf8BOM), " \t\r\n")
		if len(b) > 0 {
			switch b[0] {
			case '<':
				return FormatXML, true
			case '{', '[':
				return FormatJSON, true
			}
		}
	}
	return "", false
}

// decodeWire decodes an XML or JSON body into w, a wire struct that carries
// both xml and json tags.
func decodeWire(contentType string, body []byte, w any) error {
	body = bytes.TrimPrefix(body, utf8BOM)
	if len(bytes.TrimSpace(body)) == 0 {
		return errEmptyBody
	}
	f, ok := bodyFormat(contentType, body)
	if !ok {
		return fmt.Errorf("unexpected content type %q", contentType)
	}
	if f == FormatJSON {
		return json.Unmarshal(body, w)
	}
	return xml.NewDecoder(bytes.NewReader(body)).Decode(w)
}

// checkKind verifies that a decoded document is the entity that was asked
// for: the XML root element (when decoded from XML), the Type (when sent) and
// the kind of the UID must all name want. This is what turns an EntityRef, an
// Error document or an empty object into an error instead of an empty struct.
func checkKind(root xml.Name, typ, uid, want string) error {
	if root.Local != "" && root.Local != want {
		return fmt.Errorf("got a <%s> document, want <%s>", truncate(root.Local, 60), want)
	}
	if typ != "" && typ != want {
		return fmt.Errorf("got Type %q, want %q", truncate(typ, 60), want)
	}
	if k := UID(uid).Kind(); k != want {
		if uid == "" {
			return fmt.Errorf("document has no UID; not a %s", want)
		}
		return fmt.Errorf("UID %q is not a %s UID", truncate(uid, 80), want)
	}
	return nil
}

// parseTime parses an EM DateTime: UTC with "Z" and 0 to 7 fraction digits.
// A value without a zone is taken as UTC. An empty value is the zero time.
func parseTime(field, s string) (time.Time, error) {
	if strings.TrimSpace(s) == "" {
		return time.Time{}, nil
	}
	if t, ok := em.ParseTime(s); ok {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("field %s: invalid time %q", field, truncate(strings.TrimSpace(s), 40))
}

// times parses a wire type's DateTime fields, keeping the first error, so
// that toPublic reads as a list of fields.
type times struct{ err error }

func (p *times) parse(field, s string) time.Time {
	t, err := parseTime(field, s)
	if err != nil && p.err == nil {
		p.err = err
	}
	return t
}

// snippet returns the start of a body, made safe for an error string.
func snippet(body []byte) string {
	body = bytes.TrimSpace(bytes.TrimPrefix(body, utf8BOM))
	const max = 120
	s := string(body)
	if len(s) > max {
		s = truncate(s, max)
	}
	return strings.ToValidUTF8(s, "?")
}
