package main

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

const xmlDeclaration = `<?xml version="1.0" encoding="utf-8"?>` + "\n"

// emptyQueryResultStart is the root start tag of an empty query result, as
// EM writes it, for a query whose pages held nothing.
const emptyQueryResultStart = `<QueryResult xmlns="` + em.Namespace + `">`

// followWrapper is the root element that holds the documents printed by
// "task-session get --follow -o xml". It is vem's own element, in no
// namespace; each child keeps EM's namespace declaration.
const followWrapper = "TaskSessionWithRelated"

// rootElement returns the bytes of the root element of an XML document,
// without the XML declaration, comments or trailing white space.
func rootElement(doc []byte) ([]byte, error) {
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

// queryPageXML is one page of a query-service answer, in pieces.
type queryPageXML struct {
	rootStart []byte   // the root start tag as sent, e.g. <QueryResult xmlns="...">
	rootName  string   // the root's qualified name as written, for the end tag
	items     [][]byte // each <BackupTaskSession> element as sent
}

// parseQueryPageXML cuts a QueryResult document into its root start tag and
// its entity elements (QueryResult/Entities/*/<item>). Paging is the SDK's
// (Client.QueryRawPages); this only splices EM's bytes.
func parseQueryPageXML(doc []byte, item string) (*queryPageXML, error) {
	p := &queryPageXML{}
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
				p.rootStart = tag
				p.rootName = qualifiedName(t.Name)
			case depth == 4 && path[1] == "Entities" && t.Name.Local == item:
				if err := skipRaw(d); err != nil {
					return nil, fmt.Errorf("malformed XML answer: %w", err)
				}
				p.items = append(p.items, doc[start:d.InputOffset()])
				depth--
				path = path[:len(path)-1]
			}
		case xml.EndElement:
			depth--
			path = path[:len(path)-1]
		}
	}
	if p.rootStart == nil {
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
