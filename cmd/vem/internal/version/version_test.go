package version

import (
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vemkit/vem/cmd/vem/internal/cmdutil"
	"github.com/vemkit/vem/cmd/vem/internal/cmdutil/cmdtest"
)

// TestOptions checks what "vem version" parses its command line into,
// through runF: -o, else VEM_OUTPUT, in any case; the text line by default.
func TestOptions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		env  []string
		args []string
		want string
	}{
		{nil, nil, "table"},
		{[]string{"VEM_OUTPUT=JSON"}, nil, "json"},
		{[]string{"VEM_OUTPUT=json"}, []string{"-o", "xml"}, "xml"},
		{[]string{"VEM_URL=not a url"}, []string{"-o", "jsonl"}, "jsonl"},
	} {
		var got *Options
		r := cmdtest.Run(func(f *cmdutil.Factory) *cobra.Command {
			return NewCmdVersion(f, func(o *Options) error { got = o; return nil })
		}, tc.env, append([]string{"version"}, tc.args...)...)
		require.Equal(t, 0, r.Code, r.String())
		assert.Equal(t, tc.want, got.Output, "%v %v", tc.env, tc.args)
	}
	r := cmdtest.Run(func(f *cmdutil.Factory) *cobra.Command { return NewCmdVersion(f, nil) }, nil, "version", "-o", "bogus")
	assert.Equal(t, cmdutil.ExitUsage, r.Code)
	assert.Contains(t, r.Stderr, `-o/--output (VEM_OUTPUT): invalid value "bogus" (want json, jsonl, table or xml)`)
}
