package tasksession

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/vemkit/vem/cmd/vem/internal/cmdutil"
	"github.com/vemkit/vem/cmd/vem/internal/iostreams"
)

func TestBuildQuery(t *testing.T) {
	t.Parallel()
	f := cmdutil.New(iostreams.New(strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{}), func(string) string { return "" })
	cmd := NewCmdList(f, nil)
	if err := cmd.ParseFlags([]string{"--state", "completed", "--result", "failed,WARNING", "--since", "1d",
		"--vm", "db 01", "--job", `Fileserver "A"`, "--filter", "TotalSize>0,Reason==x", "--sort", "-endtime", "--limit", "5"}); err != nil {
		t.Fatal(err)
	}
	var lf listFlags
	lf.states, _ = cmd.Flags().GetStringSlice("state")
	lf.results, _ = cmd.Flags().GetStringSlice("result")
	lf.since, _ = cmd.Flags().GetString("since")
	lf.vm, _ = cmd.Flags().GetString("vm")
	lf.job, _ = cmd.Flags().GetString("job")
	lf.filter, _ = cmd.Flags().GetString("filter")
	lf.sort, _ = cmd.Flags().GetString("sort")
	lf.limit, _ = cmd.Flags().GetInt("limit")
	q, err := buildQuery(cmd, &lf, time.Date(2025, 10, 12, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	want := `State==Completed;(Result==Failed,Result==Warning);CreationTime>="2025-10-11T00:00:00Z";VmDisplayName=="db 01";JobName=="Fileserver ""A""";(TotalSize>0,Reason==x)`
	if got := q.Filter.String(); got != want {
		t.Errorf("filter\n got %s\nwant %s", got, want)
	}
	if q.SortDesc != "EndTime" || q.SortAsc != "" || q.PageSize != 5 || q.Concurrency != 1 {
		t.Errorf("query = %+v", q)
	}
}
