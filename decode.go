package vem

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
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

// jsonBody returns the body without a byte-order mark when it is JSON by
// the rules of decodeWire.
func jsonBody(contentType string, body []byte) ([]byte, bool) {
	body = bytes.TrimPrefix(body, utf8BOM)
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, false
	}
	f, ok := bodyFormat(contentType, body)
	return body, ok && f == FormatJSON
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
	return decodeXML(body, w)
}

// maxXMLDepth bounds the nesting of an XML document. EM's deepest documents
// (query results: QueryResult > Entities > BackupTaskSessions >
// BackupTaskSession > Links > Link) are under 10 levels deep; a far deeper
// one is an attack on the decoder's time and memory, refused before
// decoding.
const maxXMLDepth = 64

var errTrailingData = errors.New("trailing data after the root element")

// decodeXML decodes one XML document into w. It refuses a document nested
// deeper than maxXMLDepth and anything but comments, processing
// instructions and white space after the root element.
func decodeXML(body []byte, w any) error {
	if err := checkXMLDepth(body, maxXMLDepth); err != nil {
		return err
	}
	d := xml.NewDecoder(bytes.NewReader(body))
	if err := d.Decode(w); err != nil {
		return err
	}
	rest := body[d.InputOffset():]
	if len(bytes.TrimSpace(rest)) == 0 {
		return nil
	}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: %v", errTrailingData, err)
		}
		switch t := tok.(type) {
		case xml.Comment, xml.ProcInst:
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return errTrailingData
			}
		default:
			return errTrailingData
		}
	}
}

// checkXMLDepth scans an XML body for its element nesting, without
// decoding it, and fails when it exceeds max. It is exact for well-formed
// documents (quoted attribute values, comments, CDATA sections and
// declarations are skipped); for malformed ones it only has to be cheap, as
// the decoder rejects them anyway.
func checkXMLDepth(b []byte, max int) error {
	depth := 0
	for {
		i := bytes.IndexByte(b, '<')
		if i < 0 || i+1 >= len(b) {
			return nil
		}
		b = b[i+1:]
		switch b[0] {
		case '/':
			depth--
			b = skipPast(b, ">")
		case '?':
			b = skipPast(b, "?>")
		case '!':
			switch {
			case bytes.HasPrefix(b, []byte("!--")):
				b = skipPast(b, "-->")
			case bytes.HasPrefix(b, []byte("![CDATA[")):
				b = skipPast(b, "]]>")
			default:
				b = skipPast(b, ">")
			}
		default:
			// A start tag: find its end, skipping quoted attribute values,
			// and see whether it closes itself.
			var quote byte
			end := -1
			for j := 0; j < len(b) && end < 0; j++ {
				switch c := b[j]; {
				case quote != 0:
					if c == quote {
						quote = 0
					}
				case c == '"' || c == '\'':
					quote = c
				case c == '>':
					end = j
				}
			}
			if end < 0 {
				return nil
			}
			if end == 0 || b[end-1] != '/' {
				depth++
				if depth > max {
					return fmt.Errorf("XML document nested deeper than %d elements", max)
				}
			}
			b = b[end+1:]
		}
	}
}

// skipPast returns b after the first occurrence of sep, or nothing.
func skipPast(b []byte, sep string) []byte {
	i := bytes.Index(b, []byte(sep))
	if i < 0 {
		return nil
	}
	return b[i+len(sep):]
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

// snippet returns the start of a body, made safe for an error string:
// secrets redacted, valid UTF-8.
func snippet(body []byte, rd redactor) string {
	body = bytes.TrimSpace(bytes.TrimPrefix(body, utf8BOM))
	const max = 120
	if len(body) > max+rd.maxLen+4 {
		body = body[:max+rd.maxLen+4]
	}
	return strings.ToValidUTF8(rd.limit(string(body), max), "?")
}
