package output

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"

	"github.com/vemkit/vem/internal/em"
)

// The -o xml output is the server's own XML, copied byte for byte: element
// fragments are cut out of the documents EM sent, never re-encoded, so
// attribute order, namespaces and values stay exactly as EM wrote them.

const XMLDeclaration = `<?xml version="1.0" encoding="utf-8"?>` + "\n"

// EmptyQueryResultStart is the root start tag of an empty query result, as
// EM writes it, for a query whose pages held nothing.
const EmptyQueryResultStart = `<QueryResult xmlns="` + em.Namespace + `">`

// FollowWrapper is the root element that holds the documents printed by
// "task-session get --follow -o xml". It is vem's own element, in no
// namespace; each child keeps EM's namespace declaration.
const FollowWrapper = "TaskSessionWithRelated"

// RootElement returns the bytes of the root element of an XML document,
// without the XML declaration, comments or trailing white space.
func RootElement(doc []byte) ([]byte, error) {
	d := xml.NewDecoder(bytes.NewReader(doc))
	for {
		start := d.InputOffset()
		tok, err := d.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, errors.New("no XML element in the answer")
			}
			return nil, fmt.Errorf("malformed XML answer: %w", err)
		}
		if _, ok := tok.(xml.StartElement); ok {
			if err := d.Skip(); err != nil {
				return nil, fmt.Errorf("malformed XML answer: %w", err)
			}
			return doc[start:d.InputOffset()], nil
		}
	}
}

// QueryPage is one page of a query-service answer, in pieces.
type QueryPage struct {
	RootStart []byte   // the root start tag as sent, e.g. <QueryResult xmlns="...">
	RootName  string   // the root's qualified name as written, for the end tag
	Items     [][]byte // each <BackupTaskSession> element as sent
}

// ParseQueryPage cuts a QueryResult document into its root start tag and
// its entity elements (QueryResult/Entities/*/<item>). Paging is the SDK's
// (Client.QueryRaw); this only splices EM's bytes.
func ParseQueryPage(doc []byte, item string) (*QueryPage, error) {
	p := &QueryPage{}
	d := xml.NewDecoder(bytes.NewReader(doc))
	depth := 0
	var path []string
	for {
		start := d.InputOffset()
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			if depth != 0 {
				return nil, errors.New("malformed XML answer: truncated document")
			}
			break
		}
		if err != nil {
			return nil, fmt.Errorf("malformed XML answer: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			path = append(path, t.Name.Local)
			switch {
			case depth == 1:
				if t.Name.Local != "QueryResult" {
					return nil, fmt.Errorf("got a <%s> document, want <QueryResult>", t.Name.Local)
				}
				tag := bytes.Clone(doc[start:d.InputOffset()])
				if bytes.HasSuffix(tag, []byte("/>")) {
					tag = append(tag[:len(tag)-2], '>')
				}
				p.RootStart = tag
				p.RootName = qualifiedName(t.Name)
			case depth == 4 && path[1] == "Entities" && t.Name.Local == item:
				if err := skipRaw(d); err != nil {
					return nil, fmt.Errorf("malformed XML answer: %w", err)
				}
				p.Items = append(p.Items, doc[start:d.InputOffset()])
				depth--
				path = path[:len(path)-1]
			}
		case xml.EndElement:
			depth--
			path = path[:len(path)-1]
		}
	}
	if p.RootStart == nil {
		return nil, errors.New("no XML element in the answer")
	}
	return p, nil
}

// skipRaw skips to the end of the element whose start tag RawToken just
// returned (Decoder.Skip needs Token, which RawToken does not track).
func skipRaw(d *xml.Decoder) error {
	depth := 1
	for depth > 0 {
		tok, err := d.RawToken()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return io.ErrUnexpectedEOF
			}
			return err
		}
		switch tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
		}
	}
	return nil
}

func qualifiedName(n xml.Name) string {
	if n.Space != "" {
		return n.Space + ":" + n.Local
	}
	return n.Local
}

// WriteEntityXML writes the root element of an EM document as one XML
// document of its own.
func WriteEntityXML(w io.Writer, doc []byte) error {
	root, err := RootElement(doc)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s%s\n", XMLDeclaration, root)
	return err
}

// QueryXMLWriter writes the pages of a query-service answer as one
// well-formed document, page by page as they arrive: the first page's
// <QueryResult> start tag (with EM's namespace), then
// <Entities><Collection> holding every <Item> element of every page as EM
// sent it. PagingInfo is left out, as the document spans all pages.
type QueryXMLWriter struct {
	W          io.Writer
	Item       string // the entity element, e.g. BackupTaskSession
	Collection string // its collection element, e.g. BackupTaskSessions
	Limit      int    // stop after this many items; 0: all
	rootName   string
	n          int
}

// Page writes the items of one page. It reports true when Limit is
// reached: the caller stops reading pages.
func (x *QueryXMLWriter) Page(number int, body []byte) (bool, error) {
	p, err := ParseQueryPage(body, x.Item)
	if err != nil {
		return false, fmt.Errorf("query page %d: %w", number, err)
	}
	if x.rootName == "" {
		x.rootName = p.RootName
		var b bytes.Buffer
		b.WriteString(XMLDeclaration)
		b.Write(p.RootStart)
		b.WriteString("\n<Entities>\n<" + x.Collection + ">\n")
		if _, err := x.W.Write(b.Bytes()); err != nil {
			return false, err
		}
	}
	for _, it := range p.Items {
		if x.Limit > 0 && x.n >= x.Limit {
			break
		}
		x.n++
		if _, err := x.W.Write(append(it[:len(it):len(it)], '\n')); err != nil {
			return false, err
		}
	}
	return x.Limit > 0 && x.n >= x.Limit, nil
}

// Count is the number of items written.
func (x *QueryXMLWriter) Count() int { return x.n }

// Close ends the document; a query whose pages held nothing is EM's empty
// QueryResult document.
func (x *QueryXMLWriter) Close() error {
	if x.rootName == "" {
		x.rootName = "QueryResult"
		if _, err := io.WriteString(x.W, XMLDeclaration+EmptyQueryResultStart+"\n<Entities>\n<"+x.Collection+">\n"); err != nil {
			return err
		}
	}
	_, err := io.WriteString(x.W, "</"+x.Collection+">\n</Entities>\n</"+x.rootName+">\n")
	return err
}
