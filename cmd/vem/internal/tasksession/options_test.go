package tasksession

import (
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vemkit/vem"
	"github.com/vemkit/vem/cmd/vem/internal/cmdutil"
	"github.com/vemkit/vem/cmd/vem/internal/cmdutil/cmdtest"
)

// TestListOptions checks what "task-session list" parses its flags into,
// through the list seam: nothing is sent, no server is needed.
func TestListOptions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		args   []string
		filter string
		want   func(*testing.T, *ListOptions)
	}{
		{"defaults", nil, "", func(t *testing.T, o *ListOptions) {
			assert.Equal(t, vem.Query{SortDesc: "CreationTime"}, o.Query)
		}},
		{"result list", []string{"--result", "failed,WARNING"}, "Result==Failed,Result==Warning", nil},
		{"state repeated", []string{"--state", "inprogress", "--state", "Pending"}, "State==InProgress,State==Pending", nil},
		{"since table format", []string{"--since", "2025-10-11 20:06:09"}, `CreationTime>="2025-10-11T20:06:09Z"`, nil},
		{"since RFC 3339 without zone is UTC", []string{"--since", "2025-10-11T20:06:09.5"}, `CreationTime>="2025-10-11T20:06:09.5Z"`, nil},
		{"since duration", []string{"--since", "1d"}, `CreationTime>="2025-10-11T12:00:00Z"`, nil},
		{"since before until", []string{"--since", "2025-10-10", "--until", "2025-10-11"}, `CreationTime>="2025-10-10T00:00:00Z";CreationTime<"2025-10-11T00:00:00Z"`, nil},
		{"limit", []string{"--limit", "5", "--sort", "endtime"}, "", func(t *testing.T, o *ListOptions) {
			assert.Equal(t, vem.Query{SortAsc: "EndTime", PageSize: 5, Concurrency: 1}, o.Query)
			assert.Equal(t, 5, o.Limit)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got *ListOptions
			r := cmdtest.Run(func(f *cmdutil.Factory) *cobra.Command {
				return NewCmdList(f, func(o *ListOptions) error { got = o; return nil })
			}, nil, append([]string{"list"}, tc.args...)...)
			require.Equal(t, 0, r.Code, r.String())
			require.NotNil(t, got)
			assert.Equal(t, tc.filter, got.Query.Filter.String())
			if tc.want != nil {
				tc.want(t, got)
			}
		})
	}
}

// TestGetOptions checks what "task-session get" parses its command line
// into, through runF: nothing is sent.
func TestGetOptions(t *testing.T) {
	t.Parallel()
	var got *GetOptions
	r := cmdtest.Run(func(f *cmdutil.Factory) *cobra.Command {
		return NewCmdGet(f, func(o *GetOptions) error { got = o; return nil })
	}, nil, "get", "urn:veeam:BackupTaskSession:88322206-A645-4aa3-9228-028ce51e7c0f", "--follow")
	require.Equal(t, 0, r.Code, r.String())
	assert.Equal(t, "88322206-a645-4aa3-9228-028ce51e7c0f", got.ID)
	assert.True(t, got.Follow)

	r = cmdtest.Run(func(f *cmdutil.Factory) *cobra.Command { return NewCmdGet(f, nil) }, nil, "get", "not-an-id")
	assert.Equal(t, cmdutil.ExitUsage, r.Code)
	assert.Contains(t, r.Stderr, "invalid BackupTaskSession ID")
	assert.Empty(t, r.Stdout)
}
