package vem

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

// DefaultQueryConcurrency is the number of query pages requested at once
// when Query.Concurrency is 0.
const DefaultQueryConcurrency = 4

// Query selects, sorts and pages the results of the query service
// (GET /api/query?type=...&format=Entities).
type Query struct {
	// Filter selects objects; the zero Filter matches everything.
	Filter Filter
	// SortAsc or SortDesc names the field to sort by (at most one of them).
	SortAsc  string
	SortDesc string
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
	case q.SortAsc != "" && !validField(q.SortAsc):
		return fmt.Errorf("vem: query: invalid sort field %q", q.SortAsc)
	case q.SortDesc != "" && !validField(q.SortDesc):
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

// rawQuery renders the query string for one page, escaping values so that
// ";", ",", quotes, "=" and spaces reach EM intact.
func (q *Query) rawQuery(typ, format string, page int) string {
	var b strings.Builder
	b.WriteString("type=")
	b.WriteString(queryEscape(typ))
	if format != "" {
		b.WriteString("&format=")
		b.WriteString(format)
	}
	if s := q.Filter.String(); s != "" {
		b.WriteString("&filter=")
		b.WriteString(queryEscape(s))
	}
	if q.SortAsc != "" {
		b.WriteString("&sortAsc=")
		b.WriteString(queryEscape(q.SortAsc))
	}
	if q.SortDesc != "" {
		b.WriteString("&sortDesc=")
		b.WriteString(queryEscape(q.SortDesc))
	}
	if q.PageSize > 0 {
		b.WriteString("&pageSize=")
		b.WriteString(strconv.Itoa(q.PageSize))
	}
	b.WriteString("&page=")
	b.WriteString(strconv.Itoa(page))
	return b.String()
}

// queryEscape escapes a query value, spaces as %20 rather than "+", which
// some servers leave as a plus sign.
func queryEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// QueryBackupTaskSessions runs a query-service query for backup task
// sessions and yields them one by one, across every page, in the server's
// order: GET /api/query?type=BackupTaskSession&format=Entities&filter=...
//
// Pages are requested only as the caller consumes results (see
// Query.Concurrency), and no more once the caller stops ranging; requests
// still in flight are then cancelled. On failure the iterator yields one
// error (nil session) and stops. A session that expires mid-query is renewed
// as for any other call.
//
//	for ts, err := range c.QueryBackupTaskSessions(ctx, vem.Query{Filter: vem.Eq("Result", vem.ResultFailed)}) {
//		if err != nil {
//			return err
//		}
//		fmt.Println(ts.Name)
//	}
func (c *Client) QueryBackupTaskSessions(ctx context.Context, q Query) iter.Seq2[*BackupTaskSession, error] {
	return func(yield func(*BackupTaskSession, error) bool) {
		if err := q.validate(); err != nil {
			yield(nil, err)
			return
		}
		ctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		defer wg.Wait() // runs after cancel: no goroutine outlives the iterator
		defer cancel()

		first, err := c.queryTaskSessionPage(ctx, &q, 1)
		if err != nil {
			yield(nil, err)
			return
		}
		for _, s := range first.items {
			if !yield(s, nil) {
				return
			}
		}
		if len(first.items) == 0 || first.pagesCount <= 1 {
			return
		}

		type result struct {
			page *taskSessionPage
			err  error
		}
		var window []chan result // pages launched and not yet consumed, in order
		next := 2
		launch := func() {
			ch := make(chan result, 1)
			window = append(window, ch)
			page := next
			next++
			wg.Add(1)
			go func() {
				defer wg.Done()
				p, err := c.queryTaskSessionPage(ctx, &q, page)
				ch <- result{p, err}
			}()
		}
		conc := q.concurrency()
		for next <= first.pagesCount || len(window) > 0 {
			for len(window) < conc && next <= first.pagesCount {
				launch()
			}
			r := <-window[0]
			window = window[1:]
			if r.err != nil {
				yield(nil, r.err)
				return
			}
			if conc > 1 && next <= first.pagesCount {
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

type taskSessionPage struct {
	items      []*BackupTaskSession
	pageNum    int
	pagesCount int
}

func (c *Client) queryTaskSessionPage(ctx context.Context, q *Query, page int) (*taskSessionPage, error) {
	out := &taskSessionPage{}
	_, err := c.do(ctx, &request{
		method: http.MethodGet, path: "/api/query",
		rawQuery: q.rawQuery(KindBackupTaskSession, "Entities", page),
		resource: fmt.Sprintf("%s query page %d", KindBackupTaskSession, page),
	}, func(ct string, body []byte) error {
		var w taskSessionQueryWire
		if err := decodeWire(ct, body, &w); err != nil {
			return err
		}
		if w.XMLName.Local != "" && w.XMLName.Local != "QueryResult" {
			return fmt.Errorf("got a <%s> document, want <QueryResult>", truncate(w.XMLName.Local, 60))
		}
		items := w.Entities.BackupTaskSessions.Items
		out.items = make([]*BackupTaskSession, 0, len(items))
		for i := range items {
			s, err := items[i].toPublic()
			if err != nil {
				return fmt.Errorf("entity %d: %w", i, err)
			}
			out.items = append(out.items, s)
		}
		out.pageNum, out.pagesCount = page, 1
		if pi := w.PagingInfo; pi != nil {
			out.pageNum, out.pagesCount = pi.PageNum, pi.PagesCount
			if pi.PageNum != page && len(items) > 0 {
				return fmt.Errorf("asked for page %d, got page %d", page, pi.PageNum)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// taskSessionQueryWire is a QueryResult of task session entities. In JSON
// the entities double-nest: {"Entities":{"BackupTaskSessions":{"BackupTaskSessions":[...]}}}.
type taskSessionQueryWire struct {
	XMLName  xml.Name `json:"-"`
	Entities struct {
		BackupTaskSessions struct {
			Items []taskSessionWire `xml:"BackupTaskSession" json:"BackupTaskSessions"`
		} `xml:"BackupTaskSessions" json:"BackupTaskSessions"`
	} `xml:"Entities" json:"Entities"`
	PagingInfo *pagingInfoWire `xml:"PagingInfo" json:"PagingInfo"`
}

type pagingInfoWire struct {
	PageNum    int   `xml:"PageNum,attr" json:"PageNum"`
	PageSize   int   `xml:"PageSize,attr" json:"PageSize"`
	PagesCount int   `xml:"PagesCount,attr" json:"PagesCount"`
	Links      Links `xml:"Links>Link" json:"Links"`
}
