package vem

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vemkit/vem/internal/em"
)

type customState string

func TestFilterString(t *testing.T) {
	day := time.Date(2025, 8, 15, 8, 0, 0, 0, time.FixedZone("CEST", 2*3600))
	tests := []struct {
		name string
		f    Filter
		want string
	}{
		{"zero matches all", Filter{}, ""},
		{"eq bare string", Eq("VmDisplayName", "dbserver01"), "VmDisplayName==dbserver01"},
		{"doc example: and", And(Eq("Result", ResultFailed), Eq("VmDisplayName", "dbserver01")), "Result==Failed;VmDisplayName==dbserver01"},
		{"doc example: quoted spaces", Eq("JobName", "Fileserver Backup"), `JobName=="Fileserver Backup"`},
		{"doc example: or grouped in and", And(Or(Eq("JobName", "A"), Eq("JobName", "B")), Eq("Result", ResultFailed)), "(JobName==A,JobName==B);Result==Failed"},
		{"and grouped in or", Or(And(Eq("Result", ResultFailed), Eq("State", StateCompleted)), Eq("Result", ResultWarning)), "(Result==Failed;State==Completed),Result==Warning"},
		{"ne", Ne("State", StateCompleted), "State!=Completed"},
		{"gt enum", Gt("Result", ResultSuccess), "Result>Success"},
		{"ge time utc", Ge("CreationTime", day), `CreationTime>="2025-08-15T06:00:00Z"`},
		{"lt time fraction", Lt("EndTime", time.Date(2025, 1, 2, 3, 4, 5, 123456789, time.UTC)), `EndTime<"2025-01-02T03:04:05.1234567Z"`},
		{"le int64", Le("TotalSize", int64(12884901888)), "TotalSize<=12884901888"},
		{"int", Eq("TotalSize", 0), "TotalSize==0"},
		{"uint", Gt("TotalSize", uint32(7)), "TotalSize>7"},
		{"negative int", Gt("TotalSize", -1), "TotalSize>-1"},
		{"bool", Eq("IsRetry", true), "IsRetry==true"},
		{"float64 whole", Gt("TotalSize", 1e9), "TotalSize>1000000000"},
		{"float64 fraction", Le("TotalSize", 1.5), "TotalSize<=1.5"},
		{"float64 large", Ge("TotalSize", 1.2884901888e10), "TotalSize>=12884901888"},
		{"float32", Lt("TotalSize", float32(0.25)), "TotalSize<0.25"},
		{"int8", Eq("TotalSize", int8(-3)), "TotalSize==-3"},
		{"uint64 max", Le("TotalSize", uint64(math.MaxUint64)), "TotalSize<=18446744073709551615"},
		{"typed field constant", Eq(BackupTaskSessionFieldVMDisplayName, "db 01"), `VmDisplayName=="db 01"`},
		{"job field constant", Eq(JobFieldScheduleEnabled, false), "ScheduleEnabled==false"},
		{"inner quotes doubled", Eq("JobName", `Fileserver "A" Backup`), `JobName=="Fileserver ""A"" Backup"`},
		{"quote without space", Eq("Name", `a"b`), `Name=="a""b"`},
		{"semicolon quoted", Eq("Reason", "a;b"), `Reason=="a;b"`},
		{"comma quoted", Eq("Reason", "a,b"), `Reason=="a,b"`},
		{"parenthesis quoted", Eq("Name", "vm(1)"), `Name=="vm(1)"`},
		{"equals quoted", Eq("Name", "a==b"), `Name=="a==b"`},
		{"empty string quoted", Eq("Reason", ""), `Reason==""`},
		{"non-ASCII bare", Eq("VmDisplayName", "Überserver"), "VmDisplayName==Überserver"},
		{"UID value", Eq("JobSessionUid", UID("urn:veeam:BackupJobSession:0d3a8230-3db1-4cc1-a7b2-3b0b5c8f784c")), "JobSessionUid==urn:veeam:BackupJobSession:0d3a8230-3db1-4cc1-a7b2-3b0b5c8f784c"},
		{"named string type", Eq("State", customState("Working")), "State==Working"},
		{"and flattens", And(And(Eq("A", 1), Eq("B", 2)), Eq("C", 3)), "A==1;B==2;C==3"},
		{"or flattens", Or(Eq("A", 1), Or(Eq("B", 2), Eq("C", 3))), "A==1,B==2,C==3"},
		{"zero filters skipped", And(Filter{}, Eq("A", 1), Or()), "A==1"},
		{"empty and", And(), ""},
		{"raw alone", RawFilter("Result==Failed;VmDisplayName==x"), "Result==Failed;VmDisplayName==x"},
		{"raw grouped", And(RawFilter("JobName==A,JobName==B"), Eq("Result", ResultFailed)), "(JobName==A,JobName==B);Result==Failed"},
		{"raw simple not grouped", And(RawFilter("Result==Failed"), Eq("State", StateCompleted)), "Result==Failed;State==Completed"},
		{"deep nesting", Or(And(Eq("A", 1), Or(Eq("B", 2), Eq("C", 3))), Eq("D", 4)), "(A==1;(B==2,C==3)),D==4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.f.String())
			assert.NoError(t, tt.f.Err())
			assert.Equal(t, tt.want == "", tt.f.IsZero())
		})
	}
	require.GreaterOrEqual(t, len(tests), 25)
}

func TestFilterErrors(t *testing.T) {
	tests := []struct {
		name string
		f    Filter
	}{
		{"NaN", Eq("TotalSize", math.NaN())},
		{"infinity", Gt("TotalSize", math.Inf(1))},
		{"float32 infinity", Gt("TotalSize", float32(math.Inf(-1)))},
		{"nil", Eq("Reason", nil)},
		{"struct", Eq("Reason", struct{}{})},
		{"duration", Eq("Reason", time.Second)},
		{"bad field", Eq("Job Name", "x")},
		{"injection field", Eq("A==1;B", "x")},
		{"empty field", Eq("", "x")},
		{"nested error", And(Eq("A", 1), Or(Eq("B", 2), Eq("C", []int{1})))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Error(t, tt.f.Err())
			q := Query{Filter: tt.f}
			require.Error(t, q.validate())
		})
	}
}

func TestQueryRawQueryEscaping(t *testing.T) {
	q := Query{
		Filter:   And(Eq("JobName", `Fileserver "A" Backup`), Ge("TotalSize", 1)),
		SortDesc: "CreationTime",
		PageSize: 50,
	}
	got := q.rawQuery("BackupTaskSession", "Entities", 3)
	assert.Equal(t,
		"type=BackupTaskSession&format=Entities&filter=JobName%3D%3D%22Fileserver%20%22%22A%22%22%20Backup%22%3BTotalSize%3E%3D1&sortDesc=CreationTime&pageSize=50&page=3",
		got)
	// No pageSize when the server default is wanted.
	assert.Equal(t, "type=BackupTaskSession&format=Entities&page=1", (&Query{}).rawQuery("BackupTaskSession", "Entities", 1))
}

func TestQueryValidate(t *testing.T) {
	bad := []Query{
		{PageSize: -1},
		{Concurrency: -1},
		{SortAsc: "Name", SortDesc: "Name"},
		{SortAsc: "Name;x"},
		{SortDesc: "a b"},
	}
	for _, q := range bad {
		assert.Error(t, q.validate(), "%+v", q)
	}
	assert.NoError(t, (&Query{SortAsc: "CreationTime", PageSize: 10, Concurrency: 2}).validate())
}

// FuzzFilterRender checks that rendering never panics and that a string
// value always comes out either bare (with no character of the syntax) or
// quoted with its quotes doubled, so it cannot change the expression's
// structure.
func FuzzFilterRender(f *testing.F) {
	for _, s := range []string{"dbserver01", "Fileserver Backup", `a"b`, "a;b,c", "", "(x)", "Überserver"} {
		f.Add("JobName", s, int64(3), uint8(0))
	}
	f.Fuzz(func(t *testing.T, field, value string, n int64, op uint8) {
		ops := []func(Field, any) Filter{Eq, Ne, Gt, Ge, Lt, Le}
		mk := ops[int(op)%len(ops)]
		fl := And(mk(Field(field), value), Or(mk("TotalSize", n), Eq("Result", ResultFailed)))
		s := fl.String()
		if fl.Err() != nil {
			return // invalid field names are reported, not rendered into a query
		}
		rendered := em.QuoteValue(value)
		if rendered != value {
			inner := rendered[1 : len(rendered)-1]
			if rendered[0] != '"' || rendered[len(rendered)-1] != '"' || unescapedQuote(inner) {
				t.Fatalf("bad quoting of %q: %s", value, rendered)
			}
		} else if value == "" || containsSyntax(value) {
			t.Fatalf("value %q left bare", value)
		}
		if len(s) == 0 {
			t.Fatal("empty rendering")
		}
	})
}

func unescapedQuote(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			if i+1 >= len(s) || s[i+1] != '"' {
				return true
			}
			i++
		}
	}
	return false
}

func containsSyntax(s string) bool {
	for _, r := range s {
		if em.NeedsQuote(r) {
			return true
		}
	}
	return false
}
