package vem_test

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vemkit/vem"
	"github.com/vemkit/vem/vemtest"
)

// fieldOf reads a field of a typed entity by name ("" when it has none).
func fieldOf(v any, name string) string {
	f := reflect.ValueOf(v).Elem().FieldByName(name)
	if !f.IsValid() {
		return ""
	}
	return f.String()
}

// Every one of the 49 query types, against vemtest, in XML, EM 12 JSON
// and EM 13 JSON: its Query method yields entities of its own Go type,
// page by page, and the server filters and sorts them on its documented
// fields.
func TestQueryEveryTypeE2E(t *testing.T) {
	ctx := context.Background()
	types := vem.ResourceTypes()
	var queryable []*vem.ResourceType
	for _, rt := range types {
		if rt.Queryable() {
			queryable = append(queryable, rt)
		}
	}
	require.Len(t, queryable, 49)
	for _, enc := range []struct {
		name  string
		style vemtest.JSONStyle
		f     vem.Format
	}{{"xml", vemtest.JSONStyleEM12PascalCase, vem.FormatXML}, {"em12", vemtest.JSONStyleEM12PascalCase, vem.FormatJSON}, {"em13", vemtest.JSONStyleEM13CamelCase, vem.FormatJSON}} {
		t.Run(enc.name, func(t *testing.T) {
			_, c := newE2E(t, []vemtest.Option{vemtest.WithJSONStyle(enc.style), vemtest.WithDataset(20)}, vem.WithFormat(enc.f))
			// A task of this logon session for the Task query.
			_, err := c.StartJob(ctx, vemtest.SeedJobID)
			require.NoError(t, err)
			for _, rt := range queryable {
				t.Run(rt.Name, func(t *testing.T) {
					var all []any
					for v, err := range rt.Query(ctx, c, vem.Query{PageSize: 1, Concurrency: 2}) {
						require.NoError(t, err)
						all = append(all, v)
					}
					require.NotEmpty(t, all, "no %s entities", rt.Name)
					for _, v := range all {
						assert.Equal(t, rt.GoName, reflect.TypeOf(v).Elem().Name())
						if h := fieldOf(v, "Href"); !assert.NotEmpty(t, h) {
							continue
						}
					}
					var one []any
					for v, err := range rt.Query(ctx, c, vem.Query{}) {
						require.NoError(t, err)
						one = append(one, v)
					}
					assert.Len(t, one, len(all), "pages of 1 and one page give the same entities")

					// Filter and sort on a documented string field.
					field, goField := vem.Field("Name"), "Name"
					if alt, ok := map[string]string{"Task": "TaskId:ID", "Credentials": "Username:Username", "Passwords": "Hint:Hint",
						"ObjectInAgentBackupJob": "DisplayName:DisplayName", "VlanConfiguration": "SwitchName:SwitchName"}[rt.Name]; ok {
						f, g, _ := strings.Cut(alt, ":")
						field, goField = vem.Field(f), g
					}
					if !slices.Contains(rt.Fields, field) {
						t.Skipf("%s has no %s field", rt.Name, field)
					}
					want := fieldOf(all[len(all)-1], goField)
					var got []any
					for v, err := range rt.Query(ctx, c, vem.Query{Filter: vem.Eq(field, want)}) {
						require.NoError(t, err)
						got = append(got, v)
					}
					require.NotEmpty(t, got)
					for _, v := range got {
						assert.True(t, strings.EqualFold(want, fieldOf(v, goField)))
					}
					var names []string
					for v, err := range rt.Query(ctx, c, vem.Query{SortDesc: field, PageSize: 2}) {
						require.NoError(t, err)
						names = append(names, strings.ToLower(fieldOf(v, goField)))
					}
					assert.True(t, slices.IsSortedFunc(names, func(a, b string) int { return strings.Compare(b, a) }), "%v", names)
				})
			}
		})
	}
}
