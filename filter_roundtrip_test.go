package vem_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vemkit/vem"
	"github.com/vemkit/vem/internal/em"
	"github.com/vemkit/vem/internal/emfilter"
	"github.com/vemkit/vem/vemtest"
)

// filterGen builds a random filter from fuzz input, twice: as a vem.Filter
// and as the emfilter.Expr tree the server should parse it into.
type filterGen struct {
	data   []byte
	values []string
}

func (g *filterGen) byte() byte {
	if len(g.data) == 0 {
		return 0
	}
	b := g.data[0]
	g.data = g.data[1:]
	return b
}

var genOps = []struct {
	mk func(vem.Field, any) vem.Filter
	op emfilter.Op
}{
	{vem.Eq, emfilter.Eq}, {vem.Ne, emfilter.Ne}, {vem.Gt, emfilter.Gt},
	{vem.Ge, emfilter.Ge}, {vem.Lt, emfilter.Lt}, {vem.Le, emfilter.Le},
}

// comparison picks a field, an operator and a value valid for that field.
func (g *filterGen) comparison() (vem.Filter, *emfilter.Expr) {
	o := genOps[int(g.byte())%len(genOps)]
	var field string
	var value any
	var want string
	switch g.byte() % 5 {
	case 0:
		field = "TotalSize"
		n := int64(g.byte())<<24 | int64(g.byte())
		value, want = n, fmt.Sprint(n)
	case 1:
		field = "CreationTime"
		t := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(g.byte()) * time.Hour)
		value, want = t, t.Format(time.RFC3339)
	case 2:
		field = "Result"
		r := em.Results()[int(g.byte())%len(em.Results())]
		value, want = vem.Result(r), r
	case 3:
		field = "State"
		s := em.TaskStates()[int(g.byte())%len(em.TaskStates())]
		value, want = vem.State(s), s
	default:
		field = []string{"Name", "Reason", "VmDisplayName", "JobName", "BackupServerName"}[int(g.byte())%5]
		s := ""
		if len(g.values) > 0 {
			s = g.values[int(g.byte())%len(g.values)]
		}
		value, want = s, s
	}
	return o.mk(vem.Field(field), value), &emfilter.Expr{Op: o.op, Field: field, Value: want}
}

// tree builds a filter of limited depth.
func (g *filterGen) tree(depth int) (vem.Filter, *emfilter.Expr) {
	kind := g.byte() % 3
	if depth == 0 || kind == 0 {
		return g.comparison()
	}
	n := 1 + int(g.byte()%3)
	var fs []vem.Filter
	var es []*emfilter.Expr
	for range n {
		f, e := g.tree(depth - 1)
		fs = append(fs, f)
		es = append(es, e)
	}
	if kind == 1 {
		return vem.And(fs...), flatten(emfilter.And, es)
	}
	return vem.Or(fs...), flatten(emfilter.Or, es)
}

// flatten mirrors the grouping rules: a single term stands alone, and a
// combination inside one of the same kind merges into it.
func flatten(op emfilter.Op, es []*emfilter.Expr) *emfilter.Expr {
	var terms []*emfilter.Expr
	for _, e := range es {
		if e.Op == op {
			terms = append(terms, e.Terms...)
		} else {
			terms = append(terms, e)
		}
	}
	if len(terms) == 1 {
		return terms[0]
	}
	return &emfilter.Expr{Op: op, Terms: terms}
}

// FuzzFilterParsesBack checks that every filter vem renders parses back,
// on vemtest's parser of EM's filter language, into the same expression:
// same structure, same fields, operators and values. A sample of the
// filters is also sent to a vemtest server, which must accept them.
func FuzzFilterParsesBack(f *testing.F) {
	f.Add([]byte{1, 2, 0, 4, 0, 0, 5, 0, 2, 1}, "dbserver01", "Fileserver Backup")
	f.Add([]byte{2, 3, 1, 0, 4, 1, 0, 3, 2, 0, 4, 9, 1}, `Fileserver "A" Backup`, "a;b,c")
	f.Add([]byte{0, 0, 4, 0}, "", "(x)")
	f.Add([]byte{1, 3, 2, 1, 3, 5, 0, 4, 2, 2, 4}, "Überserver « plein »", "x==y")
	s := vemtest.NewServer(vemtest.WithDataset(5))
	f.Cleanup(s.Close)
	c, err := vem.New(s.URL, vem.WithHTTPClient(s.Client()), vem.WithCredentials(s.Username, s.Password), vem.WithRetry(vem.NoRetries()))
	require.NoError(f, err)
	f.Cleanup(func() { _ = c.Close() })
	sent := 0
	f.Fuzz(func(t *testing.T, data []byte, v1, v2 string) {
		if !utf8.ValidString(v1) || !utf8.ValidString(v2) {
			return // filter values are text
		}
		g := &filterGen{data: data, values: []string{v1, v2}}
		fl, want := g.tree(3)
		require.NoError(t, fl.Err())
		rendered := fl.String()
		got, err := emfilter.Parse(rendered)
		require.NoError(t, err, "rendered %q", rendered)
		require.Equal(t, want.String(), got.String(), "rendered %q", rendered)
		assertSameExpr(t, want, got)
		if sent < 200 { // bounded: the server check is a sample
			sent++
			for _, err := range c.QueryBackupTaskSessions(context.Background(), vem.Query{Filter: fl, PageSize: 5}) {
				require.NoError(t, err, "server refused %q", rendered)
			}
		}
	})
}

func assertSameExpr(t *testing.T, want, got *emfilter.Expr) {
	t.Helper()
	require.Equal(t, want.Op, got.Op)
	if want.Op.IsComparison() {
		assert.True(t, strings.EqualFold(want.Field, got.Field))
		assert.Equal(t, want.Value, got.Value)
		return
	}
	require.Len(t, got.Terms, len(want.Terms))
	for i := range want.Terms {
		assertSameExpr(t, want.Terms[i], got.Terms[i])
	}
}
