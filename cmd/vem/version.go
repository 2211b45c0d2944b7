package main

import (
	"fmt"
	"runtime"
	"strings"

	"github.com/spf13/cobra"
	"github.com/vemkit/vem"
)

// versionJSON is the JSON form of "vem version -o json".
type versionJSON struct {
	Version   string `json:"version"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
}

// versionOptions is what "vem version" was asked to do.
type versionOptions struct {
	Output string // "" (text), json or jsonl
}

// newVersionCmd builds "vem version". runF, when not nil, replaces the run
// function (a test seam).
func (a *app) newVersionCmd(runF func(*cobra.Command, *versionOptions) error) *cobra.Command {
	return &cobra.Command{
		Use:               "version",
		Short:             "Print vem's version",
		Long:              "Print vem's version (the SDK's vem.Version). With -o json or -o jsonl, print it as a JSON object with the Go version and platform; -o table and -o xml print the text line.",
		Args:              exactArgs(),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// Only -o matters here; a bad VEM_URL must not break "vem version".
			out := a.g.output
			if !cmd.Flags().Changed("output") {
				out = a.getenv(envOutput)
			}
			out = strings.ToLower(strings.TrimSpace(out))
			switch out {
			case "", outputJSON, outputJSONL, outputTable, outputXML:
			default:
				return usagef(cmd, "-o/--output (%s): invalid value %q (want json, jsonl, table or xml)", envOutput, out)
			}
			o := &versionOptions{Output: out}
			if runF != nil {
				return runF(cmd, o)
			}
			return a.version(o)
		},
	}
}

// version runs "vem version".
func (a *app) version(o *versionOptions) error {
	v := versionJSON{Version: vem.Version, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	switch o.Output {
	case outputJSON:
		return writeJSON(a.stdout, v)
	case outputJSONL:
		return writeJSONLine(a.stdout, v)
	}
	_, err := fmt.Fprintf(a.stdout, "vem %s\n", vem.Version)
	return err
}
