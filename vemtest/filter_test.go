package vemtest_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vemkit/vem/vemtest"
)

func cmpExpr(field string, op vemtest.FilterOp, value string) *vemtest.FilterExpr {
	return &vemtest.FilterExpr{Op: op, Field: field, Value: value}
}

func TestParseFilter(t *testing.T) {
	and := func(ts ...*vemtest.FilterExpr) *vemtest.FilterExpr {
		return &vemtest.FilterExpr{Op: vemtest.FilterAnd, Terms: ts}
	}
	or := func(ts ...*vemtest.FilterExpr) *vemtest.FilterExpr {
		return &vemtest.FilterExpr{Op: vemtest.FilterOr, Terms: ts}
	}
	for _, tc := range []struct {
		in        string
		want      *vemtest.FilterExpr
		canonical string
	}{
		{"Result==Failed", cmpExpr("Result", vemtest.FilterEq, "Failed"), "Result==Failed"},
		{"Result!=Failed", cmpExpr("Result", vemtest.FilterNe, "Failed"), "Result!=Failed"},
		{"TotalSize>1", cmpExpr("TotalSize", vemtest.FilterGt, "1"), "TotalSize>1"},
		{"TotalSize>=1", cmpExpr("TotalSize", vemtest.FilterGe, "1"), "TotalSize>=1"},
		{"TotalSize<1", cmpExpr("TotalSize", vemtest.FilterLt, "1"), "TotalSize<1"},
		{"TotalSize<=1", cmpExpr("TotalSize", vemtest.FilterLe, "1"), "TotalSize<=1"},
		{"  jobname  ==  x  ", cmpExpr("jobname", vemtest.FilterEq, "x"), "jobname==x"},
		{`JobName=="Fileserver ""A"" Backup"`, cmpExpr("JobName", vemtest.FilterEq, `Fileserver "A" Backup`), `JobName=="Fileserver ""A"" Backup"`},
		{`Name==""`, cmpExpr("Name", vemtest.FilterEq, ""), `Name==""`},
		{`Name==""""`, cmpExpr("Name", vemtest.FilterEq, `"`), `Name==""""`},
		{`Name=="plain"`, cmpExpr("Name", vemtest.FilterEq, "plain"), "Name==plain"},
		{`Name=="a;b,c(d)e"`, cmpExpr("Name", vemtest.FilterEq, "a;b,c(d)e"), `Name=="a;b,c(d)e"`},
		{`Name=="x==y"`, cmpExpr("Name", vemtest.FilterEq, "x==y"), `Name=="x==y"`},
		{"Reason==Échec", cmpExpr("Reason", vemtest.FilterEq, "Échec"), "Reason==Échec"},
		{`CreationTime>="2025-08-15T06:00:00Z"`, cmpExpr("CreationTime", vemtest.FilterGe, "2025-08-15T06:00:00Z"), "CreationTime>=2025-08-15T06:00:00Z"},
		{"CreationTime>=2025-08-15T06:00:00.5+02:00", cmpExpr("CreationTime", vemtest.FilterGe, "2025-08-15T06:00:00.5+02:00"), "CreationTime>=2025-08-15T06:00:00.5+02:00"},
		{"a==1;b==2", and(cmpExpr("a", "==", "1"), cmpExpr("b", "==", "2")), "a==1;b==2"},
		{"a==1,b==2", or(cmpExpr("a", "==", "1"), cmpExpr("b", "==", "2")), "a==1,b==2"},
		// AND binds tighter than OR.
		{"a==1;b==2,c==3", or(and(cmpExpr("a", "==", "1"), cmpExpr("b", "==", "2")), cmpExpr("c", "==", "3")), "a==1;b==2,c==3"},
		{"a==1,b==2;c==3", or(cmpExpr("a", "==", "1"), and(cmpExpr("b", "==", "2"), cmpExpr("c", "==", "3"))), "a==1,b==2;c==3"},
		{"(a==1,b==2);c==3", and(or(cmpExpr("a", "==", "1"), cmpExpr("b", "==", "2")), cmpExpr("c", "==", "3")), "(a==1,b==2);c==3"},
		{"c==3;(a==1,b==2)", and(cmpExpr("c", "==", "3"), or(cmpExpr("a", "==", "1"), cmpExpr("b", "==", "2"))), "c==3;(a==1,b==2)"},
		// Redundant parentheses go; nested combinations of one kind flatten.
		{"((a==1))", cmpExpr("a", "==", "1"), "a==1"},
		{"(a==1;b==2);c==3", and(cmpExpr("a", "==", "1"), cmpExpr("b", "==", "2"), cmpExpr("c", "==", "3")), "a==1;b==2;c==3"},
		{"a==1,(b==2,c==3)", or(cmpExpr("a", "==", "1"), cmpExpr("b", "==", "2"), cmpExpr("c", "==", "3")), "a==1,b==2,c==3"},
		{"(a==1;b==2),c==3", or(and(cmpExpr("a", "==", "1"), cmpExpr("b", "==", "2")), cmpExpr("c", "==", "3")), "a==1;b==2,c==3"},
		{"Job.Name==x", cmpExpr("Job.Name", vemtest.FilterEq, "x"), "Job.Name==x"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			e, err := vemtest.ParseFilter(tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.want, e)
			assert.Equal(t, tc.canonical, e.String())
			again, err := vemtest.ParseFilter(e.String())
			require.NoError(t, err)
			assert.Equal(t, e, again, "the canonical form parses back to the same expression")
		})
	}
}

func TestParseFilterErrors(t *testing.T) {
	for _, tc := range []struct{ in, msg string }{
		{"Name=x", "use =="},
		{"Name", "operator"},
		{"Name==", "value"},
		{"Name==a b", `unexpected 'b'`},
		{"Name==a;", "field name"},
		{";Name==a", "field name"},
		{"(Name==a", "missing )"},
		{"Name==a)", "unexpected ')'"},
		{"()", "field name"},
		{`Name=="abc`, "unterminated"},
		{`Name==a"b"`, `unexpected '"'`},
		{"==a", "field name"},
		{"1Name==a", "field name"},
		{"Name~=a", "operator"},
		{"Name=!a", "use =="},
		{"Name==(a)", "value"},
		{strings.Repeat("(", 65) + "a==1" + strings.Repeat(")", 65), "nested deeper"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			e, err := vemtest.ParseFilter(tc.in)
			require.Error(t, err, "parsed as %v", e)
			var fe *vemtest.FilterError
			require.True(t, errors.As(err, &fe), "%T", err)
			assert.Contains(t, err.Error(), tc.msg)
			assert.Equal(t, tc.in, fe.Expr)
			assert.GreaterOrEqual(t, fe.Pos, 0)
			assert.LessOrEqual(t, fe.Pos, len(tc.in))
		})
	}
	for _, in := range []string{"", "   ", "\t\n"} {
		_, err := vemtest.ParseFilter(in)
		assert.ErrorIs(t, err, vemtest.ErrEmptyFilter)
	}
	// 64 levels are fine.
	_, err := vemtest.ParseFilter(strings.Repeat("(", 64) + "a==1" + strings.Repeat(")", 64))
	assert.NoError(t, err)
}

func TestQuoteFilterValue(t *testing.T) {
	for in, want := range map[string]string{
		"plain":                 "plain",
		"":                      `""`,
		"two words":             `"two words"`,
		`Fileserver "A" Backup`: `"Fileserver ""A"" Backup"`,
		"a;b":                   `"a;b"`,
		"2025-01-01T00:00:00Z":  "2025-01-01T00:00:00Z",
		"x<y":                   `"x<y"`,
		"tab\there":             "\"tab\there\"",
		"é":                     "é",
	} {
		assert.Equal(t, want, vemtest.QuoteFilterValue(in), in)
		e, err := vemtest.ParseFilter("Name==" + vemtest.QuoteFilterValue(in))
		require.NoError(t, err, in)
		assert.Equal(t, in, e.Value)
	}
}

func TestFilterExprStringBuilt(t *testing.T) {
	// A client builds an expression and renders it; the server parses it back.
	e := &vemtest.FilterExpr{Op: vemtest.FilterAnd, Terms: []*vemtest.FilterExpr{
		cmpExpr("JobName", vemtest.FilterEq, `Fileserver "A" Backup`),
		{Op: vemtest.FilterOr, Terms: []*vemtest.FilterExpr{
			cmpExpr("Result", vemtest.FilterEq, "Failed"),
			cmpExpr("Result", vemtest.FilterEq, "Warning"),
		}},
	}}
	s := e.String()
	assert.Equal(t, `JobName=="Fileserver ""A"" Backup";(Result==Failed,Result==Warning)`, s)
	back, err := vemtest.ParseFilter(s)
	require.NoError(t, err)
	assert.Equal(t, e, back)
	assert.Empty(t, (*vemtest.FilterExpr)(nil).String())
	assert.True(t, vemtest.FilterLe.IsComparison())
	assert.False(t, vemtest.FilterOr.IsComparison())
}

func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{
		"Result==Failed",
		`JobName=="Fileserver ""A"" Backup";(Result==Failed,Result==Warning)`,
		"a==1;b==2,c==3",
		"(a==1,b==2);c==3",
		`CreationTime>="2025-08-15T06:00:00Z"`,
		"Name==Échec",
		"((a<=1))",
		`x!=""`,
		"a>1;(b<2,(c>=3;d!=4))",
		"\xff==\xfe",
		"a==\xff\xfe",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		e, err := vemtest.ParseFilter(in)
		if err != nil {
			return
		}
		s := e.String()
		again, err := vemtest.ParseFilter(s)
		if err != nil {
			t.Fatalf("canonical %q of %q does not parse: %v", s, in, err)
		}
		if s2 := again.String(); s2 != s {
			t.Fatalf("canonical form not stable: %q -> %q -> %q", in, s, s2)
		}
	})
}
