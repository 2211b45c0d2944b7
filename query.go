package vem

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/vemkit/vem/internal/em"
)

// DefaultQueryConcurrency is the number of query pages requested at once
// when Query.Concurrency is 0.
const DefaultQueryConcurrency = 4

// MaxQueryPages bounds the pages one query reads, whatever PagesCount a
// server announces: 100,000 pages of EM's default 100 objects is ten
// million objects.
const MaxQueryPages = 100_000

// Query selects, sorts and pages the results of the query service
// (GET /api/query?type=...&format=Entities). The same Query serves every
// queryable type: QueryBackupTaskSessions, QueryBackupJobSessions,
// QueryVMRestorePoints and QueryJobs.
type Query struct {
	// Filter selects objects; the zero Filter matches everything.
	Filter Filter
	// SortAsc or SortDesc names the field to sort by (at most one of them).
	SortAsc  Field
	SortDesc Field
	// PageSize is the number of objects per page; 0 leaves it to the server
	// (EM pages at 100).
	PageSize int
	// Concurrency bounds how many pages are requested at once. The first page
	// is always read alone (it tells how many pages there are) and only when
	// the caller asks for the first result; once the caller has consumed it,
	// the next pages are fetched up to Concurrency at a time, ahead of the
	// caller, and delivered in order. 1 reads one page at a time, only when
	// the caller reaches it. 0 means DefaultQueryConcurrency. Memory stays
	// bounded by Concurrency pages whatever the size of the result.
	Concurrency int
}

func (q *Query) validate() error {
	switch {
	case q.PageSize < 0:
		return fmt.Errorf("vem: query: negative PageSize %d", q.PageSize)
	case q.Concurrency < 0:
		return fmt.Errorf("vem: query: negative Concurrency %d", q.Concurrency)
	case q.SortAsc != "" && q.SortDesc != "":
		return errors.New("vem: query: SortAsc and SortDesc are both set")
	case q.SortAsc != "" && !em.ValidFieldName(string(q.SortAsc)):
		return fmt.Errorf("vem: query: invalid sort field %q", q.SortAsc)
	case q.SortDesc != "" && !em.ValidFieldName(string(q.SortDesc)):
		return fmt.Errorf("vem: query: invalid sort field %q", q.SortDesc)
	}
	return q.Filter.Err()
}

func (q *Query) concurrency() int {
	if q.Concurrency == 0 {
		return DefaultQueryConcurrency
	}
	return q.Concurrency
}

// Encode renders the query string of one page of a query for objects of
// type typ ("BackupTaskSession", "BackupJobSession", "VmRestorePoint",
// "Job", ...), format "Entities" or "" for references, escaping values so
// that ";", ",", quotes, "=" and spaces reach EM intact. It fails on the
// errors the query calls would return before sending anything.
func (q Query) Encode(typ, format string, page int) (string, error) {
	if err := q.validate(); err != nil {
		return "", err
	}
	if !em.ValidFieldName(typ) {
		return "", fmt.Errorf("vem: query: invalid type %q", typ)
	}
	if page < 1 {
		return "", fmt.Errorf("vem: query: page %d (pages start at 1)", page)
	}
	return q.rawQuery(typ, format, page), nil
}

func (q *Query) rawQuery(typ, format string, page int) string {
	var b strings.Builder
	b.WriteString("type=")
	b.WriteString(em.QueryEscape(typ))
	if format != "" {
		b.WriteString("&format=")
		b.WriteString(em.QueryEscape(format))
	}
	if s := q.Filter.String(); s != "" {
		b.WriteString("&filter=")
		b.WriteString(em.QueryEscape(s))
	}
	if q.SortAsc != "" {
		b.WriteString("&sortAsc=")
		b.WriteString(em.QueryEscape(string(q.SortAsc)))
	}
	if q.SortDesc != "" {
		b.WriteString("&sortDesc=")
		b.WriteString(em.QueryEscape(string(q.SortDesc)))
	}
	if q.PageSize > 0 {
		b.WriteString("&pageSize=")
		b.WriteString(strconv.Itoa(q.PageSize))
	}
	b.WriteString("&page=")
	b.WriteString(strconv.Itoa(page))
	return b.String()
}

// page is one page of a query as the pager sees it.
type page[T any] struct {
	items      []T
	pagesCount int // as the page announced it; 1 without PagingInfo
}

// paginate yields the items of every page in order: the first page alone,
// then up to conc pages in flight ahead of the caller. It stops at the first
// empty page after the first, at the smallest page count any page announced
// and at MaxQueryPages, so that a server that lies about PagesCount cannot
// keep it going. Nothing outlives the iterator.
func paginate[T any](ctx context.Context, conc int, fetch func(ctx context.Context, page int) (*page[T], error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		ctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		defer wg.Wait() // runs after cancel: no goroutine outlives the iterator
		defer cancel()

		first, err := fetch(ctx, 1)
		if err != nil {
			yield(zero, err)
			return
		}
		for _, s := range first.items {
			if !yield(s, nil) {
				return
			}
		}
		last := min(first.pagesCount, MaxQueryPages)
		if len(first.items) == 0 || last <= 1 {
			return
		}

		type result struct {
			page *page[T]
			err  error
		}
		type pending struct {
			n  int
			ch chan result
		}
		var window []pending // pages launched and not yet consumed, in order
		next := 2
		launch := func() {
			p := pending{n: next, ch: make(chan result, 1)}
			window = append(window, p)
			next++
			wg.Add(1)
			go func() {
				defer wg.Done()
				pg, err := fetch(ctx, p.n)
				p.ch <- result{pg, err}
			}()
		}
		for next <= last || len(window) > 0 {
			for len(window) < conc && next <= last {
				launch()
			}
			w := window[0]
			window = window[1:]
			if w.n > last {
				return // a later page announced fewer pages
			}
			r := <-w.ch
			if r.err != nil {
				yield(zero, r.err)
				return
			}
			if len(r.page.items) == 0 {
				return // past the real end, whatever PagesCount said
			}
			if r.page.pagesCount >= 1 && r.page.pagesCount < last {
				last = r.page.pagesCount // pages already in flight past it are dropped by cancel
			}
			if conc > 1 && next <= last {
				launch() // keep conc pages in flight while the caller consumes this one
			}
			for _, s := range r.page.items {
				if !yield(s, nil) {
					return
				}
			}
		}
	}
}

// queryAll runs a query for the resource's entities.
func (r resource[T, W, PW]) queryAll(ctx context.Context, c *Client, q Query) iter.Seq2[*T, error] {
	if err := q.validate(); err != nil {
		return func(yield func(*T, error) bool) { yield(nil, err) }
	}
	return paginate(ctx, q.concurrency(), func(ctx context.Context, n int) (*page[*T], error) {
		return r.queryPage(ctx, c, &q, n)
	})
}

func (r resource[T, W, PW]) queryPage(ctx context.Context, c *Client, q *Query, n int) (*page[*T], error) {
	var out *page[*T]
	_, err := c.do(ctx, &request{
		method: http.MethodGet, path: "/api/query",
		rawQuery: q.rawQuery(r.query.Name, "Entities", n),
		resource: fmt.Sprintf("%s query page %d", r.query.Name, n),
	}, func(ct string, body []byte) error {
		var err error
		out, err = r.decodePage(ct, body, n)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// decodePage decodes page n of a query for the resource's entities.
func (r resource[T, W, PW]) decodePage(ct string, body []byte, n int) (*page[*T], error) {
	ew := entitiesWire[W]{collection: r.query.Collection, item: r.query.Name}
	if r.elem != "" {
		ew.item = r.elem
	}
	w := queryResultWire[W]{Entities: ew}
	if r.container == "Resources" {
		w = queryResultWire[W]{Resources: ew}
	}
	if js, ok := jsonBody(ct, body); ok {
		// JSON pages are walked in place: only the entities are decoded,
		// once, instead of validating and scanning the page twice more.
		if err := w.unmarshalJSON(js); err != nil {
			return nil, err
		}
	} else if err := decodeWire(ct, body, &w); err != nil {
		return nil, err
	}
	if r.container == "Resources" {
		w.Entities = w.Resources
	}
	if err := w.check(n); err != nil {
		return nil, err
	}
	out := &page[*T]{items: make([]*T, 0, len(w.Entities.items)), pagesCount: w.pagesCount()}
	for i := range w.Entities.items {
		s, err := r.fromWire(r.kind, &w.Entities.items[i], "")
		if err != nil {
			return nil, fmt.Errorf("entity %d: %w", i, err)
		}
		out.items = append(out.items, s)
	}
	return out, nil
}

// queryResultWire is a QueryResult page. Its entities are those of one
// collection, chosen before decoding.
type queryResultWire[W any] struct {
	XMLName    xml.Name        `json:"-"`
	Entities   entitiesWire[W] `xml:"Entities" json:"Entities"`
	Resources  entitiesWire[W] `xml:"Resources" json:"-"` // tasks, NAS objects
	PagingInfo *pagingInfoWire `xml:"PagingInfo" json:"PagingInfo"`
}

// unmarshalJSON reads a JSON QueryResult: Entities and PagingInfo, keys in
// any case; the rest (Refs, Links) is skipped.
func (w *queryResultWire[W]) unmarshalJSON(b []byte) error {
	return eachJSONField(b, func(key, value []byte) error {
		switch {
		case asciiEqualFold(key, "Entities"):
			return w.Entities.UnmarshalJSON(value)
		case asciiEqualFold(key, "Resources") && w.Resources.collection != "":
			return w.Resources.UnmarshalJSON(value)
		case asciiEqualFold(key, "PagingInfo"):
			return json.Unmarshal(value, &w.PagingInfo)
		}
		return nil
	})
}

func (w *queryResultWire[W]) check(n int) error {
	if w.XMLName.Local != "" && w.XMLName.Local != "QueryResult" {
		return fmt.Errorf("got a <%s> document, want <QueryResult>", truncate(w.XMLName.Local, 60))
	}
	if w.Entities.other != "" {
		return fmt.Errorf("the page holds %s, not the %s asked for", truncate(w.Entities.other, 60), w.Entities.collection)
	}
	if pi := w.PagingInfo; pi != nil && pi.PageNum != n && len(w.Entities.items) > 0 {
		return fmt.Errorf("asked for page %d, got page %d", n, pi.PageNum)
	}
	return nil
}

func (w *queryResultWire[W]) pagesCount() int {
	if w.PagingInfo == nil {
		return 1
	}
	return w.PagingInfo.PagesCount
}

type pagingInfoWire struct {
	PageNum    int   `xml:"PageNum,attr" json:"PageNum"`
	PageSize   int   `xml:"PageSize,attr" json:"PageSize"`
	PagesCount int   `xml:"PagesCount,attr" json:"PagesCount"`
	Links      Links `xml:"Links>Link" json:"Links"`
}

// entitiesWire is the <Entities> of a QueryResult: one child element per
// collection (<BackupTaskSessions><BackupTaskSession/>...), in JSON
// {"BackupTaskSessions":{"BackupTaskSessions":[...]},"Jobs":null,...}.
// It keeps the items of the collection asked for and notes another
// collection that holds something: a page of the wrong type is an error,
// never zero items.
type entitiesWire[W any] struct {
	collection, item string // set before decoding
	items            []W
	other            string
}

func (e *entitiesWire[W]) UnmarshalXML(d *xml.Decoder, _ xml.StartElement) error {
	return eachChildXML(d, func(coll xml.StartElement) error {
		if coll.Name.Local != e.collection {
			// another collection: note it when it holds anything
			return eachChildXML(d, func(xml.StartElement) error {
				if e.other == "" {
					e.other = coll.Name.Local
				}
				return d.Skip()
			})
		}
		return eachChildXML(d, func(item xml.StartElement) error {
			if item.Name.Local != e.item {
				return fmt.Errorf("got a <%s> in <%s>, want <%s>", truncate(item.Name.Local, 60), e.collection, e.item)
			}
			var w W
			if err := d.DecodeElement(&w, &item); err != nil {
				return err
			}
			e.items = append(e.items, w)
			return nil
		})
	})
}

// eachChildXML calls f for each child element of the element being read,
// up to its end; f reads the child to its end (d.Skip, DecodeElement or
// eachChildXML).
func eachChildXML(d *xml.Decoder, f func(xml.StartElement) error) error {
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return nil
		case xml.StartElement:
			if err := f(t); err != nil {
				return err
			}
		}
	}
}

func (e *entitiesWire[W]) UnmarshalJSON(b []byte) error {
	// Walk it in place, without copying, and decode only the items of the
	// collection asked for.
	return eachJSONField(b, func(key, value []byte) error {
		if !asciiEqualFold(key, e.collection) {
			if e.other == "" && !emptyJSON(value) {
				e.other = string(key)
			}
			return nil
		}
		// {"BackupTaskSessions":[...]}, the inner key in any case
		return eachJSONField(value, func(key, value []byte) error {
			if !asciiEqualFold(key, e.collection) {
				return nil
			}
			return json.Unmarshal(value, &e.items)
		})
	})
}

// emptyJSON reports whether v is null, {}, [] or an object whose values
// are all empty.
func emptyJSON(v []byte) bool {
	v = bytes.TrimSpace(v)
	switch {
	case len(v) == 0, bytes.Equal(v, []byte("null")), bytes.Equal(v, []byte("[]")):
		return true
	case v[0] == '{':
		empty := true
		err := eachJSONField(v, func(_, value []byte) error {
			if !emptyJSON(value) {
				empty = false
			}
			return nil
		})
		return err == nil && empty
	}
	return false
}

// asciiEqualFold compares a JSON key (its raw bytes between the quotes)
// with an ASCII name, ignoring case as encoding/json does for ASCII.
func asciiEqualFold(key []byte, name string) bool {
	if len(key) != len(name) {
		return false
	}
	for i := range len(key) {
		a, b := key[i], name[i]
		if 'A' <= a && a <= 'Z' {
			a += 'a' - 'A'
		}
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		if a != b {
			return false
		}
	}
	return true
}

// eachJSONField calls f with the raw key (between its quotes, escapes left
// as they are) and the raw value of each member of the JSON object b,
// without copying; null is an object without members. It checks the
// structure it walks, not the values it skips: those it hands to f are
// decoded by json.Unmarshal, which checks them.
func eachJSONField(b []byte, f func(key, value []byte) error) error {
	malformed := errors.New("malformed JSON object")
	i := skipJSONSpace(b, 0)
	if bytes.HasPrefix(b[i:], []byte("null")) && skipJSONSpace(b, i+4) == len(b) {
		return nil
	}
	if i >= len(b) || b[i] != '{' {
		return errors.New("want a JSON object")
	}
	i = skipJSONSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return nil
	}
	for i < len(b) {
		if b[i] != '"' {
			return malformed
		}
		end, ok := skipJSONString(b, i)
		if !ok {
			return malformed
		}
		key := b[i+1 : end-1]
		i = skipJSONSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return malformed
		}
		i = skipJSONSpace(b, i+1)
		vend, ok := skipJSONValue(b, i)
		if !ok {
			return malformed
		}
		if err := f(key, b[i:vend]); err != nil {
			return err
		}
		i = skipJSONSpace(b, vend)
		if i < len(b) && b[i] == ',' {
			i = skipJSONSpace(b, i+1)
			continue
		}
		if i < len(b) && b[i] == '}' {
			return nil
		}
		return malformed
	}
	return malformed
}

func skipJSONSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipJSONString returns the index after the string that starts at b[i],
// ok false when it does not end.
func skipJSONString(b []byte, i int) (int, bool) {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1, true
		}
	}
	return len(b), false
}

// skipJSONValue returns the index after the value that starts at b[i], ok
// false when it is empty or does not end.
func skipJSONValue(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return i, false
	}
	switch b[i] {
	case '"':
		return skipJSONString(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				end, ok := skipJSONString(b, i)
				if !ok {
					return len(b), false
				}
				i = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, true
				}
			}
		}
		return len(b), false
	}
	start := i
	for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] != ' ' && b[i] != '\t' && b[i] != '\n' && b[i] != '\r' {
		i++
	}
	return i, i > start
}

// RawPage is one page of a query as the server sent it.
type RawPage struct {
	Page        int // 1-based
	PagesCount  int // as the server announced it (1 without PagingInfo)
	Items       int // entities or references on the page
	ContentType string
	Body        []byte // a UTF-8 byte-order mark removed
}

// Representation is which representation of each object a query page
// holds: EM's "format" query parameter. It is not the wire format (Format).
type Representation string

// Representations of query results.
const (
	// RepresentationReferences: references (EM's default; no format
	// parameter is sent).
	RepresentationReferences Representation = ""
	// RepresentationEntities: entities, with all their fields.
	RepresentationEntities Representation = "Entities"
)

// QueryRawPages runs a query for objects of type typ in representation rep
// and yields each page's body untouched, in order, with the pager of the
// typed queries (Query.Concurrency, relogon, a stop when the caller stops).
// The first page is always yielded, even when it holds nothing; later pages
// only when they hold objects. f chooses the wire format (the Accept type);
// "" means the client's format. It serves tools that pass EM's own
// documents on.
func (c *Client) QueryRawPages(ctx context.Context, typ string, rep Representation, q Query, f Format) iter.Seq2[*RawPage, error] {
	format := string(rep)
	if _, err := q.Encode(typ, format, 1); err != nil {
		return func(yield func(*RawPage, error) bool) { yield(nil, err) }
	}
	if f != "" && f != FormatXML && f != FormatJSON {
		return func(yield func(*RawPage, error) bool) {
			yield(nil, errors.New("vem: QueryRawPages: unknown format "+string(f)))
		}
	}
	fetch := func(ctx context.Context, n int) (*page[*RawPage], error) {
		out := &RawPage{Page: n}
		_, err := c.do(ctx, &request{
			method: http.MethodGet, path: "/api/query", rawQuery: q.rawQuery(typ, format, n), accept: f,
			resource: fmt.Sprintf("%s query page %d", typ, n),
		}, func(ct string, body []byte) error {
			var w rawPageWire
			if err := decodeWire(ct, body, &w); err != nil {
				return err
			}
			if w.XMLName.Local != "" && w.XMLName.Local != "QueryResult" {
				return fmt.Errorf("got a <%s> document, want <QueryResult>", truncate(w.XMLName.Local, 60))
			}
			out.ContentType = ct
			out.Body = bytes.Clone(bytes.TrimPrefix(body, utf8BOM))
			out.Items = w.count()
			out.PagesCount = 1
			if w.PagingInfo != nil {
				out.PagesCount = w.PagingInfo.PagesCount
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		p := &page[*RawPage]{pagesCount: out.PagesCount}
		if out.Items > 0 || n == 1 {
			p.items = []*RawPage{out} // the first page always: an empty result is a document too
		}
		return p, nil
	}
	return paginate(ctx, q.concurrency(), fetch)
}

// rawPageWire reads what the pager needs of a page it passes on: the paging
// information and how many objects it holds.
type rawPageWire struct {
	XMLName    xml.Name        `json:"-"`
	Refs       rawCount        `xml:"Refs" json:"Refs"`
	Entities   rawCount        `xml:"Entities" json:"Entities"`
	PagingInfo *pagingInfoWire `xml:"PagingInfo" json:"PagingInfo"`
}

func (w *rawPageWire) count() int { return w.Refs.n + w.Entities.n }

// rawCount counts the objects of a Refs or Entities element: the
// grandchildren of <Entities>, the children of <Refs>; in JSON the
// elements of the arrays inside.
type rawCount struct{ n int }

func (c *rawCount) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	if start.Name.Local == "Refs" {
		return eachChildXML(d, func(xml.StartElement) error { c.n++; return d.Skip() })
	}
	return eachChildXML(d, func(xml.StartElement) error { // a collection of <Entities>
		return eachChildXML(d, func(xml.StartElement) error { c.n++; return d.Skip() })
	})
}

func (c *rawCount) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	c.n = countArrays(v, 0)
	return nil
}

// countArrays counts the elements of the arrays in v, looking at most two
// objects deep.
func countArrays(v any, depth int) int {
	switch x := v.(type) {
	case []any:
		return len(x)
	case map[string]any:
		if depth >= 2 {
			return 0
		}
		n := 0
		for _, e := range x {
			n += countArrays(e, depth+1)
		}
		return n
	}
	return 0
}
