package emfilter_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vemkit/vem/internal/emfilter"
)

func cmpExpr(field string, op emfilter.Op, value string) *emfilter.Expr {
	return &emfilter.Expr{Op: op, Field: field, Value: value}
}

func TestParseFilter(t *testing.T) {
	and := func(ts ...*emfilter.Expr) *emfilter.Expr {
		return &emfilter.Expr{Op: emfilter.And, Terms: ts}
	}
	or := func(ts ...*emfilter.Expr) *emfilter.Expr {
		return &emfilter.Expr{Op: emfilter.Or, Terms: ts}
	}
	for _, tc := range []struct {
		in        string
		want      *emfilter.Expr
		canonical string
	}{
		{"Result==Failed", cmpExpr("Result", emfilter.Eq, "Failed"), "Result==Failed"},
		{"Result!=Failed", cmpExpr("Result", emfilter.Ne, "Failed"), "Result!=Failed"},
		{"TotalSize>1", cmpExpr("TotalSize", emfilter.Gt, "1"), "TotalSize>1"},
		{"TotalSize>=1", cmpExpr("TotalSize", emfilter.Ge, "1"), "TotalSize>=1"},
		{"TotalSize<1", cmpExpr("TotalSize", emfilter.Lt, "1"), "TotalSize<1"},
		{"TotalSize<=1", cmpExpr("TotalSize", emfilter.Le, "1"), "TotalSize<=1"},
		{"  jobname  ==  x  ", cmpExpr("jobname", emfilter.Eq, "x"), "jobname==x"},
		{`JobName=="Fileserver ""A"" Backup"`, cmpExpr("JobName", emfilter.Eq, `Fileserver "A" Backup`), `JobName=="Fileserver ""A"" Backup"`},
		{`Name==""`, cmpExpr("Name", emfilter.Eq, ""), `Name==""`},
		{`Name==""""`, cmpExpr("Name", emfilter.Eq, `"`), `Name==""""`},
		{`Name=="plain"`, cmpExpr("Name", emfilter.Eq, "plain"), "Name==plain"},
		{`Name=="a;b,c(d)e"`, cmpExpr("Name", emfilter.Eq, "a;b,c(d)e"), `Name=="a;b,c(d)e"`},
		{`Name=="x==y"`, cmpExpr("Name", emfilter.Eq, "x==y"), `Name=="x==y"`},
		{"Reason==Échec", cmpExpr("Reason", emfilter.Eq, "Échec"), "Reason==Échec"},
		{`CreationTime>="2025-08-15T06:00:00Z"`, cmpExpr("CreationTime", emfilter.Ge, "2025-08-15T06:00:00Z"), "CreationTime>=2025-08-15T06:00:00Z"},
		{"CreationTime>=2025-08-15T06:00:00.5+02:00", cmpExpr("CreationTime", emfilter.Ge, "2025-08-15T06:00:00.5+02:00"), "CreationTime>=2025-08-15T06:00:00.5+02:00"},
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
		{"Job.Name==x", cmpExpr("Job.Name", emfilter.Eq, "x"), "Job.Name==x"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			e, err := emfilter.Parse(tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.want, e)
			assert.Equal(t, tc.canonical, e.String())
			again, err := emfilter.Parse(e.String())
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
			e, err := emfilter.Parse(tc.in)
			require.Error(t, err, "parsed as %v", e)
			var fe *emfilter.Error
			require.True(t, errors.As(err, &fe), "%T", err)
			assert.Contains(t, err.Error(), tc.msg)
			assert.Equal(t, tc.in, fe.Expr)
			assert.GreaterOrEqual(t, fe.Pos, 0)
			assert.LessOrEqual(t, fe.Pos, len(tc.in))
		})
	}
	for _, in := range []string{"", "   ", "\t\n"} {
		_, err := emfilter.Parse(in)
		assert.ErrorIs(t, err, emfilter.ErrEmpty)
	}
	// 64 levels are fine.
	_, err := emfilter.Parse(strings.Repeat("(", 64) + "a==1" + strings.Repeat(")", 64))
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
		assert.Equal(t, want, emfilter.QuoteValue(in), in)
		e, err := emfilter.Parse("Name==" + emfilter.QuoteValue(in))
		require.NoError(t, err, in)
		assert.Equal(t, in, e.Value)
	}
}

func TestFilterExprStringBuilt(t *testing.T) {
	// A client builds an expression and renders it; the server parses it back.
	e := &emfilter.Expr{Op: emfilter.And, Terms: []*emfilter.Expr{
		cmpExpr("JobName", emfilter.Eq, `Fileserver "A" Backup`),
		{Op: emfilter.Or, Terms: []*emfilter.Expr{
			cmpExpr("Result", emfilter.Eq, "Failed"),
			cmpExpr("Result", emfilter.Eq, "Warning"),
		}},
	}}
	s := e.String()
	assert.Equal(t, `JobName=="Fileserver ""A"" Backup";(Result==Failed,Result==Warning)`, s)
	back, err := emfilter.Parse(s)
	require.NoError(t, err)
	assert.Equal(t, e, back)
	assert.Empty(t, (*emfilter.Expr)(nil).String())
	assert.True(t, emfilter.Le.IsComparison())
	assert.False(t, emfilter.Or.IsComparison())
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
		e, err := emfilter.Parse(in)
		if err != nil {
			return
		}
		s := e.String()
		again, err := emfilter.Parse(s)
		if err != nil {
			t.Fatalf("canonical %q of %q does not parse: %v", s, in, err)
		}
		if s2 := again.String(); s2 != s {
			t.Fatalf("canonical form not stable: %q -> %q -> %q", in, s, s2)
		}
	})
}
