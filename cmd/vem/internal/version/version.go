// Package version is "vem version".
package version

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"
	"github.com/vemkit/vem"
	"github.com/vemkit/vem/cmd/vem/internal/cmdutil"
	"github.com/vemkit/vem/cmd/vem/internal/iostreams"
	"github.com/vemkit/vem/cmd/vem/internal/output"
)

// JSON is the JSON form of "vem version -o json".
type JSON struct {
	Version   string `json:"version"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
}

// Options is what "vem version" was asked to do.
type Options struct {
	IO     *iostreams.IOStreams
	Output string // table (the text line), json, jsonl or xml (the text line)
}

// NewCmdVersion builds "vem version". runF, when not nil, replaces the run
// function (tests check what the command line parsed into).
func NewCmdVersion(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:               "version",
		Short:             "Print vem's version",
		Long:              "Print vem's version (the SDK's vem.Version). With -o json or -o jsonl, print it as a JSON object with the Go version and platform; -o table and -o xml print the text line.",
		Args:              cmdutil.ExactArgs(),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// Only -o matters here; a bad VEM_URL must not break "vem version".
			out, err := f.OutputFormat(cmd)
			if err != nil {
				return err
			}
			o := &Options{IO: f.IO, Output: out}
			if runF != nil {
				return runF(o)
			}
			return o.Run()
		},
	}
	cmdutil.SetFormats(cmd, output.Table, output.JSON, output.JSONL, output.Table, output.XML)
	return cmd
}

// Run prints the version.
func (o *Options) Run() error {
	w := o.IO.Out
	v := JSON{Version: vem.Version, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	switch o.Output {
	case output.JSON:
		return output.WriteJSON(w, v)
	case output.JSONL:
		return output.WriteJSONLine(w, v)
	}
	_, err := fmt.Fprintf(w, "vem %s\n", vem.Version)
	return err
}
